/**
 * A fleet node: one process holding a `TokenManager` over a SQLite file, as an application's backend would, run by
 * the fleet walkthrough (`fleet.ts`) as a child process so that it can be killed for real. Everything it needs comes
 * from the environment the walkthrough sets: the client (`HM_OAUTH_CLIENT_ID`, `HM_OAUTH_CLIENT_SECRET`,
 * `HM_OAUTH_BASE_URL`, `HM_OAUTH_CONSENT_PAGE_URL`), the store (`HM_OAUTH_STORE_URL`, and `HM_OAUTH_STORE_KEY` or
 * `HM_OAUTH_STORE_PLAINTEXT`) and the node's name (`HM_OAUTH_NODE_ID`). Commands come over IPC (`fleetProtocol.ts`);
 * the node exits when the walkthrough closes the channel.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { NodeFileSystem, NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import {
  Authorization,
  HmOAuth,
  HmOAuthConfig,
  TokenEndpoint,
  TokenManager,
  TokenStore,
  VehicleInfo
} from "@hm-oauth/core"
import { SqlTokenStore } from "@hm-oauth/sql"
import { Config, Duration, Effect, Layer, Logger, LogLevel, Option, type Redacted, Schema, Stream } from "effect"
import * as FakeClock from "./fakeClock.js"
import { Command, type ReadDone, Report } from "./fleetProtocol.js"

/** Reads under way at once, like the requests of a busy backend. */
const concurrency = 64

const NodeLive = TokenManager.layerConfig.pipe(
  Layer.provideMerge(SqlTokenStore.layerConfig),
  Layer.provideMerge(HmOAuth.layer),
  Layer.provideMerge(HmOAuthConfig.layerConfig),
  Layer.provideMerge(Layer.merge(NodeHttpClient.layerUndici, NodeFileSystem.layer))
)

const encodeReport = Schema.encodeSync(Report)

/** Sends a report to the walkthrough, once Node has handed it over. */
const send = (report: Report) =>
  Effect.async<void>((resume) => {
    process.send?.(encodeReport(report), undefined, {}, () => resume(Effect.void))
  })

/** The walkthrough's commands, until it closes the channel. */
const commands = Stream.async<unknown>((emit) => {
  process.on("message", (message) => void emit.single(message))
  process.once("disconnect", () => void emit.end())
}).pipe(Stream.mapEffect((message) => Schema.decodeUnknown(Command)(message)))

/** Progress every fiftieth of the way, so the walkthrough's bar moves without a message per read. */
const progress = (total: number) => {
  let done = 0
  const step = Math.max(1, Math.ceil(total / 50))
  return Effect.suspend(() => {
    done += 1
    return done % step === 0 || done === total ? send({ _tag: "Progress", done, total }) : Effect.void
  })
}

/** Consent as the owner would on the consent page (answered at once for the car `vin=` names), then the exchange. */
const onboardCar = (vin: string, redirectUri: string, pending: boolean) =>
  Effect.gen(function* () {
    const request = yield* Authorization.begin({ redirectUri, pkce: true })
    const page = yield* HttpClient.get(`${request.url}&vin=${vin}${pending ? "&status=pending" : ""}`)
    const code = yield* Authorization.parseCallback(page.headers.location ?? "", request.state)
    const tokens = yield* (yield* TokenEndpoint.TokenEndpoint).exchangeCode({ ...request, code })
    yield* (yield* TokenManager.TokenManager).onboard(vin, tokens)
  })

/** Every grant id in the store, page by page. */
const grantIds = Effect.gen(function* () {
  const store = yield* TokenStore.TokenStore
  const ids: Array<string> = []
  let after: string | undefined
  do {
    const page = yield* store.scan({ after, limit: 1000 })
    ids.push(...page.records.map((record) => record.grantId))
    after = Option.getOrUndefined(page.next)
  } while (after !== undefined)
  return ids
})

/** How one read ended. */
type Outcome =
  | { readonly _tag: "Valid" }
  | { readonly _tag: "Pending" }
  | { readonly _tag: "Dead"; readonly reason: string }
  | { readonly _tag: "Failed"; readonly error: string }

const valid: Outcome = { _tag: "Valid" }

/** A token for the car, then vehicle info with it; a token the API refuses is replaced once (`invalidate`). */
const readCar = (grantId: string, latencies: Array<number>) =>
  Effect.gen(function* () {
    const manager = yield* TokenManager.TokenManager
    const vehicles = yield* VehicleInfo.VehicleInfo
    const [took, token] = yield* Effect.timed(manager.accessToken(grantId))
    latencies.push(Duration.toMillis(took))
    const read = (accessToken: Redacted.Redacted<string>) =>
      Effect.filterOrFail(
        vehicles.get(accessToken),
        (car) => car.vin === grantId,
        (car) => ({ _tag: "WrongCar", message: `vehicle info answered for ${car.vin}` }) as const
      )
    yield* read(token).pipe(
      Effect.catchTag("Unauthorized", () => Effect.flatMap(manager.invalidate(grantId, token), read))
    )
    return valid
  }).pipe(
    Effect.catchAll(
      (error): Effect.Effect<Outcome> =>
        Effect.succeed(
          error._tag === "GrantPending"
            ? { _tag: "Pending" }
            : error._tag === "GrantDead"
              ? { _tag: "Dead", reason: error.reason }
              : { _tag: "Failed", error: `${error._tag}: ${error.message}` }
        )
    )
  )

