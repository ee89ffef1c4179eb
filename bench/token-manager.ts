/**
 * The token manager, in memory, side by side with what it is held to:
 * - `cached`: one `accessToken` call on a fresh grant (1,000 grants, cycled), one after the other on one fiber,
 *   against the floor (an `Effect.sync` map lookup with the same expiry check) and a peer's cached path
 *   (`@badgateway/oauth2-client`'s `OAuth2Fetch.getToken`, one instance per grant), awaited from an Effect program
 *   as an Effect user calls it, and in a bare `await` loop for comparison. One more row wraps each call in a span
 *   of the caller's: what a span per cached call would cost.
 * - `storm`: 10,000 concurrent callers over 1,000 grants whose tokens just expired, against 1,000 bare
 *   `TokenEndpoint.refresh` calls at the same concurrency (all started at once, 64 in flight: the manager's most
 *   refreshes in flight). Every caller and every bare call is a fiber of its own. The figure is the round's wall time
 *   per grant; every round checks that the fake acted on exactly one refresh per grant. A third row runs the bare
 *   refreshes beside 9,000 fibers that only wait: 10,000 live fibers slow everything down (the garbage collector
 *   walks them all), whoever they wait on, and that row shows how much. A fourth row runs the storm with one caller
 *   per grant: as many fibers as the bare refreshes, so its ratio is the manager's own cost.
 */
import { OAuth2Client, OAuth2Fetch, type OAuth2Token } from "@badgateway/oauth2-client"
import { Credentials, HmOAuth, HmOAuthConfig, TokenEndpoint, TokenManager, TokenSet, TokenStore } from "@hm-oauth/core"
import { FakeServer, Model } from "@hm-oauth/testkit"
import { DateTime, Deferred, Effect, Fiber, Layer, ManagedRuntime, Option, Redacted } from "effect"
import { type Benchmark, type Contender, compare, type Summary } from "./harness.js"

const client = { id: "bench-fleet", secret: "bench-fleet-secret", redirectUris: ["https://bench.example/callback"] }
const vin = "WBA00000000000001"
const grants = 1_000
const callersPerGrant = 10
const maxRefreshesInFlight = 64

const core = HmOAuth.layer.pipe(
  Layer.provideMerge(
    HmOAuthConfig.layer({ clientId: client.id, credentials: Credentials.clientSecret(client.secret) })
  ),
  Layer.provideMerge(FakeServer.layer({ clients: [client], vehicles: [{ vin }] })),
  Layer.orDie
)

/** A fresh fake server, core over it, and one manager over a memory store. */
const managerRuntime = () =>
  ManagedRuntime.make(
    TokenManager.layer({ maxRefreshesInFlight }).pipe(
      Layer.provideMerge(TokenStore.layerMemory),
      Layer.provideMerge(core),
      Layer.orDie
    )
  )

/** `count` owners consent and the app exchanges each code: token sets the server will refresh. */
const consents = (count: number) =>
  Effect.gen(function* () {
    const fake = yield* FakeServer.FakeServer
    const endpoint = yield* TokenEndpoint.TokenEndpoint
    return yield* Effect.forEach(Array.from({ length: count }), () =>
      Effect.flatMap(fake.authorize({ clientId: client.id, redirectUri: client.redirectUris[0]!, vin }), ({ code }) =>
        endpoint.exchangeCode({ code, redirectUri: client.redirectUris[0]! })
      )
    )
  }).pipe(Effect.orDie)

/**
 * Refreshes the fake acted on, from its state: each mints an access and a refresh token (the bounded history would
 * forget the oldest requests of a long run).
 */
const refreshRequests = Effect.map(
  Effect.flatMap(FakeServer.FakeServer, (fake) => fake.state),
  (state) => Model.counts(state).tokens / 2
)

/**
 * Runs every effect on a fiber of its own, all at once, and waits for them all. (`Effect.all` with unbounded
 * concurrency spends more on its own bookkeeping than 10,000 callers cost the manager: about 100 µs a fiber here.)
 */
const concurrently = <A, E>(effects: ReadonlyArray<Effect.Effect<A, E>>) =>
  Effect.flatMap(
    Effect.forEach(effects, (effect) => Effect.fork(effect)),
    (fibers) => Effect.forEach(fibers, (fiber) => Fiber.join(fiber), { discard: true })
  )

const idOf = (n: number) => `car-${n % grants}`

