/**
 * The chaos run: node processes, each a `TokenManager` over one store, against the served fake (rotation and reuse
 * detection on, reuse grace 0), through several expiry cycles, while processes are killed with SIGKILL at seeded
 * moments — some with a refresh held just before it leaves, some with its answer held just before the commit — and
 * restarted. `chaosVerdict.ts` reads what came of it; the test asserts on the report.
 *
 * Time: the fake's clock is the real clock plus the offset its control API was moved by; each node's clock is the
 * real clock plus the same offset, which the driver moves in step. A move is made only while no node holds a lease
 * or takes one (`hold`), nodes first and the fake after (a node ahead of the fake hands out less, never more). The
 * moves between cycles come while no caller runs; callers may run across a move of the lease time, and a handout
 * whose call spanned one is judged valid at some moment of the call (`handouts.mjs`). Each cycle moves the
 * clock past every grant's refresh point (55 minutes: the token is still valid and renewed in the background) or
 * past its expiry (an hour: callers wait for the refresh); leases of a killed process run out by a shorter move of
 * the lease time. Within a cycle the clock moves only with real time, seconds against a token's hour.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as HttpClient from "@effect/platform/HttpClient"
import { Credentials, HmOAuth, HmOAuthConfig, TokenEndpoint, TokenManager, TokenStore } from "@hm-oauth/core"
import { FakeHttpServer, FakeServer } from "@hm-oauth/testkit"
import { DateTime, Effect, Layer, ManagedRuntime } from "effect"
import { ChaosNode } from "./chaosNode.js"
import { type Judged, judge, scanAll } from "./chaosVerdict.js"
import { type Dialect, storeLayer } from "./dialects.js"
import { encryption, encryptionKeyText } from "./fixtures.js"

export interface Scale {
  readonly name: string
  readonly grants: number
  readonly nodes: number
  /** Expiry cycles after onboarding. */
  readonly cycles: number
  /** Kills per cycle, each of a different node (fewer than `nodes`: one always lives through the cycle). */
  readonly killsPerCycle: number
  /** Concurrent callers per node. */
  readonly callers: number
}

export const scales: Readonly<Record<"ci" | "full", Scale>> = {
  ci: { name: "ci", grants: 100, nodes: 4, cycles: 3, killsPerCycle: 2, callers: 8 },
  full: { name: "full", grants: 1000, nodes: 4, cycles: 4, killsPerCycle: 3, callers: 16 }
}

/** `HM_OAUTH_CHAOS_SCALE=full` for the bigger run; `HM_OAUTH_CHAOS_SEED` replays a run. */
export const scaleFromEnv = (): Scale => (process.env.HM_OAUTH_CHAOS_SCALE === "full" ? scales.full : scales.ci)
export const seedFromEnv = (): number => Number(process.env.HM_OAUTH_CHAOS_SEED ?? 20261202)

