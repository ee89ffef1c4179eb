/**
 * `TokenManager` over the SQL stores, side by side with the memory store, in one run:
 * - `refresh`: refresh cycles per second through the PostgreSQL store from 1, 2 and 4 processes
 *   (`sql-refresher.ts`), against one process over the memory store. Every process is a `TokenManager` with 8
 *   refreshes in flight over grants of its own, against the served fake (in this process: the processes measured are
 *   the children). A cycle is a cached `accessToken` and an `invalidate` of that token, which refreshes it: a read,
 *   the claim, the refresh at the fake, the commit. The figure is the round's wall time over its cycles, all
 *   processes together, so the rate column is the fleet's throughput.
 * - `cached`: `accessToken` on fresh grants (1,000, cycled) one call after the other, over the SQLite and the
 *   PostgreSQL store against the memory store: the manager's memory serves them all, so all should cost the same.
 * - Under the table: the statements (each one round trip: no transaction) a refresh cycle runs on each store, counted
 *   from `@effect/sql`'s spans as the store's own test counts them.
 *
 * The benchmark starts its own PostgreSQL server (the test suite's child-process helper) and SQLite file.
 */
import { type ChildProcess, fork } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Credentials, HmOAuth, HmOAuthConfig, TokenEndpoint, TokenManager, TokenStore } from "@hm-oauth/core"
import { SqlTokenStore } from "@hm-oauth/sql"
import { FakeHttpServer, FakeServer } from "@hm-oauth/testkit"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { type Benchmark, type Contender, compare } from "./harness.js"
import { encryptionOf, fleetClient, fleetVin, freshKeyText } from "./sql-fleet.js"

/** The SQL tests' helpers, plain JavaScript loaded as they are: from `bench/dist/`, two levels up. */
const support = (file: string) => new URL(`../../packages/sql/test/support/${file}`, import.meta.url).href
const { spawnPostgres }: typeof import("../packages/sql/test/support/postgres.mjs") = await import(
  support("postgres.mjs")
)
const { statementCounter }: typeof import("../packages/sql/test/support/statements.mjs") = await import(
  support("statements.mjs")
)

const redirectUri = fleetClient.redirectUris[0]!
const grantsPerProcess = 32
const inFlight = 8
const cachedGrants = 1_000
/** A cached call is some ten thousand times cheaper than a refresh: a cached round makes this many more calls. */
const cachedScale = 100
const memoryRefresh = "memory store, 1 process"
const memoryCached = "memory store"

/** What a refresher is told (see `sql-refresher.ts`). */
type RefresherCommand = { readonly onboard: ReadonlyArray<string> } | { readonly refreshes: number }

interface Refresher {
  readonly child: ChildProcess
  /** Sends a command and resolves with the child's answer (milliseconds of work). */
  readonly ask: (command: RefresherCommand) => Promise<number>
}

const startRefresher = async (baseUrl: string, store: string, keyText: string): Promise<Refresher> => {
  const child = fork(
    fileURLToPath(new URL("./sql-refresher.js", import.meta.url)),
    [baseUrl, store, String(inFlight)],
    {
      execArgv: [],
      env: { ...process.env, HM_OAUTH_STORE_KEY: keyText },
      stdio: ["ignore", "inherit", "inherit", "ipc"]
    }
  )
  const answer = () =>
    new Promise<number>((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`a refresher exited with ${code}`))
      child.once("exit", exited)
      child.once("message", (message: { readonly millis?: number }) => {
        child.off("exit", exited)
        resolve(message.millis ?? 0)
      })
    })
  await answer()
  return {
    child,
    ask: (command) => {
      const answered = answer()
      child.send(command)
      return answered
    }
  }
}

const config = (baseUrl?: string) =>
  HmOAuthConfig.layer({
    clientId: fleetClient.id,
    credentials: Credentials.clientSecret(fleetClient.secret),
    ...(baseUrl === undefined ? {} : { baseUrl })
  })

