/**
 * Steps the invariant suites share, each an effect over a transport's services: the owner's consent and the
 * client's login, a call driven through the TestClock, hand-made requests to the same server, and the checks
 * every state of the server must pass.
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { expect } from "@effect/vitest"
import { HmOAuthConfig, type HmOAuthError, TokenEndpoint, type TokenSet, VehicleInfo } from "@hm-oauth/core"
import { Cause, Chunk, Clock, Duration, Effect, Exit, Fiber, Option, Redacted, TestClock } from "effect"
import { type AuthorizeRefused, FakeServer } from "../../src/FakeServer.js"
import * as Model from "../../src/Model.js"
import { CHALLENGE, VERIFIER } from "../fixtures.js"
import * as Client from "./client.js"

/** The apps that take part in the consent flow (the fleet app has no redirect URI). */
export type ConsentApp = "web" | "native" | "other"

const apps = { web: Client.WEB, native: Client.NATIVE, other: Client.OTHER }

/** The app's registered redirect URI. */
export const redirectUriOf = (as: ConsentApp): string => apps[as].redirectUris[0]!

/**
 * The owner consents for `as` to the vehicle `VIN` unless `request` says otherwise; the public app's
 * consent carries the RFC 7636 example challenge, whose verifier `login` keeps.
 */
export const consent = (as: ConsentApp = "web", request: Partial<Model.AuthorizeRequest> = {}) =>
  Effect.flatMap(FakeServer, (server) =>
    server.authorize({
      clientId: apps[as].id,
      redirectUri: redirectUriOf(as),
      vin: Client.VIN,
      ...(as === "native" ? { codeChallenge: CHALLENGE } : {}),
      ...request
    })
  )

/** The tokens of one login, and the consent they read. */
export interface Login {
  readonly tokens: TokenSet.TokenSet
  readonly authorizationId: string
}

/** The owner consents, then the core client in context (acting as `as`) exchanges the code. */
export const login = (
  as: ConsentApp = "web",
  request: Partial<Model.AuthorizeRequest> = {}
): Effect.Effect<Login, HmOAuthError.TokenEndpointError | AuthorizeRefused, TokenEndpoint.TokenEndpoint | FakeServer> =>
  Effect.gen(function* () {
    const { code, authorizationId } = yield* consent(as, request)
    return { tokens: yield* exchange(as, code), authorizationId }
  })

/**
 * The core client in context, acting as `as`, exchanges a code from `consent`: the public app sends the
 * verifier of the example challenge.
 */
export const exchange = (as: ConsentApp, code: Redacted.Redacted<string>, redirectUri = redirectUriOf(as)) =>
  Effect.flatMap(TokenEndpoint.TokenEndpoint, (tokens) =>
    tokens.exchangeCode({ code, redirectUri, codeVerifier: as === "native" ? Redacted.make(VERIFIER) : undefined })
  )

/** The refresh token of a consent-flow token set (which always has one). */
export const refreshTokenOf = (tokens: TokenSet.TokenSet): Redacted.Redacted<string> =>
  Option.getOrThrow(tokens.refreshToken)

/** What a dead or wrong code, refresh token or verifier fails with, and the model's description if given. */
export const invalidGrant = (description?: string) => ({
  _tag: "OAuthProtocolError",
  reason: "InvalidGrant",
  ...(description === undefined ? {} : { description })
})

/**
 * Checks a code exchange: one that should succeed gives a token that reads the car; one that should not fails
 * as `invalidGrant(description)`.
 */
export const expectExchange = <R>(
  exchanged: Effect.Effect<TokenSet.TokenSet, HmOAuthError.TokenEndpointError, R>,
  succeeds: boolean,
  description: string
) =>
  Effect.gen(function* () {
    if (!succeeds) return expect(yield* Effect.flip(exchanged)).toMatchObject(invalidGrant(description))
    const { accessToken } = yield* exchanged
    expect((yield* (yield* VehicleInfo.VehicleInfo).get(accessToken)).vin).toBe(Client.VIN)
  })