/** mulberry32: a small seeded generator for the kill plan. */
const generator = (seed: number) => {
  let state = seed >>> 0
  return (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** How a node is killed: with a refresh held before it leaves, with an answer held before its commit, or anywhen. */
export type KillKind = "request" | "answer" | "moment"

interface PlannedKill {
  readonly node: number
  readonly kind: KillKind
  /** For a `moment` kill: milliseconds into the cycle's pass. */
  readonly delay: number
}

/** Each cycle's kills, from the seed: distinct nodes; the first cycles open with one of each stalled kind. */
const planKills = (scale: Scale, seed: number): ReadonlyArray<ReadonlyArray<PlannedKill>> => {
  const random = generator(seed)
  const kinds: ReadonlyArray<KillKind> = ["answer", "request", "moment"]
  return Array.from({ length: scale.cycles }, (_, cycle) => {
    const nodes = Array.from({ length: scale.nodes }, (_, i) => i)
    for (let i = nodes.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[nodes[i], nodes[j]] = [nodes[j]!, nodes[i]!]
    }
    return nodes.slice(0, scale.killsPerCycle).map((node, i) => ({
      node,
      kind: cycle === 0 && i < 2 ? kinds[i]! : kinds[Math.floor(random() * kinds.length)]!,
      delay: Math.floor(random() * 300)
    }))
  })
}

const client = { id: "chaos-fleet", secret: "chaos-fleet-secret", redirectUris: ["https://fleet.example/callback"] }
const vin = "WBACHAOS000000001"
const leaseSeconds = 60
/**
 * Refreshes in flight per node: a kill loses the answers of those the server had processed, and this keeps a kill
 * from costing a large part of a small fleet.
 */
const maxRefreshesInFlight = 8
/** 55 minutes: past every refresh point (5 minutes ahead, up to 1 more of jitter, 30 seconds of skew), still valid. */
const dueStep = 55 * 60
/** An hour: every token expired. */
const expiredStep = 60 * 60
/** A renewal of this cycle leaves the token valid for about an hour; one older than this was not renewed. */
const renewedWithin = 2_000_000

/** A pass over every grant waits out refreshes, and leases of killed processes: longer than any one answer. */
const passTimeout = 300_000

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

/** What happened to one kill. */
export interface Kill {
  readonly cycle: number
  readonly node: string
  readonly planned: KillKind
  /** `moment` when a planned stall found no refresh to hold before the node's pass ended. */
  readonly kind: KillKind
  /** The grant whose refresh was held, for a stalled kill. */
  readonly stalled: string | undefined
  /** Refreshes sent (or held) whose outcome the store did not have. */
  readonly inFlight: ReadonlyArray<string>
}

export interface ChaosReport extends Judged {
  readonly dialect: string
  readonly scale: Scale
  readonly seed: number
  readonly seconds: number
  readonly kills: ReadonlyArray<Kill>
  /** Moves of the clock by the lease time, for leases of killed processes to run out. */
  readonly leaseSteps: number
  /** The sum over cycles of the grants alive when the cycle began: each needed exactly one renewal. */
  readonly renewalsNeeded: number
  /** `event LeaseLost` lines: a refresh that outlived its lease (none may). */
  readonly leaseLost: number
  /**
   * Grants of refreshes whose answer a live node did not get (a timeout, a connection the server had closed): each
   * may have cost a rotation, as a kill does.
   */
  readonly answersLost: ReadonlyArray<string>
}

export const run = (dialect: Dialect, scale: Scale, seed: number): Effect.Effect<ChaosReport> =>
  Effect.promise(async () => {
    const started = performance.now()
    // on a memory file system where there is one: SQLite syncs every commit, and the test is about processes, not disks
    // (the PostgreSQL test server runs without fsync likewise)
    const scratch = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "hm-oauth-chaos-"))
    const location = dialect.name === "sqlite" ? join(scratch, "store.db") : await Effect.runPromise(dialect.fresh)
    const fake = ManagedRuntime.make(
      FakeHttpServer.layer({
        clients: [client],
        vehicles: [{ vin }],
        // the whole run's history is kept, and no expired token forgotten: the verdict reads them all
        policy: { historyLimit: 1_000_000, forgetAfter: 30 * 86_400 }
      }).pipe(Layer.orDie)
    )
    const server = await fake.runPromise(FakeServer.FakeServer)
    const baseUrl = await fake.runPromise(FakeHttpServer.baseUrl)
    const config = HmOAuthConfig.layer({
      clientId: client.id,
      credentials: Credentials.clientSecret(client.secret),
      baseUrl
    })
    // the driver's own client, in memory to the same server: onboarding and the store's view
    const driver = ManagedRuntime.make(
      TokenManager.layer().pipe(
        Layer.provideMerge(storeLayer(dialect, location, { encryption })),
        Layer.provideMerge(HmOAuth.layer),
        Layer.provideMerge(config),
        Layer.provide(Layer.effect(HttpClient.HttpClient, FakeServer.httpClient(baseUrl))),
        Layer.provide(Layer.succeed(FakeServer.FakeServer, server)),
        Layer.orDie
      )
    )
    const log = (line: string) => {
      if (process.env.HM_OAUTH_CHAOS_VERBOSE === "1")
        console.log(`[chaos ${dialect.name} ${((performance.now() - started) / 1000).toFixed(1)} s] ${line}`)
    }
    const nodes: Array<ChaosNode> = []
    const incarnations: Array<ChaosNode> = []
    try {
      // onboarding: the owners consent, the codes are exchanged, each grant stored under its authorization id
      const grants = await driver.runPromise(
        Effect.gen(function* () {
          const endpoint = yield* TokenEndpoint.TokenEndpoint
          const manager = yield* TokenManager.TokenManager
          return yield* Effect.forEach(
            Array.from({ length: scale.grants }),
            () =>
              Effect.gen(function* () {
                const redirectUri = client.redirectUris[0]!
                const { authorizationId, code } = yield* server.authorize({ clientId: client.id, redirectUri, vin })
                yield* manager.onboard(authorizationId, yield* endpoint.exchangeCode({ code, redirectUri }))
                return authorizationId
              }),
            { concurrency: 8 }
          )
        }).pipe(Effect.orDie)
      )
      log(`${grants.length} grants onboarded`)
      const grantsFile = join(scratch, "grants")
      writeFileSync(grantsFile, grants.join("\n"))

      let offset = 0
      const handoutFiles: Array<string> = []
      const start = (index: number) => {
        const handouts = join(scratch, `handouts-${incarnations.length}`)
        handoutFiles.push(handouts)
        const node = new ChaosNode(`n${index}#${incarnations.length}`, {
          HM_OAUTH_STORE_URL: dialect.name === "sqlite" ? `sqlite:${location}` : location,
          HM_OAUTH_STORE_KEY: encryptionKeyText,
          CHAOS_FAKE_URL: baseUrl,
          CHAOS_CLIENT_ID: client.id,
          CHAOS_CLIENT_SECRET: client.secret,
          CHAOS_GRANTS: grantsFile,
          CHAOS_HANDOUTS: handouts,
          CHAOS_OFFSET: String(offset),
          CHAOS_CALLERS: String(scale.callers),
          CHAOS_LEASE_SECONDS: String(leaseSeconds),
          CHAOS_MAX_IN_FLIGHT: String(maxRefreshesInFlight)
        })
        nodes[index] = node
        incarnations.push(node)
        return node.next(/^ready$/).then(() => node)
      }
      await Promise.all(Array.from({ length: scale.nodes }, (_, i) => start(i)))
      log(`${scale.nodes} nodes ready`)

      /** Moves every clock by `seconds`: no lease held or taken meanwhile, the nodes first, then the fake. */
      const advance = async (seconds: number) => {
        await Promise.all(nodes.map((node) => node.command("hold", /^held$/)))
        offset += seconds * 1000
        await Promise.all(nodes.map((node) => node.command(`clock ${offset}`, /^clock$/)))
        const moved = await fetch(`${baseUrl}/testkit/clock`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ seconds })
        })
        if (!moved.ok) throw new Error(`the fake's clock did not move: ${moved.status} ${await moved.text()}`)
        await Promise.all(nodes.map((node) => node.command("resume", /^resumed$/)))
      }

      let passes = 0
      /** A pass of every grant on `node`; a node killed meanwhile ends its pass. */
      const pass = (node: ChaosNode) =>
        node.command(`pass ${++passes}`, /^passed \S+ (.*)$/, passTimeout).then(
          (match) => log(`${node.name} passed ${match[1]}`),
          (error) => {
            if (!node.killed) throw error
          }
        )

      const store = await driver.runPromise(TokenStore.TokenStore)
      /** Whether an active grant's token is older than `since` + the renewal horizon (one row read, at most). */
      const unrenewed = (since: number) =>
        Effect.runPromise(
          store.scan({ status: "active", expiresBefore: DateTime.unsafeMake(since + renewedWithin), limit: 1 }).pipe(
            Effect.map((page) => page.records.length > 0),
            Effect.orDie
          )
        )
      const left = (since: number) =>
        Effect.runPromise(
          scanAll(store, { status: "active", expiresBefore: DateTime.unsafeMake(since + renewedWithin) }).pipe(
            Effect.map((records) => records.length),
            Effect.orDie
          )
        )
      const alive = () =>
        Effect.runPromise(
          scanAll(store, { status: "active" }).pipe(
            Effect.map((records) => records.length),
            Effect.orDie
          )
        )

      const plan = planKills(scale, seed)
      const kills: Array<Kill> = []
      let leaseSteps = 0
      const maxLeaseStepsPerCycle = 12
      let renewalsNeeded = 0
      for (let cycle = 0; cycle < scale.cycles; cycle++) {
        await advance(cycle % 2 === 0 ? dueStep : expiredStep)
        const cycleStart = await Effect.runPromise(server.now)
        renewalsNeeded += await alive()
        log(`cycle ${cycle} begins`)
        // a stall is armed before the node's pass, so that the node's first refresh of the cycle is the one held
        const stalls = await Promise.all(
          plan[cycle]!.map(async (planned) => {
            if (planned.kind === "moment") return undefined
            const node = nodes[planned.node]!
            const held = node.next(/^stalled \S+ (\S+)$/).then((match) => match[1]!)
            held.catch(() => {})
            await node.command(`stall ${planned.kind}`, /^armed$/)
            return { held }
          })
        )
        const passing = new Map(nodes.map((node, i) => [i, pass(node)]))
        await Promise.all(
          plan[cycle]!.map(async (planned, k) => {
            const node = nodes[planned.node]!
            let stalled: string | undefined
            const held = stalls[k]?.held
            if (held === undefined) await sleep(planned.delay)
            else {
              // a node that finds no refresh of its own to hold (others took them all, or it waits on a killed
              // node's lease) gets a plain kill after a while (a stall that came first still counts)
              const first = await Promise.race([held.catch(() => undefined), sleep(20_000).then(() => undefined)])
              if (first === undefined) await node.command("disarm", /^disarmed$/)
              stalled = await Promise.race([held.catch(() => undefined), sleep(0).then(() => undefined)])
            }
            const inFlight = await node.kill()
            kills.push({
              cycle,
              node: node.name,
              planned: planned.kind,
              kind: stalled === undefined ? "moment" : planned.kind,
              stalled,
              inFlight: [...inFlight.keys()]
            })
            log(`killed ${node.name} (${planned.kind}, stalled ${stalled}), in flight: ${inFlight.size}`)
            passing.set(planned.node, pass(await start(planned.node)))
          })
        )
        // Settled once every pass is done and every grant alive was renewed this cycle. Callers and renewals waiting
        // on a killed process's lease go on once it runs out: after two seconds in which no node stored an outcome,
        // the clock moves by the lease time (and, once the passes are done, a pass asks every grant again). The
        // store is read rarely: the fake shares this process.
        let progress = ""
        let cycleLeaseSteps = 0
        for (let quiet = 0; ; ) {
          const done = await Promise.race([
            Promise.all(passing.values()).then(() => true),
            sleep(250).then(() => false)
          ])
          if (done && !(await unrenewed(cycleStart))) break
          const now = `${done} ${incarnations.reduce((sum, node) => sum + node.settled, 0)}`
          quiet = now === progress ? quiet + 1 : 0
          progress = now
          if (quiet < 8) continue
          const waiting = await left(cycleStart)
          if (++cycleLeaseSteps > maxLeaseStepsPerCycle) {
            throw new Error(`cycle ${cycle}: ${waiting} grants were never renewed`)
          }
          log(`cycle ${cycle}: ${waiting} grants not renewed, passes done: ${done}: the lease time passes`)
          await advance(leaseSeconds + 1)
          leaseSteps++
          quiet = 0
          if (done) for (const [i, node] of nodes.entries()) passing.set(i, pass(node))
        }
      }

      await Promise.all(nodes.map((node) => node.stop()))
      const handouts = handoutFiles.flatMap((file) => {
        try {
          return [readFileSync(file, "utf8")]
        } catch {
          return []
        }
      })
      const judged = await driver.runPromise(judge(server, store, grants, handouts))
      return {
        dialect: dialect.name,
        scale,
        seed,
        seconds: (performance.now() - started) / 1000,
        kills,
        leaseSteps,
        renewalsNeeded,
        answersLost: [...new Set(incarnations.flatMap((node) => [...node.answersLost]))].sort(),
        leaseLost: incarnations.flatMap((node) => node.events).filter((event) => event.startsWith("event LeaseLost"))
          .length,
        ...judged
      }
    } finally {
      await Promise.all(nodes.map((node) => node.stop().catch(() => {})))
      await driver.dispose()
      await fake.dispose()
    }
  })
