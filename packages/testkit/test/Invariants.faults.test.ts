/**
 * Invariants of retries under generated fault schedules, the core client against the fake server over every
 * transport, time on the TestClock. Each case scripts faults on one endpoint and predicts, attempt by attempt,
 * what core's retry rules make of them (four attempts at most):
 * - the safe operations (vehicleinfo, revoke, client_credentials) succeed whenever a success comes within the
 *   attempts, and otherwise fail with the last attempt's typed error;
 * - a code exchange or a refresh is never sent again once it may have reached the server: a lost answer
 *   (reset, timeout, 5xx, an unreadable success) is `OutcomeUnknown`, a refused connection is retried;
 * and then checks the server: how many requests reached it, and that its state is what they leave behind.
 */
import { describe, expect, it } from "@effect/vitest"
import { type HmOAuthError, Revocation, TokenEndpoint, type TokenSet, VehicleInfo } from "@hm-oauth/core"
import { Duration, Effect, FastCheck as fc } from "effect"
import { FakeServer } from "../src/FakeServer.js"
import * as Faults from "../src/Faults.js"
import * as Arbitraries from "./support/arbitraries.js"
import * as Client from "./support/client.js"
import { sized } from "./support/runs.js"
import * as Steps from "./support/steps.js"
import { type Transport, transports } from "./support/transport.js"

type Operation = "vehicleInfo" | "revoke" | "clientCredentials" | "exchangeCode" | "refresh"

/** What the client makes of one attempt. */
type Seen =
  | { readonly _tag: "Answer" }
  | { readonly _tag: "ServerUnavailable"; readonly status: number; readonly retryAfter?: Duration.Duration }
  | { readonly _tag: "RateLimited"; readonly retryAfter?: Duration.Duration }
  | { readonly _tag: "Unauthorized"; readonly status: number; readonly reason: "Unknown" }
  | { readonly _tag: "UnexpectedResponse"; readonly status: number }
  | { readonly _tag: "TransportError"; readonly mayHaveReachedServer: boolean }
  | { readonly _tag: "RequestTimeout" }

/**
 * One attempt under `fault` over `transport`: whether the server acted on it (see the table in `Faults`), and
 * what came back.
 */
const attempt = (
  transport: Transport,
  operation: Operation,
  fault: Faults.Fault | undefined
): { reached: boolean; seen: Seen } => {
  switch (fault?._tag) {
    case undefined:
    case "Latency":
      return { reached: true, seen: { _tag: "Answer" } }
    case "MalformedJson":
      // a revocation's 200 has no body, so half of it is still a well-formed empty answer
      return {
        reached: true,
        seen: operation === "revoke" ? { _tag: "Answer" } : { _tag: "UnexpectedResponse", status: 200 }
      }
    case "CommitThenLose":
      return { reached: true, seen: { _tag: "TransportError", mayHaveReachedServer: true } }
    case "ServerError":
      return {
        reached: false,
        seen: {
          _tag: "ServerUnavailable",
          status: fault.status,
          ...(fault.retryAfterSeconds === undefined ? {} : { retryAfter: Duration.seconds(fault.retryAfterSeconds) })
        }
      }
    case "RateLimited":
      return { reached: false, seen: { _tag: "RateLimited", retryAfter: Duration.seconds(fault.retryAfterSeconds) } }
    case "HtmlErrorPage":
      return { reached: false, seen: htmlPage(operation, fault.status) }
    case "Refused":
      // over a socket the refusal can only be a closed connection, which the client cannot tell from a reset
      return { reached: false, seen: { _tag: "TransportError", mayHaveReachedServer: !transport.refusesConnections } }
    case "Hang":
      return { reached: false, seen: { _tag: "RequestTimeout" } }
  }
}

/** A proxy's HTML page: the status decides, as the body says nothing the client can read. */
const htmlPage = (operation: Operation, status: number): Seen =>
  status >= 500
    ? { _tag: "ServerUnavailable", status }
    : status === 429
      ? { _tag: "RateLimited" }
      : operation === "vehicleInfo" && (status === 401 || status === 403)
        ? { _tag: "Unauthorized", status, reason: "Unknown" }
        : { _tag: "UnexpectedResponse", status }

const isSafe = (operation: Operation) => operation !== "exchangeCode" && operation !== "refresh"

const maxRetryAfter = Duration.seconds(60)
const attempts = 4
/** The predictions count attempts, not time: a retry budget beyond any of these schedules keeps them exact. */
const countedInAttempts = { retryBudget: "1 hour" } as const

