/**
 * The main job (`npm start`): a fleet on the embedded default, against the test kit's fake server over HTTP.
 *
 * It starts the fake on a free loopback port with a thousand cars (`--cars N` for another count), and a fleet node
 * (`fleetNode.ts`) in a child process: a `TokenManager` over a SQLite file in a fresh temporary directory, tokens
 * encrypted under a key generated for the run (`--plaintext` stores them unencrypted, as asked for by name). The node
 * onboards every car (the consent page, then the code exchange with PKCE) and reads them all, concurrently, through
 * several expiry cycles: each moves the fake's clock an hour through its control API, and the node's clock with it
 * (`fakeClock.ts`). Midway, a BMW-style pending consent is approved at the fake, and an owner withdraws consent; then
 * the node is killed with `SIGKILL` in the middle of a cycle, and a new one starts on the same file and finds every
 * grant with a valid token. A table sums it up. No token, code, key or secret reaches the output: the walkthrough
 * checks its own transcript against every value the fake issued.
 */
import { randomBytes } from "node:crypto"
import { existsSync, statSync } from "node:fs"
import { mkdir, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Demo, FakeHttpServer, FakeServer, Model } from "@hm-oauth/testkit"
import { Effect, Either, Layer, Schema } from "effect"
import * as FleetNodeProcess from "./fleetNodeProcess.js"
import type { Command, ReadDone } from "./fleetProtocol.js"
import { table } from "./fleetSummary.js"
import * as Progress from "./progress.js"

const { count } = Progress

/** The command line: `--cars N`, `--dir PATH`, `--plaintext`. */
interface Flags {
  readonly cars: number
  readonly dir: string | undefined
  readonly plaintext: boolean
}

const usage = "usage: npm start -- [--cars N] [--dir PATH] [--plaintext]   (N from 2 to 100,000; default 1,000)"

const parseFlags = (args: ReadonlyArray<string>): Either.Either<Flags, string> => {
  let cars = 1000
  let dir: string | undefined
  let plaintext = false
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === "--plaintext") plaintext = true
    else if (arg === "--cars") {
      cars = Number(args[++i])
      if (!Number.isInteger(cars) || cars < 2 || cars > 100_000) return Either.left(`--cars: ${usage}`)
    } else if (arg === "--dir") {
      dir = args[++i]
      if (dir === undefined || dir === "") return Either.left(`--dir: ${usage}`)
    } else return Either.left(`unknown argument ${arg}: ${usage}`)
  }
  return Either.right({ cars, dir, plaintext })
}

/**
 * Where the store's directory goes: `--dir`, else memory-backed temporary storage where Linux has it (`/dev/shm`),
 * else the system's temporary directory. The store syncs every commit to disk (`synchronous = FULL`); on a busy
 * disk that costs milliseconds a write, thousands of them here. In memory a killed process loses nothing either (what
 * it wrote is the kernel's); only a power loss would, which is what a disk is for in production.
 */
const storeBase = (flags: Flags) =>
  flags.dir ?? (existsSync("/dev/shm") && statSync("/dev/shm").isDirectory() ? "/dev/shm" : tmpdir())

/** How the walkthrough runs: three cycles of an hour (the fake's access-token lifetime), two reads per car at once. */
const readsPerCar = 2
const hour = 3600
/** The node is down longer than the lease it held (70 s by default), so its successor takes the leases over. */
const downtimeSeconds = 120
/**
 * The fake forgives a reused refresh token for 10 minutes: a refresh the killed node sent, whose answer died with
 * it, is retried by the next holder with the stored token. With no grace (the fake's default; High Mobility does
 * not document its own) such a grant would be dead, `RotationLost`: the README's crash window.
 */
const reuseGraceSeconds = 600
/** How far into the last cycle the node is killed. */
const crashAt = 0.4

const vinOf = (n: number) => `WBA${String(n).padStart(14, "0")}`