/** The typed failure an exit ended with; throws (failing the test) on a success or a defect. */
export const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got a success: ${String(exit.value)}`)
  return Option.getOrThrowWith(Cause.failureOption(exit.cause), () => new Error(Cause.pretty(exit.cause)))
}

const clockStep = Duration.toMillis("1 second")

/**
 * Runs `effect` on a fiber while moving the TestClock on until it ends, and hands back its exit. Time goes to
 * the next pending sleep, in steps of at most a second while that sleep may be an attempt's timeout; a sleep
 * further off than the timeout is a retry delay with nothing in flight, and is reached at once. So a request
 * waiting on a real socket never sees more than a second pass at a time.
 */
export const drive = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const timeout = Duration.toMillis((yield* HmOAuthConfig.HmOAuthConfig).timeout)
    const fiber = yield* Effect.fork(effect)
    // a bound far above any schedule the suites generate: a call that never ends fails the case
    for (let step = 0; step < 1000; step++) {
      const exit = yield* Fiber.poll(fiber)
      if (Option.isSome(exit)) return exit.value
      const now = yield* Clock.currentTimeMillis
      const next = Chunk.reduce(yield* TestClock.sleeps(), Number.POSITIVE_INFINITY, (earliest, instant) =>
        Math.min(earliest, instant)
      )
      const wait = next - now
      yield* TestClock.adjust(wait === Number.POSITIVE_INFINITY ? 0 : wait > timeout ? wait : Math.min(wait, clockStep))
    }
    yield* Fiber.interrupt(fiber)
    throw new Error("the call did not end within 1000 steps of the clock")
  })

/**
 * Posts hand-made JSON fields to the test's token endpoint over the transport's own `HttpClient`, past the core
 * client's encoding and checks: for requests the core client would never send. The answer's body is parsed as
 * JSON when there is one.
 */
export const postToTokenEndpoint = (fields: Readonly<Record<string, string>>) =>
  Effect.gen(function* () {
    const { baseUrl } = yield* HmOAuthConfig.HmOAuthConfig
    const request = HttpClientRequest.post(`${baseUrl}/v1/access_tokens`).pipe(HttpClientRequest.bodyUnsafeJson(fields))
    const response = yield* (yield* HttpClient.HttpClient).execute(request)
    const body = yield* response.text
    return { status: response.status, json: body === "" ? undefined : (JSON.parse(body) as unknown) }
  }).pipe(Effect.orDie)

/** The server's handle of a token value (`at#3`), to find it among the server's tokens and families. */
export const handleOf = (token: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    const state = yield* (yield* FakeServer).state
    return Option.getOrThrow(Model.handleOf(state, Redacted.value(token)))
  })

/**
 * What every state of the server satisfies: a family has at most one live refresh token, its newest; once a
 * family's refresh tokens are revoked none of them is live, and once its access tokens are, none of those.
 */
export const expectConsistentFamilies = Effect.gen(function* () {
  for (const family of yield* (yield* FakeServer).families) {
    const refreshTokens = family.lineage.filter((token) => token.kind === "refresh")
    const liveRefresh = refreshTokens.filter((token) => token.status === "live")
    expect(liveRefresh.length, `live refresh tokens of ${family.handle}`).toBeLessThanOrEqual(1)
    for (const live of liveRefresh) {
      expect(live.serial, `the live refresh token of ${family.handle} is its newest`).toBe(
        Math.max(...refreshTokens.map((token) => token.serial))
      )
    }
    if (family.refreshTokensRevoked !== undefined) expect(liveRefresh).toEqual([])
    if (family.accessTokensRevoked !== undefined) {
      expect(family.lineage.filter((token) => token.kind === "access" && token.status === "live")).toEqual([])
    }
  }
})