/** A manager over `store`, against a fake in memory of its own: the cached contenders and the statement counts. */
const inMemoryFleet = (store: Layer.Layer<TokenStore.TokenStore, unknown>) =>
  ManagedRuntime.make(
    TokenManager.layer().pipe(
      Layer.provideMerge(store),
      Layer.provideMerge(HmOAuth.layer),
      Layer.provideMerge(config()),
      Layer.provideMerge(FakeServer.layer({ clients: [fleetClient], vehicles: [{ vin: fleetVin }] })),
      Layer.orDie
    )
  )
type Fleet = ReturnType<typeof inMemoryFleet>

/** Grants onboarded through consent and code exchange; their access tokens, by grant id. */
const onboard = (fleet: Fleet, grantIds: ReadonlyArray<string>) =>
  fleet.runPromise(
    Effect.gen(function* () {
      const fake = yield* FakeServer.FakeServer
      const endpoint = yield* TokenEndpoint.TokenEndpoint
      const manager = yield* TokenManager.TokenManager
      const tokens = new Map<string, string>()
      for (const grantId of grantIds) {
        const { code } = yield* fake.authorize({ clientId: fleetClient.id, redirectUri, vin: fleetVin })
        const set = yield* endpoint.exchangeCode({ code, redirectUri })
        yield* manager.onboard(grantId, set)
        tokens.set(grantId, Redacted.value(set.accessToken))
      }
      return tokens
    }).pipe(Effect.orDie)
  )

const cachedContender = async (name: string, fleet: Fleet): Promise<Contender> => {
  const expected = await onboard(
    fleet,
    Array.from({ length: cachedGrants }, (_, n) => `car-${n}`)
  )
  const manager = await fleet.runPromise(TokenManager.TokenManager)
  return {
    name,
    group: "cached",
    round: (perRound) =>
      fleet.runPromise(
        Effect.gen(function* () {
          const count = perRound * cachedScale
          const start = performance.now()
          for (let n = 0; n < count; n++) {
            const grantId = `car-${n % cachedGrants}`
            if (Redacted.value(yield* manager.accessToken(grantId)) !== expected.get(grantId)) {
              throw new Error(`wrong token for ${grantId}`)
            }
          }
          return ((performance.now() - start) * 1000) / count
        })
      )
  }
}

/**
 * The statements one refresh cycle runs on `store` (after one that warms the connection), and one cached call: the
 * manager is built inside the counter, so the refreshes it forks are counted too.
 */
const statementsPerRefresh = (store: Layer.Layer<TokenStore.TokenStore, unknown>) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const counter = yield* statementCounter
      const manager = yield* counter.counting(TokenManager.make())
      const fake = yield* FakeServer.FakeServer
      const endpoint = yield* TokenEndpoint.TokenEndpoint
      const { code } = yield* fake.authorize({ clientId: fleetClient.id, redirectUri, vin: fleetVin })
      yield* manager.onboard("counted", yield* endpoint.exchangeCode({ code, redirectUri }))
      const cycle = Effect.flatMap(manager.accessToken("counted"), (token) => manager.invalidate("counted", token))
      const counted = <A, E>(effect: Effect.Effect<A, E>) =>
        Effect.gen(function* () {
          const before = counter.statements.length
          yield* effect
          return counter.statements.slice(before)
        })
      yield* cycle
      return { refresh: yield* counted(cycle), cached: yield* counted(manager.accessToken("counted")) }
    }).pipe(
      Effect.scoped,
      Effect.provide(
        Layer.mergeAll(store, HmOAuth.layer).pipe(
          Layer.provideMerge(config()),
          Layer.provideMerge(FakeServer.layer({ clients: [fleetClient], vehicles: [{ vin: fleetVin }] }))
        )
      ),
      Effect.orDie
    )
  )