/** The transcript: every line printed, kept to check for secrets at the end. */
const transcript: Array<string> = []
const write = (text: string) => {
  transcript.push(text)
  process.stdout.write(text)
}
const say = (line = "") => Effect.sync(() => write(`${line}\n`))

/** Moves the fake's clock through its control API; the answer is the fake's time after the move. */
const advanceClock = (baseUrl: string, seconds: number) =>
  Effect.flatMap(
    HttpClientRequest.post(`${baseUrl}/testkit/clock`).pipe(HttpClientRequest.bodyJson({ seconds })),
    (request) =>
      Effect.flatMap(HttpClient.execute(request), (response) =>
        HttpClientResponse.schemaBodyJson(Schema.Struct({ now: Schema.DateTimeUtc }))(response)
      )
  ).pipe(Effect.map(({ now }) => now.epochMillis))

const consentOf = (vin: string) =>
  Effect.flatMap(FakeServer.FakeServer, (fake) =>
    Effect.map(fake.consents, (consents) => consents.find((consent) => consent.vin === vin)!.authorizationId)
  )

const walkthrough = (flags: Flags) =>
  Effect.gen(function* () {
    const began = performance.now()
    const fake = yield* FakeServer.FakeServer
    const baseUrl = yield* FakeHttpServer.baseUrl
    const vins = Array.from({ length: flags.cars }, (_, i) => vinOf(i + 1))
    const withdrawn = vins[0]!
    const pending = vins[vins.length - 1]!

    const dir = yield* Effect.acquireRelease(
      Effect.promise(async () => {
        await mkdir(storeBase(flags), { recursive: true })
        return mkdtemp(join(storeBase(flags), "hm-oauth-fleet-"))
      }),
      (path) => Effect.promise(() => rm(path, { recursive: true, force: true }))
    )
    const file = join(dir, "tokens.db")
    const key = `fleet-1:${randomBytes(32).toString("base64")}`
    // the node's whole environment: nothing of the caller's HM_OAUTH_* settings leaks in
    const inherited = Object.entries(process.env).filter(
      (entry): entry is [string, string] => !entry[0].startsWith("HM_OAUTH_") && entry[1] !== undefined
    )
    const nodeEnv = (nodeId: string): Record<string, string> => ({
      ...Object.fromEntries(inherited),
      HM_OAUTH_CLIENT_ID: Demo.webClient.id,
      HM_OAUTH_CLIENT_SECRET: Demo.webClient.secret,
      HM_OAUTH_BASE_URL: baseUrl,
      HM_OAUTH_CONSENT_PAGE_URL: `${baseUrl}/oauth/new`,
      HM_OAUTH_STORE_URL: `sqlite:${file}`,
      ...(flags.plaintext ? { HM_OAUTH_STORE_PLAINTEXT: "true" } : { HM_OAUTH_STORE_KEY: key }),
      HM_OAUTH_NODE_ID: nodeId
    })
    const relay = (line: string) => write(`  node | ${line}\n`)

    yield* say(`hm-oauth fleet: ${count(flags.cars)} cars against the test kit's fake server at ${baseUrl}`)
    yield* say(`  store  ${file} (SQLite, WAL; removed at the end)`)
    yield* say(
      flags.plaintext
        ? "         tokens stored in plaintext, as --plaintext asked"
        : "         tokens AES-256-GCM encrypted under key fleet-1, generated for this run and never shown"
    )
    yield* say(
      `  fake   access tokens live 1 h, refresh tokens rotate, a reused one is forgiven for ${reuseGraceSeconds / 60} min`
    )

    // the grants whose approval the node's events told
    const approved = new Set<string>()
    /** Runs a command with a progress bar; the node's events print above it as they come. */
    const withBar = <C extends Command>(
      node: FleetNodeProcess.NodeProcess,
      label: string,
      command: C,
      onProgress: (done: number, total: number) => Effect.Effect<void> = () => Effect.void
    ) => {
      const bar = Progress.make(label, write)
      const onReport = (report: FleetNodeProcess.Interim) => {
        if (report._tag === "Progress") {
          return Effect.zipRight(bar.update(report.done, report.total), onProgress(report.done, report.total))
        }
        if (report.event === "Approved") approved.add(report.grantId)
        return bar.above(`  event  ${report.event} ${report.grantId}: ${report.detail}`)
      }
      return node
        .run(command, onReport)
        .pipe(Effect.tapBoth({ onFailure: () => bar.end(" killed"), onSuccess: () => bar.end() }))
    }

    const moveClock = (node: FleetNodeProcess.NodeProcess, seconds: number) =>
      Effect.flatMap(advanceClock(baseUrl, seconds), (now) => node.run({ _tag: "SetClock", now }, () => Effect.void))

    const reads: Array<ReadDone> = []
    const describe = (done: ReadDone) => {
      reads.push(done)
      const notes = [
        `${count(done.valid)} valid`,
        ...(done.pending.length > 0 ? [`pending ${done.pending.join(", ")}`] : []),
        ...done.dead.map((dead) => `dead ${dead.grantId} (${dead.reason})`),
        ...done.failed.map((failed) => `FAILED ${failed.grantId}: ${failed.error}`)
      ]
      return say(`         ${notes.join("; ")}; ${count(done.refreshed)} refreshes committed`)
    }

    // every token expires once a cycle: each grant still alive needs one renewal
    let alive = flags.cars
    let renewalsNeeded = 0
    const cycle = (
      node: FleetNodeProcess.NodeProcess,
      n: number,
      onProgress?: (done: number, total: number) => Effect.Effect<void>
    ) =>
      Effect.suspend(() => {
        renewalsNeeded += alive
        return Effect.zipRight(
          moveClock(node, hour),
          withBar(node, `cycle ${n}: clock +1 h`, { _tag: "Read", rounds: readsPerCar }, onProgress)
        )
      })

    // the first node: onboarding, and the cycles up to the crash
    const first = yield* FleetNodeProcess.spawn(nodeEnv("fleet-node-1"), relay)
    yield* say(`  node   ${first.nodeId}, pid ${first.pid}: a TokenManager over the store\n`)
    yield* moveClock(first, 0)
    const onboarded = yield* withBar(first, "onboarding", {
      _tag: "Onboard",
      vins,
      pending: [pending],
      redirectUri: Demo.webClient.redirectUris[0]
    })
    yield* say(
      `         ${count(onboarded.active)} active, ${count(onboarded.pending)} pending (${pending}, BMW-style)`
    )

    yield* say(`\nexpiry cycles: the fake's clock moves 1 h, the node's with it; ${readsPerCar} reads per car at once`)
    yield* Effect.flatMap(cycle(first, 1), describe)
    yield* say(`  fake   the carmaker approves ${pending}'s pending consent`)
    yield* fake.approve(yield* consentOf(pending))
    // the withdrawn grant dies in a cycle without a crash: a kill between the refusal and its record would leave the
    // grant in doubt, and its next holder would read the refusal as a lost rotation (`RotationLost`)
    yield* say(`  fake   the owner of ${withdrawn} withdraws consent`)
    yield* fake.withdraw(yield* consentOf(withdrawn))
    alive -= 1
    yield* Effect.flatMap(cycle(first, 2), describe)

    // killed once 40 % of the cycle's reads are done, with the rest (and their refreshes) in flight
    let killedAfter: { readonly done: number; readonly total: number } | undefined
    yield* cycle(first, 3, (done, total) => {
      if (killedAfter !== undefined || done < total * crashAt) return Effect.void
      killedAfter = { done, total }
      return first.kill
    }).pipe(
      Effect.catchIf(
        (error) => error._tag === "NodeExited" && killedAfter !== undefined,
        () => Effect.void
      )
    )
    if (killedAfter === undefined) return yield* Effect.dieMessage("the cycle ended before the node was killed")
    yield* say(
      `  crash  ${first.nodeId} (pid ${first.pid}) killed with SIGKILL, sent after ${count(killedAfter.done)} of the ${count(killedAfter.total)} reads`
    )

    // the second node: the same file, after a downtime longer than the first node's leases
    yield* advanceClock(baseUrl, downtimeSeconds)
    const second = yield* FleetNodeProcess.spawn(nodeEnv("fleet-node-2"), relay)
    yield* say(`  start  ${second.nodeId}, pid ${second.pid}, on the same file, ${downtimeSeconds / 60} min later`)
    yield* moveClock(second, 0)
    // the rest of the cycle: every grant the file holds, once
    const afterCrash = yield* withBar(second, "cycle 3: every grant", { _tag: "Read", rounds: 1 })
    yield* describe(afterCrash)

    // the fake's own account of what it was asked
    const history = yield* fake.history
    const refreshes = history.filter(
      (entry) =>
        entry.path === "/v1/access_tokens" &&
        entry.method === "POST" &&
        typeof entry.request === "object" &&
        (entry.request.grant_type === "refresh_token" || entry.request.grant_type === "refresh")
    )
    const families = yield* fake.families
    const lost = afterCrash.grants - afterCrash.valid - afterCrash.dead.length
    yield* say("\nsummary")
    for (const row of table({
      cars: flags.cars,
      readsServed: reads.reduce((sum, done) => sum + done.valid, 0),
      renewalsNeeded,
      refreshAnswered: refreshes.filter((entry) => entry.status === 200).length,
      refreshRefused: refreshes.filter((entry) => entry.status !== 200).length,
      recovered: afterCrash.recovered,
      dead: afterCrash.dead,
      pendingApproved:
        approved.has(pending) &&
        ![
          ...afterCrash.pending,
          ...afterCrash.dead.map((d) => d.grantId),
          ...afterCrash.failed.map((f) => f.grantId)
        ].includes(pending),
      lost,
      revokedByReuse: families.filter((family) => family.refreshTokensRevoked?.reason === "refresh_token_reused")
        .length,
      latencies: reads.flatMap((done) => done.latencies),
      fromMemory: reads.flatMap((done) => done.fromMemory),
      seconds: (performance.now() - began) / 1000
    }))
      yield* say(row)

    // the transcript against every secret: the fake's token values, the client secret, the store key
    const secrets = [...(yield* fake.read(Model.issuedValues)), Demo.webClient.secret, key.slice(key.indexOf(":") + 1)]
    const text = transcript.join("")
    const leaked = secrets.filter((secret) => text.includes(secret)).length
    yield* say(
      leaked === 0
        ? `\nno secret in this transcript (checked against ${count(secrets.length)} token values, the client secret and the store key)`
        : `\n${leaked} SECRETS IN THIS TRANSCRIPT`
    )
    if (leaked > 0 || lost > 0) return yield* Effect.dieMessage("the walkthrough found a leak or a lost token")
  }).pipe(Effect.scoped)

const main = Effect.suspend(() => {
  const flags = parseFlags(process.argv.slice(2))
  if (Either.isLeft(flags)) {
    return Effect.sync(() => {
      process.stderr.write(`${flags.left}\n`)
      process.exitCode = 2
    })
  }
  const vehicles = Array.from({ length: flags.right.cars }, (_, i) => ({ vin: vinOf(i + 1) }))
  return walkthrough(flags.right).pipe(
    Effect.provide(
      Layer.merge(
        FakeHttpServer.layer({
          clients: [Demo.webClient],
          vehicles,
          policy: { refreshReuseGrace: reuseGraceSeconds, historyLimit: 1_000_000 }
        }),
        NodeHttpClient.layerUndici
      )
    )
  )
})

NodeRuntime.runMain(main)