/** Counts of the manager's `Refreshed` events, the rest of its events sent as they happen. */
const watchEvents = (tally: { refreshed: number; recovered: number }) =>
  Effect.flatMap(TokenManager.TokenManager, (manager) =>
    manager.events.pipe(
      Stream.runForEach((event) => {
        switch (event._tag) {
          case "Refreshed":
            tally.refreshed += 1
            if (event.recovered) tally.recovered += 1
            return Effect.void
          case "Onboarded":
            return Effect.void
          case "Approved":
            return send({ _tag: "Event", event: event._tag, grantId: event.grantId, detail: "consent approved" })
          case "Dead":
            return send({ _tag: "Event", event: event._tag, grantId: event.grantId, detail: event.reason })
          case "TransientFailure":
            return send({ _tag: "Event", event: event._tag, grantId: event.grantId, detail: event.cause })
          case "LeaseLost":
            return send({ _tag: "Event", event: event._tag, grantId: event.grantId, detail: "lease ran out" })
        }
      })
    )
  )

/** The node's clock, which follows the fake's as `SetClock` tells it. */
const clock = FakeClock.make()

const onboard = (vins: ReadonlyArray<string>, pending: ReadonlyArray<string>, redirectUri: string) =>
  Effect.gen(function* () {
    const step = progress(vins.length)
    yield* Effect.forEach(vins, (vin) => Effect.zipRight(onboardCar(vin, redirectUri, pending.includes(vin)), step), {
      concurrency,
      discard: true
    })
    return yield* send({ _tag: "Onboarded", active: vins.length - pending.length, pending: pending.length })
  })

const readAll = (rounds: number, tally: { refreshed: number; recovered: number }) =>
  Effect.gen(function* () {
    const ids = yield* grantIds
    const before = { ...tally }
    const latencies: Array<number> = []
    const outcomes = new Map<string, Outcome>()
    // a car's reads side by side, so that they meet in one refresh
    const reads = ids.flatMap((grantId) => Array.from({ length: rounds }, () => grantId))
    const step = progress(reads.length)
    let valid = 0
    yield* Effect.forEach(
      reads,
      (grantId) =>
        Effect.flatMap(readCar(grantId, latencies), (outcome) => {
          if (outcome._tag === "Valid") valid += 1
          outcomes.set(grantId, outcome)
          return step
        }),
      { concurrency, discard: true }
    )
    const ended = [...outcomes].map(([grantId, outcome]) => ({ grantId, outcome }))
    // once more for every car that answered, now that its token is in memory: the path most calls take
    const manager = yield* TokenManager.TokenManager
    const fromMemory: Array<number> = []
    for (const { grantId, outcome } of ended) {
      if (outcome._tag !== "Valid") continue
      const [took] = yield* Effect.timed(manager.accessToken(grantId))
      fromMemory.push(Duration.toMillis(took))
    }
    const done: ReadDone = {
      _tag: "ReadDone",
      grants: ids.length,
      reads: reads.length,
      valid,
      pending: ended.flatMap(({ grantId, outcome }) => (outcome._tag === "Pending" ? [grantId] : [])),
      dead: ended.flatMap(({ grantId, outcome }) =>
        outcome._tag === "Dead" ? [{ grantId, reason: outcome.reason }] : []
      ),
      failed: ended.flatMap(({ grantId, outcome }) =>
        outcome._tag === "Failed" ? [{ grantId, error: outcome.error }] : []
      ),
      latencies,
      fromMemory,
      refreshed: tally.refreshed - before.refreshed,
      recovered: tally.recovered - before.recovered
    }
    return yield* send(done)
  })

const node = Effect.gen(function* () {
  const tally = { refreshed: 0, recovered: 0 }
  yield* Effect.forkScoped(watchEvents(tally))
  yield* send({ _tag: "Ready", nodeId: yield* Config.string("HM_OAUTH_NODE_ID") })
  yield* commands.pipe(
    Stream.runForEach((command) =>
      Effect.gen(function* () {
        switch (command._tag) {
          case "SetClock":
            clock.follow(command.now)
            return yield* send({ _tag: "ClockSet", now: clock.unsafeCurrentTimeMillis() })
          case "Onboard":
            return yield* onboard(command.vins, command.pending, command.redirectUri)
          case "Read":
            return yield* readAll(command.rounds, tally)
        }
      })
    )
  )
})

// the walkthrough prints what happens from the events; the manager's own log lines are kept to errors
NodeRuntime.runMain(
  node.pipe(
    Effect.scoped,
    Effect.provide(NodeLive),
    Logger.withMinimumLogLevel(LogLevel.Error),
    Effect.withClock(clock)
  )
)