export const benchmark: Benchmark = {
  name: "sql-store",
  title:
    "TokenManager over the SQL stores beside the memory store: refresh cycles from 1, 2 and 4 processes over PostgreSQL, cached accessToken",
  unit: "µs/op",
  rate: "op/s",
  perRoundUnit: "refresh cycles (cached: ×100 calls)",
  settings: {
    full: { rounds: 5, warmupRounds: 1, perRound: 200 },
    smoke: { rounds: 1, warmupRounds: 0, perRound: 16 }
  },
  run: async (options) => {
    const postgres = await spawnPostgres()
    const scratch = mkdtempSync(join(tmpdir(), "hm-oauth-bench-sql-"))
    const keyText = freshKeyText()
    const encryption = encryptionOf(keyText)
    const fake = ManagedRuntime.make(
      FakeHttpServer.layer({ clients: [fleetClient], vehicles: [{ vin: fleetVin }] }).pipe(Layer.orDie)
    )
    const refreshers: Array<Refresher> = []
    const fleets: Array<Fleet> = []
    try {
      const server = await fake.runPromise(FakeServer.FakeServer)
      const baseUrl = await fake.runPromise(FakeHttpServer.baseUrl)
      const codes = (count: number) =>
        Effect.runPromise(
          Effect.forEach(Array.from({ length: count }), () =>
            Effect.map(server.authorize({ clientId: fleetClient.id, redirectUri, vin: fleetVin }), ({ code }) =>
              Redacted.value(code)
            )
          ).pipe(Effect.orDie)
        )
      /** `processes` refreshers over `store`, each with grants of its own. */
      const refreshContender = async (name: string, store: string, processes: number): Promise<Contender> => {
        const own = await Promise.all(Array.from({ length: processes }, () => startRefresher(baseUrl, store, keyText)))
        refreshers.push(...own)
        for (const refresher of own) await refresher.ask({ onboard: await codes(grantsPerProcess) })
        return {
          name,
          group: "refresh",
          round: async (perRound) => {
            const start = performance.now()
            await Promise.all(own.map((refresher) => refresher.ask({ refreshes: Math.ceil(perRound / processes) })))
            return ((performance.now() - start) * 1000) / (Math.ceil(perRound / processes) * processes)
          }
        }
      }
      const refresh = [
        await refreshContender(memoryRefresh, "memory", 1),
        await refreshContender("PostgreSQL, 1 process", postgres.url, 1),
        await refreshContender("PostgreSQL, 2 processes", postgres.url, 2),
        await refreshContender("PostgreSQL, 4 processes", postgres.url, 4)
      ]

      const sqliteStore = SqlTokenStore.layerSqlite({ filename: join(scratch, "store.db"), encryption })
      const pgStore = SqlTokenStore.layerPg({ url: Redacted.make(postgres.url), encryption })
      const memory = inMemoryFleet(TokenStore.layerMemory)
      const sqlite = inMemoryFleet(sqliteStore)
      const pg = inMemoryFleet(pgStore)
      fleets.push(memory, sqlite, pg)
      const cached = [
        await cachedContender(memoryCached, memory),
        await cachedContender("SQLite store", sqlite),
        await cachedContender("PostgreSQL store", pg)
      ]
      const counted = { postgres: await statementsPerRefresh(pgStore), sqlite: await statementsPerRefresh(sqliteStore) }

      const comparison = await compare([...refresh, ...cached], options, [memoryRefresh, memoryCached])
      const describe = (statements: ReadonlyArray<string>) =>
        statements.length === 0 ? "none" : `${statements.length} (${statements.join(", ")})`
      return {
        ...comparison,
        notes: [
          `statements (= round trips: no transaction) per refresh cycle: PostgreSQL ${describe(counted.postgres.refresh)}, SQLite ${describe(counted.sqlite.refresh)}; target ≤ 3`,
          `statements per cached accessToken: PostgreSQL ${describe(counted.postgres.cached)}, SQLite ${describe(counted.sqlite.cached)}`,
          `refresh: ${grantsPerProcess} grants and ${inFlight} refreshes in flight per process; the fake serves them all from the benchmark's process`
        ]
      }
    } finally {
      for (const refresher of refreshers) refresher.child.kill()
      for (const fleet of fleets) await fleet.dispose()
      await fake.dispose()
      await postgres.stop()
      rmSync(scratch, { recursive: true, force: true })
    }
  }
}
