/**
 * The token manager's operations against the in-memory fake server: onboarding, cached and refreshed access tokens,
 * the typed failures, revocation, forgetting, application tokens, events, configuration, and what it keeps in
 * memory. The guarantees, each with the test that fails without its mechanism, are in
 * `TokenManager.guarantees.test.ts`; the model-based test in `TokenManager.modelBased.test.ts`.
 */
import { describe, expect, it } from "@effect/vitest"
import { FakeServer, Faults, Model } from "@hm-oauth/testkit"
import {
  ConfigProvider,
  Effect,
  Exit,
  Fiber,
  HashMap,
  Inspectable,
  Layer,
  Logger,
  LogLevel,
  Option,
  Redacted,
  Stream,
  TestClock,
  Tracer
} from "effect"
import { HmOAuthConfig, TokenManager, TokenStore } from "../src/index.js"
import * as Fleet from "./support/fleet.js"

const reveal = Redacted.value

/**
 * Lets a forked subscriber of `events` subscribe: running a stream takes the scheduler several turns, and a
 * client answered in memory gives none of its own before the first event is published.
 */
const subscribed = Effect.repeatN(Effect.yieldNow(), 20)

describe("TokenManager", () => {
  it.scoped("serves an onboarded grant's access token from memory, without a request", () =>
    Effect.gen(function* () {
      const store = yield* TokenStore.makeMemory
      const manager = yield* Fleet.node(store)
      const { tokens } = yield* Fleet.consent()
      yield* manager.onboard("car-1", tokens)
      for (let n = 0; n < 3; n++) expect(reveal(yield* manager.accessToken("car-1"))).toBe(reveal(tokens.accessToken))
      expect(yield* Fleet.refreshes).toEqual([])
      expect(yield* manager.stats).toMatchObject({ cachedGrants: 1, flights: 0 })
    }).pipe(Effect.provide(Fleet.layer()))
  )

  it.scoped("refreshes ahead of expiry, and the new token is the stored one", () =>
    Effect.gen(function* () {
      const store = yield* TokenStore.makeMemory
      const manager = yield* Fleet.node(store, {
        refreshAhead: "5 minutes",
        refreshJitter: 0,
        clockSkew: 0,
        idleTimeToLive: "1 hour"
      })
      const { tokens } = yield* Fleet.consent()
      yield* manager.onboard("car-1", tokens)
      yield* TestClock.adjust("56 minutes")
      // inside the margin: the old token is still served, while the refresh runs behind it
      expect(reveal(yield* manager.accessToken("car-1"))).toBe(reveal(tokens.accessToken))
      yield* Fleet.quiet(manager)
      const fresh = yield* manager.accessToken("car-1")
      expect(reveal(fresh)).not.toBe(reveal(tokens.accessToken))
      const stored = Option.getOrThrow(yield* store.get("car-1"))
      expect(reveal(stored.accessToken)).toBe(reveal(fresh))
      expect(yield* Fleet.refreshes).toHaveLength(1)
    }).pipe(Effect.provide(Fleet.layer()))
  )

  it.scoped("waits for the refresh once the token has expired", () =>
    Effect.gen(function* () {
      const store = yield* TokenStore.makeMemory
      const manager = yield* Fleet.node(store)
      const { tokens } = yield* Fleet.consent()
      yield* manager.onboard("car-1", tokens)
      yield* TestClock.adjust("2 hours")
      const fresh = yield* manager.accessToken("car-1")
      expect(reveal(fresh)).not.toBe(reveal(tokens.accessToken))
      expect(yield* Fleet.refreshes).toHaveLength(1)
    }).pipe(Effect.provide(Fleet.layer()))
  )

  it.scoped("an unknown grant is GrantNotFound; a second, different grant under one id is GrantExists", () =>
    Effect.gen(function* () {
      const manager = yield* Fleet.node(yield* TokenStore.makeMemory)
      expect(yield* Effect.flip(manager.accessToken("nobody"))).toMatchObject({
        _tag: "GrantNotFound",
        grantId: "nobody"
      })
      yield* Fleet.onboarded(manager, "car-1", Fleet.VINS[0])
      const { tokens } = yield* Fleet.consent(Fleet.VINS[1])
      expect(yield* Effect.flip(manager.onboard("car-1", tokens))).toMatchObject({ _tag: "GrantExists" })
    }).pipe(Effect.provide(Fleet.layer()))
  )

  it.scoped("revoke revokes at the server and kills the grant: GrantDead(RevokedByUs), its family revoked", () =>
    Effect.gen(function* () {
      const store = yield* TokenStore.makeMemory
      const manager = yield* Fleet.node(store)
      const authorizationId = yield* Fleet.onboarded(manager, "car-1")
      yield* manager.revoke("car-1")
      expect(yield* Effect.flip(manager.accessToken("car-1"))).toMatchObject({
        _tag: "GrantDead",
        reason: "RevokedByUs"
      })
      const family = yield* Fleet.familyOf(authorizationId)
      expect(family.refreshTokensRevoked?.reason).toBe("refresh_token_revoked")
      expect(Option.getOrThrow(yield* store.get("car-1")).deadReason).toEqual(Option.some("RevokedByUs"))
      // revoking a dead grant again is nothing to do
      yield* manager.revoke("car-1")
      expect(yield* Effect.flip(manager.revoke("nobody"))).toMatchObject({ _tag: "GrantNotFound" })
    }).pipe(Effect.provide(Fleet.layer()))
  )

  it.scoped("forget removes the grant from the store and from memory", () =>
    Effect.gen(function* () {
      const store = yield* TokenStore.makeMemory
      const manager = yield* Fleet.node(store)
      yield* Fleet.onboarded(manager, "car-1")
      expect(yield* manager.forget("car-1")).toBe(true)
      expect(yield* manager.forget("car-1")).toBe(false)
      expect(Option.isNone(yield* store.get("car-1"))).toBe(true)
      expect(yield* Effect.flip(manager.accessToken("car-1"))).toMatchObject({ _tag: "GrantNotFound" })
    }).pipe(Effect.provide(Fleet.layer()))
  )

  it.scoped("a withdrawn consent kills the grant at its next refresh: GrantDead(ConsentRevoked)", () =>
    Effect.gen(function* () {
      const manager = yield* Fleet.node(yield* TokenStore.makeMemory)
      const authorizationId = yield* Fleet.onboarded(manager, "car-1")
      const fake = yield* FakeServer.FakeServer
      yield* fake.withdraw(authorizationId)
      yield* TestClock.adjust("2 hours")
      expect(yield* Effect.flip(manager.accessToken("car-1"))).toMatchObject({
        _tag: "GrantDead",
        reason: "ConsentRevoked"
      })
    }).pipe(Effect.provide(Fleet.layer()))
  )

  it.scoped("invalidate refreshes only if the store still holds the rejected token", () =>
    Effect.gen(function* () {
      const manager = yield* Fleet.node(yield* TokenStore.makeMemory)
      yield* Fleet.onboarded(manager, "car-1")
      const first = yield* manager.accessToken("car-1")
      const second = yield* manager.invalidate("car-1", first)
      expect(reveal(second)).not.toBe(reveal(first))
      // a caller still holding the first token: the store moved on, so no second refresh
      expect(reveal(yield* manager.invalidate("car-1", first))).toBe(reveal(second))
      expect(reveal(yield* manager.accessToken("car-1"))).toBe(reveal(second))
      expect(yield* Fleet.refreshes).toHaveLength(1)
    }).pipe(Effect.provide(Fleet.layer()))
  )

  it.scoped("applicationToken: cached per scope, one request for concurrent callers, renewed ahead", () =>
    Effect.gen(function* () {
      const manager = yield* Fleet.node(yield* TokenStore.makeMemory, { clockSkew: 0 })
      const tokens = yield* Effect.all(
        Array.from({ length: 20 }, () => manager.applicationToken()),
        {
          concurrency: "unbounded"
        }
      )
      expect(new Set(tokens.map(reveal)).size).toBe(1)
      expect(yield* Fleet.requestsTo("POST", "/v1/access_tokens")).toBe(1)
      // five-minute tokens are renewed when a fifth of their life is left: at 4 minutes, in the background
      yield* TestClock.adjust("4 minutes")
      expect(reveal(yield* manager.applicationToken())).toBe(reveal(tokens[0]!))
      yield* Fleet.quiet(manager)
      expect(reveal(yield* manager.applicationToken())).not.toBe(reveal(tokens[0]!))
      expect(yield* Fleet.requestsTo("POST", "/v1/access_tokens")).toBe(2)
      expect((yield* manager.stats).applicationTokens).toBe(1)
    }).pipe(Effect.provide(Fleet.layer()))
  )

  it.scoped("events tell what happened: onboarded, refreshed, dead", () =>
    Effect.gen(function* () {
      const manager = yield* Fleet.node(yield* TokenStore.makeMemory)
      const collected = yield* Effect.fork(Stream.runCollect(Stream.take(manager.events, 3)))
      yield* subscribed
      yield* Fleet.onboarded(manager, "car-1")
      yield* TestClock.adjust("2 hours")
      yield* manager.accessToken("car-1")
      yield* manager.revoke("car-1")
      const events = [...(yield* Fiber.join(collected))]
      expect(events.map((event) => event._tag)).toEqual(["Onboarded", "Refreshed", "Dead"])
      expect(events[2]).toMatchObject({ grantId: "car-1", reason: "RevokedByUs" })
    }).pipe(Effect.provide(Fleet.layer()))
  )

  it.scoped("bad options are a ConfigError naming the option", () =>
    Effect.gen(function* () {
      const store = yield* TokenStore.makeMemory
      const build = (options: TokenManager.Options) =>
        TokenManager.make(options).pipe(Effect.provideService(TokenStore.TokenStore, store), Effect.flip)
      expect(String(yield* build({ leaseTime: "5 seconds" }))).toContain("leaseTime")
      expect(String(yield* build({ maxRefreshesInFlight: 0 }))).toContain("maxRefreshesInFlight")
      expect(String(yield* build({ pollInterval: 0 }))).toContain("pollInterval")
      expect(String(yield* build({ nodeId: " " }))).toContain("nodeId")
    }).pipe(Effect.provide(Fleet.layer()))
  )

  it.effect("layerConfig reads its options from Config", () =>
    Effect.gen(function* () {
      const exit = yield* Layer.build(TokenManager.layerConfig).pipe(
        Effect.scoped,
        Effect.provide(TokenStore.layerMemory),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["HM_OAUTH_LEASE_TIME", "1 second"]]))),
        Effect.exit
      )
      expect(Exit.isFailure(exit) && String(exit.cause)).toContain("leaseTime")
      const config = yield* HmOAuthConfig.HmOAuthConfig
      expect(config.clientId).toBe(Fleet.CLIENT.id)
    }).pipe(Effect.provide(Fleet.layer()))
  )

  it.scoped("no token value reaches a log line, a span or an event, and every operation is a span", () =>
    Effect.gen(function* () {
      const seen: Array<string> = []
      const spans: Array<Tracer.Span> = []
      const native = yield* Effect.tracer
      const tracer = Tracer.make({
        span: (...args) => {
          const span = native.span(...args)
          spans.push(span)
          return span
        },
        context: (f, fiber) => native.context(f, fiber)
      })
      const logger = Logger.make(({ annotations, cause, message }) => {
        seen.push(Inspectable.format({ message, annotations: HashMap.toEntries(annotations), cause: String(cause) }))
      })
      const run = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        effect.pipe(
          Effect.withTracer(tracer),
          Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
          Logger.withMinimumLogLevel(LogLevel.All)
        )
      const manager = yield* run(Fleet.node(yield* TokenStore.makeMemory))
      const events = yield* Effect.fork(Stream.runCollect(Stream.take(manager.events, 7)))
      yield* subscribed
      const fake = yield* FakeServer.FakeServer
      const first = yield* Fleet.consent(Fleet.VINS[0])
      const second = yield* Fleet.consent(Fleet.VINS[1], "pending")
      yield* run(manager.onboard("car-1", first.tokens))
      yield* run(manager.onboard("car-2", second.tokens))
      yield* run(Effect.flip(manager.accessToken("car-2")))
      yield* TestClock.adjust(2 * Fleet.HOUR)
      const refreshed = yield* run(manager.accessToken("car-1"))
      yield* run(manager.invalidate("car-1", refreshed))
      yield* fake.setFaults([Faults.sometimes("token", 1, Faults.serverError(503))])
      yield* run(manager.invalidate("car-1", yield* manager.accessToken("car-1")).pipe(Effect.flip))
      yield* fake.setFaults([Faults.sometimes("token", 1, Faults.commitThenLose)])
      yield* TestClock.adjust(2 * Fleet.HOUR)
      yield* run(Effect.flip(manager.accessToken("car-1")))
      yield* fake.setFaults([])
      yield* run(manager.applicationToken("vehicle:data"))
      yield* run(manager.revoke("car-2"))
      yield* run(manager.forget("car-2"))
      const published = [...(yield* Fiber.join(events))].map((event) => Inspectable.format(event))
      const state = yield* fake.state
      const secrets = [...Model.issuedValues(state), Fleet.CLIENT.secret]
      const text = [...seen, ...published, ...spans.map((span) => Inspectable.format([...span.attributes]))].join("\n")
      expect(seen.length).toBeGreaterThan(0)
      for (const secret of secrets) expect(text).not.toContain(secret)
      expect(new Set(spans.map((span) => span.name))).toEqual(
        new Set([
          "TokenManager.onboard",
          "TokenManager.accessToken",
          "TokenManager.refresh",
          "TokenManager.invalidate",
          "TokenManager.applicationToken",
          "TokenManager.renewApplicationToken",
          "TokenManager.revoke",
          "TokenManager.forget",
          "TokenEndpoint.refresh",
          "TokenEndpoint.clientCredentials",
          "VehicleInfo.get",
          "Revocation.revoke"
        ])
      )
    }).pipe(Effect.provide(Fleet.layer()))
  )
})