/** Core's rule: a safe operation retries what may pass, a code exchange or refresh only what never left. */
const isRetried = (operation: Operation, seen: Seen): boolean => {
  switch (seen._tag) {
    case "TransportError":
      return isSafe(operation) || !seen.mayHaveReachedServer
    case "RequestTimeout":
      return isSafe(operation)
    case "ServerUnavailable":
    case "RateLimited":
      return (
        isSafe(operation) &&
        (seen.retryAfter === undefined || Duration.lessThanOrEqualTo(seen.retryAfter, maxRetryAfter))
      )
    default:
      return false
  }
}

/** The error a failed call ends with, as much of it as `toMatchObject` compares. */
const finalError = (operation: Operation, seen: Exclude<Seen, { _tag: "Answer" }>): object => {
  const lostAnswer =
    seen._tag === "RequestTimeout" ||
    seen._tag === "ServerUnavailable" ||
    (seen._tag === "TransportError" && seen.mayHaveReachedServer) ||
    // a success the client cannot read: the server acted, its tokens are lost
    (seen._tag === "UnexpectedResponse" && seen.status >= 200 && seen.status < 300)
  return !isSafe(operation) && lostAnswer ? { _tag: "OutcomeUnknown", failure: seen } : seen
}

/** What a call under `rules` comes to: how many requests reach the server, and the error if it fails. */
const predict = (
  transport: Transport,
  operation: Operation,
  endpoint: Faults.Endpoint,
  rules: ReadonlyArray<Faults.Rule>,
  seed: number
) => {
  let plan = Faults.plan(rules, seed)
  let reached = 0
  for (let n = 1; ; n++) {
    const [fault, next] = Faults.decide(plan, endpoint)
    plan = next
    const outcome = attempt(transport, operation, fault)
    if (outcome.reached) reached++
    if (outcome.seen._tag === "Answer") return { reached, error: undefined }
    if (n === attempts || !isRetried(operation, outcome.seen)) {
      return { reached, error: finalError(operation, outcome.seen) }
    }
  }
}

/** An operation under test: whom the core client acts as, the call, and the server's state it must leave. */
interface Subject {
  readonly as: Client.As
  readonly endpoint: Faults.Endpoint
  /** Runs before the faults are set; its requests count for nothing. */
  readonly prepare: Effect.Effect<
    {
      readonly call: Effect.Effect<unknown, HmOAuthError.HmOAuthError, Client.Services>
      /** Checks the state the call left, given how many of its requests reached the server. */
      readonly afterwards: (reached: number) => Effect.Effect<void, unknown, Client.Services>
    },
    unknown,
    Client.Services
  >
}

const vehicleInfo: Subject = {
  as: "web",
  endpoint: "vehicleInfo",
  prepare: Effect.gen(function* () {
    const { tokens } = yield* Steps.login()
    const vehicles = yield* VehicleInfo.VehicleInfo
    return {
      call: vehicles.get(tokens.accessToken),
      // reading changes nothing: the token reads the car as before
      afterwards: () => Effect.map(vehicles.get(tokens.accessToken), (read) => expect(read.vin).toBe(Client.VIN))
    }
  })
}

const revoke: Subject = {
  as: "web",
  endpoint: "revocation",
  prepare: Effect.gen(function* () {
    const { tokens } = yield* Steps.login()
    const vehicles = yield* VehicleInfo.VehicleInfo
    return {
      call: Effect.flatMap(Revocation.Revocation, (revocation) => revocation.revoke({ token: tokens.accessToken })),
      afterwards: (reached) =>
        Effect.gen(function* () {
          const read = yield* Effect.either(vehicles.get(tokens.accessToken))
          if (reached > 0) expect(read).toMatchObject({ _tag: "Left", left: { reason: "InvalidToken" } })
          else expect(read._tag).toBe("Right")
        })
    }
  })
}

const clientCredentials: Subject = {
  as: "fleet",
  endpoint: "token",
  prepare: Effect.succeed({
    call: Effect.flatMap(TokenEndpoint.TokenEndpoint, (tokens) => tokens.clientCredentials()),
    // every attempt that reached the server carried a fresh assertion, so each got a token
    afterwards: (reached) =>
      Effect.gen(function* () {
        const issued = (yield* (yield* FakeServer).tokens).filter((token) => token.kind === "client_credentials")
        expect(issued.map((token) => token.status)).toEqual(Array(reached).fill("live"))
      })
  })
}