/** The cached path's contenders, over one manager holding 1,000 fresh grants. */
const cachedContenders = async (runtime: ReturnType<typeof managerRuntime>): Promise<ReadonlyArray<Contender>> => {
  const manager = await runtime.runPromise(TokenManager.TokenManager)
  const sets = await runtime.runPromise(consents(grants))
  await runtime.runPromise(Effect.forEach(sets, (tokens, n) => manager.onboard(idOf(n), tokens)))
  const expected = sets.map((tokens) => Redacted.value(tokens.accessToken))
  const check = (token: Redacted.Redacted<string>, n: number) => {
    if (Redacted.value(token) !== expected[n % grants]) throw new Error(`wrong token for ${idOf(n)}`)
  }
  const loop =
    <E>(call: (n: number) => Effect.Effect<Redacted.Redacted<string>, E>) =>
    (count: number) =>
      runtime.runPromise(
        Effect.gen(function* () {
          const start = performance.now()
          for (let n = 0; n < count; n++) check(yield* call(n), n)
          return ((performance.now() - start) * 1000) / count
        })
      )

  // the floor: the same lookup and expiry check, with nothing else
  const floorMap = new Map(
    sets.map((tokens, n) => [idOf(n), { token: tokens.accessToken, expiresAt: tokens.expiresAt.epochMillis }])
  )
  const floor = (n: number) =>
    Effect.sync(() => {
      const entry = floorMap.get(idOf(n))
      if (entry === undefined || Date.now() >= entry.expiresAt) throw new Error("the floor's token expired")
      return entry.token
    })

  // the peer: one OAuth2Fetch per grant (it holds one token), its token set as a stored one, no refresh timers
  const oauth2 = new OAuth2Client({ server: "https://bench.example", clientId: client.id })
  const peers = sets.map((tokens) => {
    const token: OAuth2Token = {
      accessToken: Redacted.value(tokens.accessToken),
      refreshToken: Option.getOrNull(Option.map(tokens.refreshToken, Redacted.value)),
      expiresAt: tokens.expiresAt.epochMillis
    }
    return new OAuth2Fetch({
      client: oauth2,
      getNewToken: () => token,
      getStoredToken: () => token,
      scheduleRefresh: false
    })
  })
  await Promise.all(peers.map((peer) => peer.getToken()))
  const checkPeer = (token: OAuth2Token, n: number) => {
    if (token.accessToken !== expected[n % grants]) throw new Error(`wrong peer token for ${idOf(n)}`)
  }

  return [
    { name: floorName, group: "cached", round: loop(floor) },
    { name: managerName, group: "cached", round: loop((n) => manager.accessToken(idOf(n))) },
    {
      name: "accessToken in a caller's span",
      group: "cached",
      round: loop((n) => Effect.withSpan(manager.accessToken(idOf(n)), "caller"))
    },
    {
      name: peerName,
      group: "cached",
      round: (count) =>
        runtime.runPromise(
          Effect.gen(function* () {
            const start = performance.now()
            for (let n = 0; n < count; n++) checkPeer(yield* Effect.promise(() => peers[n % grants]!.getToken()), n)
            return ((performance.now() - start) * 1000) / count
          })
        )
    },
    {
      name: "OAuth2Fetch.getToken, bare await loop",
      group: "cached",
      round: async (count) => {
        const start = performance.now()
        for (let n = 0; n < count; n++) checkPeer(await peers[n % grants]!.getToken(), n)
        return ((performance.now() - start) * 1000) / count
      }
    }
  ]
}

/** Token sets of fresh consents whose access tokens the client takes for expired: the server still refreshes them. */
const expired = (count: number) =>
  Effect.map(consents(count), (sets) =>
    sets.map((tokens) => new TokenSet.TokenSet({ ...tokens, expiresAt: DateTime.unsafeMake(Date.now() - 1_000) }))
  )

/** The storm's contenders; each round refreshes 1,000 new grants, so a round's wall time ÷ 1,000 is its figure. */
const stormContenders = (
  runtime: ReturnType<typeof managerRuntime>,
  verdicts: Array<string>
): ReadonlyArray<Contender> => {
  let round = 0
  // a smoke run's rounds are tiny: then the storm is as many grants as the round has calls
  /** 1,000 bare refreshes, 64 in flight, every one a fiber of its own; beside `idle` fibers that only wait. */
  const bare = (name: string, idle: number): Contender => ({
    name,
    group: "storm",
    round: async (perRound) => {
      const size = Math.min(grants, perRound)
      const sets = await runtime.runPromise(expired(size))
      const before = await runtime.runPromise(refreshRequests)
      const start = performance.now()
      await runtime.runPromise(
        Effect.gen(function* () {
          const endpoint = yield* TokenEndpoint.TokenEndpoint
          const permits = yield* Effect.makeSemaphore(maxRefreshesInFlight)
          const released = yield* Deferred.make<void>()
          const waiting = yield* Effect.forEach(Array.from({ length: (idle * size) / grants }), () =>
            Effect.fork(Deferred.await(released))
          )
          yield* concurrently(
            sets.map((tokens) => permits.withPermits(1)(endpoint.refresh(Option.getOrThrow(tokens.refreshToken))))
          )
          yield* Deferred.succeed(released, undefined)
          yield* Effect.forEach(waiting, Fiber.join, { discard: true })
        })
      )
      const elapsed = performance.now() - start
      if ((await runtime.runPromise(refreshRequests)) - before !== size) throw new Error("bare refreshes went astray")
      return (elapsed * 1000) / size
    }
  })
  /** `callers` concurrent `accessToken` callers (a fiber each) spread over 1,000 grants that just expired. */
  const storm = (name: string, callers: number): Contender => ({
    name,
    group: "storm",
    round: async (perRound) => {
      const size = Math.min(grants, perRound)
      round += 1
      const prefix = `storm-${round}-`
      const sets = await runtime.runPromise(expired(size))
      const manager = await runtime.runPromise(TokenManager.TokenManager)
      await runtime.runPromise(Effect.forEach(sets, (tokens, n) => manager.onboard(`${prefix}${n}`, tokens)))
      const before = await runtime.runPromise(refreshRequests)
      const start = performance.now()
      await runtime.runPromise(
        concurrently(
          Array.from({ length: (callers * size) / grants }, (_, n) => manager.accessToken(`${prefix}${n % size}`))
        )
      )
      const elapsed = performance.now() - start
      const refreshes = (await runtime.runPromise(refreshRequests)) - before
      verdicts.push(`${refreshes} for ${size} grants`)
      if (refreshes !== size) throw new Error(`the storm sent ${refreshes} refreshes for ${size} grants`)
      await runtime.runPromise(Effect.forEach(sets, (_, n) => manager.forget(`${prefix}${n}`)))
      return (elapsed * 1000) / size
    }
  })
  return [
    bare(bareName, 0),
    bare(idleName, grants * (callersPerGrant - 1)),
    storm(stormName, grants * callersPerGrant),
    storm(oneCallerName, grants)
  ]
}

