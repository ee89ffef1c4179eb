/**
 * A fleet of cars behind the in-memory fake server, and token managers ("nodes") over one shared store: what the
 * token manager's tests build on. The fake's default policy is the strictest server: refresh tokens rotate, and a
 * superseded one coming back revokes its family at once (reuse grace 0). Time is the `TestClock`.
 */
import { FakeServer, Model } from "@hm-oauth/testkit"
import { Chunk, Clock, Effect, Fiber, Layer, Option, Redacted, Schedule, Stream, TestClock } from "effect"
import {
  Credentials,
  HmOAuth,
  HmOAuthConfig,
  type Revocation,
  TokenEndpoint,
  TokenManager,
  type TokenSet,
  TokenStore,
  type VehicleInfo
} from "../../src/index.js"

export const CLIENT = { id: "fleet-app", secret: "fleet-secret-7c1d", redirectUris: ["https://fleet.example/callback"] }
export const VINS = ["WBA00000000000001", "WBA00000000000002", "WBA00000000000003", "WBA00000000000004"]
export const ACCESS_TOKEN_LIFETIME = 3_600_000
export const HOUR = 3_600_000

/** What a test gets: core's services acting as `CLIENT`, and the fake server's control service. */
export type Services =
  | TokenEndpoint.TokenEndpoint
  | Revocation.Revocation
  | VehicleInfo.VehicleInfo
  | HmOAuthConfig.HmOAuthConfig
  | FakeServer.FakeServer

/** Core over a fresh in-memory fake serving `CLIENT` and `VINS`; retries of idempotent calls without delay. */
export const layer = (
  server: Partial<FakeServer.Options> = {},
  config: Partial<HmOAuthConfig.Options> = {}
): Layer.Layer<Services> =>
  HmOAuth.layer.pipe(
    Layer.provideMerge(
      HmOAuthConfig.layer({
        clientId: CLIENT.id,
        credentials: Credentials.clientSecret(CLIENT.secret),
        retrySchedule: Schedule.recurs(2),
        ...config
      })
    ),
    Layer.provideMerge(FakeServer.layer({ clients: [CLIENT], vehicles: VINS.map((vin) => ({ vin })), ...server })),
    Layer.orDie
  )

/** The owner of `vin` consents (pending the carmaker's approval if asked) and the app exchanges the code. */
export const consent = (vin: string = VINS[0]!, status: "approved" | "pending" = "approved") =>
  Effect.gen(function* () {
    const fake = yield* FakeServer.FakeServer
    const { authorizationId, code } = yield* fake.authorize({
      clientId: CLIENT.id,
      redirectUri: CLIENT.redirectUris[0]!,
      vin,
      status
    })
    const tokens: TokenSet.TokenSet = yield* (yield* TokenEndpoint.TokenEndpoint).exchangeCode({
      code,
      redirectUri: CLIENT.redirectUris[0]!
    })
    return { tokens, authorizationId }
  }).pipe(Effect.orDie)

/** A manager over `store`, in the test's scope: one "node" of a fleet sharing the store. */
export const node = (store: TokenStore.Service, options: TokenManager.Options = {}) =>
  TokenManager.make(options).pipe(Effect.provideService(TokenStore.TokenStore, store), Effect.orDie)

/** A grant consented and onboarded through `manager` under the id `grantId`; its authorization id. */
export const onboarded = (manager: TokenManager.Service, grantId: string, vin?: string, status?: "pending") =>
  Effect.gen(function* () {
    const { authorizationId, tokens } = yield* consent(vin, status)
    yield* manager.onboard(grantId, tokens).pipe(Effect.orDie)
    return authorizationId
  })

/** The refresh requests the server acted on, oldest first, each with the handle of the refresh token it spent. */
export const refreshes = Effect.map(FakeServer.FakeServer, (fake) => fake.history).pipe(
  Effect.flatten,
  Effect.map((history) =>
    history.flatMap((entry: Model.HistoryEntry) =>
      entry.method === "POST" &&
      entry.request !== undefined &&
      entry.request !== "<malformed>" &&
      entry.request.grant_type === "refresh_token"
        ? [{ refreshToken: String(entry.request.refresh_token), status: entry.status }]
        : []
    )
  )
)

/** How many requests of `method` `path` the server acted on. */
export const requestsTo = (method: string, path: string) =>
  Effect.map(
    Effect.flatMap(FakeServer.FakeServer, (fake) => fake.history),
    (history) => history.filter((entry) => entry.method === method && entry.path === path).length
  )

/** The server's family of a consent: its lineage, and whether its refresh tokens were revoked. */
export const familyOf = (authorizationId: string) =>
  Effect.map(
    Effect.flatMap(FakeServer.FakeServer, (fake) => fake.families),
    (families) => families.filter((family) => family.authorizationId === authorizationId).at(-1)!
  )

/** The handle the server knows a stored refresh token by, to compare with a family's lineage. */
export const handleOfStored = (store: TokenStore.Service, grantId: string) =>
  Effect.gen(function* () {
    const record = Option.getOrThrow(yield* store.get(grantId))
    const state = yield* (yield* FakeServer.FakeServer).state
    return Option.getOrThrow(Model.handleOf(state, Redacted.value(Option.getOrThrow(record.refreshToken))))
  })

/**
 * Runs `effect` on a fiber while moving the TestClock to each pending sleep in turn, until it ends: for what
 * waits on leases, backoffs and retries. Hands back its exit.
 */
export const drive = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(effect)
    for (let step = 0; step < 1000; step++) {
      yield* Effect.yieldNow()
      const exit = yield* Fiber.poll(fiber)
      if (Option.isSome(exit)) return exit.value
      const now = yield* Clock.currentTimeMillis
      const next = Chunk.reduce(yield* TestClock.sleeps(), Number.POSITIVE_INFINITY, (earliest, at) =>
        at > now ? Math.min(earliest, at) : earliest
      )
      yield* TestClock.adjust(next === Number.POSITIVE_INFINITY ? 0 : next - now)
    }
    return yield* Effect.dieMessage("the effect did not end within 1000 steps of the clock")
  })

/** Lets the manager's background flights end, time standing still: for renewals ahead of expiry. */
export const quiet = (manager: TokenManager.Service) =>
  Effect.gen(function* () {
    for (let turn = 0; turn < 10_000; turn++) {
      if ((yield* manager.stats).flights === 0) return
      yield* Effect.yieldNow()
    }
    return yield* Effect.dieMessage("the manager's flights did not end")
  })

/** Subscribes to the manager's events now; the effect it returns waits for the first one tagged `tag`. */
export const nextEvent = <Tag extends TokenManager.TokenEvent["_tag"]>(manager: TokenManager.Service, tag: Tag) =>
  Effect.gen(function* () {
    const first = yield* Effect.fork(Stream.runHead(Stream.filter(manager.events, (event) => event._tag === tag)))
    yield* Effect.yieldNow()
    return Effect.map(Fiber.join(first), Option.getOrThrow)
  })