const exchangeCode: Subject = {
  as: "web",
  endpoint: "token",
  prepare: Effect.gen(function* () {
    const { code } = yield* Steps.consent()
    return {
      call: Steps.exchange("web", code),
      afterwards: (reached) =>
        Effect.gen(function* () {
          const server = yield* FakeServer
          expect((yield* server.families).length).toBe(reached)
          // the code is spent exactly when the server saw it: then a second exchange is a replay
          const again = yield* Effect.either(Steps.exchange("web", code))
          if (reached === 0) return expect(again._tag).toBe("Right")
          expect(again).toMatchObject({ _tag: "Left", left: Steps.invalidGrant() })
          expect((yield* server.families).map((family) => family.accessTokensRevoked?.reason)).toEqual([
            "code_replayed"
          ])
        })
    }
  })
}

const refresh: Subject = {
  as: "web",
  endpoint: "token",
  prepare: Effect.gen(function* () {
    const { tokens } = yield* Steps.login()
    const endpoint = yield* TokenEndpoint.TokenEndpoint
    const old = Steps.refreshTokenOf(tokens)
    let received: TokenSet.TokenSet | undefined
    return {
      call: Effect.tap(endpoint.refresh(old), (set) => {
        received = set
      }),
      afterwards: (reached) =>
        Effect.gen(function* () {
          const [family] = yield* (yield* FakeServer).families
          const refreshTokens = family!.lineage.filter((token) => token.kind === "refresh")
          expect(refreshTokens.length).toBe(1 + reached)
          const live = refreshTokens.filter((token) => token.status === "live").map((token) => token.handle)
          expect(live).toEqual([refreshTokens.at(-1)!.handle])
          if (received !== undefined)
            return expect(live).toEqual([yield* Steps.handleOf(Steps.refreshTokenOf(received))])
          // a rotation whose answer was lost burnt the old token: using it again is reuse, and the family dies
          const again = yield* Effect.either(endpoint.refresh(old))
          if (reached === 0) return expect(again._tag).toBe("Right")
          expect(again).toMatchObject({ _tag: "Left", left: Steps.invalidGrant() })
          const [burnt] = yield* (yield* FakeServer).families
          expect(burnt?.refreshTokensRevoked?.reason).toBe("refresh_token_reused")
          expect(burnt?.lineage.filter((token) => token.status === "live")).toEqual([])
        })
    }
  })
}

const subjects: Record<Operation, Subject> = { vehicleInfo, revoke, clientCredentials, exchangeCode, refresh }

/** One of `operations`, a fault schedule on its endpoint, and the seed of the faults' random draws. */
const scheduled = (...operations: ReadonlyArray<Operation>) =>
  fc.constantFrom(...operations).chain((operation) =>
    fc.record({
      operation: fc.constant(operation),
      rules: Arbitraries.faultSchedule(subjects[operation].endpoint),
      faultSeed: fc.integer()
    })
  )

/** Scripts `rules` on the operation's endpoint, runs its call through the TestClock and checks the prediction. */
const underFaults = (
  transport: Transport,
  { operation, rules, faultSeed }: { operation: Operation; rules: ReadonlyArray<Faults.Rule>; faultSeed: number }
) => {
  const subject = subjects[operation]
  return Effect.gen(function* () {
    const server = yield* FakeServer
    const { call, afterwards } = yield* subject.prepare
    const before = (yield* server.history).length
    yield* server.setFaults(rules)
    const exit = yield* Steps.drive(call)
    yield* server.setFaults([])

    const predicted = predict(transport, operation, subject.endpoint, rules, faultSeed)
    if (predicted.error === undefined) expect(exit._tag).toBe("Success")
    else expect(Steps.failureOf(exit)).toMatchObject(predicted.error)
    const reached = (yield* server.history).length - before
    expect(reached).toBe(predicted.reached)
    if (!isSafe(operation)) expect(reached).toBeLessThanOrEqual(1)
    yield* afterwards(reached)
    yield* Steps.expectConsistentFamilies
  }).pipe(Effect.provide(transport.layer(subject.as, { faultSeed }, countedInAttempts)))
}

for (const transport of transports) {
  describe(`retries under faults over ${transport.name}`, () => {
    it.effect.prop(
      "the safe operations (vehicleinfo, revoke, client_credentials) succeed when the faults leave a success within the attempts, else fail with the last typed error",
      { schedule: scheduled("vehicleInfo", "revoke", "clientCredentials") },
      ({ schedule }) => underFaults(transport, schedule),
      sized(50)
    )

    it.effect.prop(
      "a code exchange or refresh is never replayed after a send: at most one request reaches the server, a lost answer is OutcomeUnknown, a refused one is retried, and the state stays consistent",
      { schedule: scheduled("exchangeCode", "refresh") },
      ({ schedule }) => underFaults(transport, schedule),
      sized(50)
    )
  })
}