const floorName = "Effect.sync map lookup (floor)"
const managerName = "TokenManager.accessToken"
const peerName = "OAuth2Fetch.getToken from Effect"
const bareName = "1,000 bare refreshes"
const stormName = "storm: 10,000 callers"
const idleName = "1,000 bare refreshes beside 9,000 waiting fibers"
const oneCallerName = "storm: 1,000 callers, one per grant"

const verdict = (met: boolean) => (met ? "met" : "missed")

const find = (contenders: ReadonlyArray<Summary>, name: string) =>
  contenders.find((contender) => contender.name === name)

const targets = (contenders: ReadonlyArray<Summary>, refreshCounts: ReadonlyArray<string>): ReadonlyArray<string> => {
  const manager = find(contenders, managerName)
  const storm = find(contenders, stormName)
  const notes: Array<string> = []
  const floorRatio = manager?.ratios[floorName]
  const peerRatio = manager?.ratios[peerName]
  if (floorRatio !== undefined)
    notes.push(`target cached ≤ 3× the floor: ${floorRatio.toFixed(2)}×, ${verdict(floorRatio <= 3)}`)
  if (peerRatio !== undefined)
    notes.push(`target cached faster than the peer: ${peerRatio.toFixed(2)}× its time, ${verdict(peerRatio < 1)}`)
  const stormRatio = storm?.ratios[bareName]
  const fiberRatio = storm?.ratios[idleName]
  const oneCallerRatio = find(contenders, oneCallerName)?.ratios[bareName]
  if (oneCallerRatio !== undefined) {
    notes.push(
      `the storm with one caller per grant against the bare refreshes, as many fibers on each side: ${oneCallerRatio.toFixed(2)}× ` +
        "(the manager's own cost: store reads and writes, lease, flight, spans)"
    )
  }
  if (fiberRatio !== undefined) {
    notes.push(
      `the storm against bare refreshes beside as many waiting fibers as it has callers: ${fiberRatio.toFixed(2)}× ` +
        "(what is left once the cost of 10,000 live fibers, not the manager's, is on both sides)"
    )
  }
  if (stormRatio !== undefined) {
    notes.push(
      `target storm ≤ 1.5× the bare refreshes: ${stormRatio.toFixed(2)}×, ${verdict(stormRatio <= 1.5)}; ` +
        `refresh requests at the fake per storm round: ${[...new Set(refreshCounts)].join("; ")} (one per grant expected)`
    )
  }
  return notes
}

export const benchmark: Benchmark = {
  name: "token-manager",
  title:
    "TokenManager in memory: a cached accessToken against the floor and a peer; a storm of 10,000 callers on 1,000 expired grants against bare refreshes",
  unit: "µs/op",
  perRoundUnit: "calls (cached; a storm round is always 1,000 grants)",
  settings: {
    full: { rounds: 15, warmupRounds: 3, perRound: 100_000 },
    smoke: { rounds: 1, warmupRounds: 0, perRound: 100 }
  },
  run: async (options) => {
    const cached = managerRuntime()
    const stormy = managerRuntime()
    const refreshCounts: Array<string> = []
    try {
      const contenders = [...(await cachedContenders(cached)), ...stormContenders(stormy, refreshCounts)]
      const comparison = await compare(contenders, options, [floorName, peerName, bareName, idleName])
      return {
        ...comparison,
        notes: [
          "cached: µs per call, one after the other; storm: wall time of the round ÷ 1,000 grants",
          ...targets(comparison.contenders, refreshCounts)
        ]
      }
    } finally {
      await Promise.all([cached.dispose(), stormy.dispose()])
    }
  }
}
