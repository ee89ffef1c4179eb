/**
 * Memory and control-call latency of the served fake under a long run: the CLI in a child process takes 200,000
 * issuances over HTTP (autocannon, 10 connections) in chunks of 1,000 requests, its clock moved on through the control
 * API after each chunk, while other requests read the state as a test would: `GET /testkit/state`, a sparse filtered
 * listing, a page of the history, the clock. The figure is the child's resident memory (RSS) after each round; the
 * notes give its peak, what the server still holds, and the slowest control call of the run.
 *
 * Three groups, each a fresh server: client-credentials tokens with the clock moving one second per request (each
 * token expires after 300 s); refresh chains (each refresh issues two tokens, and rotation keeps every superseded
 * refresh token of a live family for reuse detection) with the clock moving alike; and refresh chains with the
 * clock standing still, the worst case: nothing issued can be forgotten.
 */
import { readFileSync } from "node:fs"
import { type Benchmark, type Contender, compare, median } from "./harness.js"
import * as Load from "./load.js"
import { clientCredentialsLoad, refreshLoad, type Server, testkitCli } from "./served.js"

const connections = 10
const chunk = 1000
const ourName = "hm-oauth-testkit serve"

/** A process's resident memory now and at its peak, in MB, from `/proc` (Linux). */
const memoryOf = (pid: number): { readonly rss: number; readonly peak: number } => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN)
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 }
}

/** The control calls a test makes while the server is busy, each timed. */
const probes = [
  { name: "GET /testkit/state", path: "/testkit/state", method: "GET" },
  {
    name: "GET /testkit/state/tokens (sparse filter)",
    path: "/testkit/state/tokens?kind=refresh&status=expired&limit=1000",
    method: "GET"
  },
  { name: "GET /testkit/history (1,000 entries)", path: "/testkit/history?limit=1000", method: "GET" },
  { name: "GET /testkit/state/families", path: "/testkit/state/families?limit=100", method: "GET" }
] as const

interface Group {
  readonly contender: Contender
  readonly server: () => Server | undefined
  readonly slowest: Map<string, Array<number>>
  readonly counts: () => Promise<unknown>
  readonly peak: () => number
}

/** A group: its own server, which takes `perRound` issuances a round, its clock moved by `secondsPerRequest`. */
const group = (
  name: string,
  load: (server: Server) => Promise<Load.Load>,
  tokensPerRequest: number,
  secondsPerRequest: number
): Group => {
  let server: Server | undefined
  let peak = 0
  const slowest = new Map<string, Array<number>>(probes.map((probe) => [probe.name, []]))
  const post = (path: string, body: unknown) =>
    fetch(`${server!.baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body)
    })
  // the first probes of a fresh server meet code not compiled yet: timed from the second chunk on
  let chunks = 0
  const probe = async () => {
    const timed = chunks++ > 0
    for (const { name: probeName, path, method } of probes) {
      const start = performance.now()
      const response = await fetch(`${server!.baseUrl}${path}`, { method })
      await response.arrayBuffer()
      if (response.status !== 200) throw new Error(`${probeName}: ${response.status}`)
      if (timed) slowest.get(probeName)!.push(performance.now() - start)
    }
  }
  const contender: Contender = {
    name: ourName,
    group: name,
    round: async (issuances) => {
      server ??= await testkitCli()
      const requests = Math.ceil(issuances / tokensPerRequest)
      const chunkLoad = await load(server)
      for (let sent = 0; sent < requests; sent += chunk) {
        const amount = Math.min(chunk, requests - sent)
        const [tally] = await Promise.all([Load.apply(chunkLoad, connections, { requests: amount }), probe()])
        if (tally.good < amount) throw new Error(`${name}: ${Load.describe(tally)}`)
        if (secondsPerRequest > 0) {
          const start = performance.now()
          const moved = await post("/testkit/clock", { seconds: amount * secondsPerRequest })
          await moved.arrayBuffer()
          slowest.get("POST /testkit/clock")?.push(performance.now() - start)
        }
      }
      const { rss, peak: seen } = memoryOf(server.pid!)
      peak = Math.max(peak, seen)
      return rss
    }
  }
  slowest.set("POST /testkit/clock", [])
  return {
    contender,
    server: () => server,
    slowest,
    peak: () => peak,
    counts: async () => (await (await fetch(`${server!.baseUrl}/testkit/state?limit=1`)).json()).counts
  }
}

export const benchmark: Benchmark = {
  name: "fake-memory",
  title: "RSS of the served fake over 200,000 issuances per group, its clock moved, control calls timed meanwhile",
  unit: "MB RSS",
  perRoundUnit: "issuances",
  settings: {
    full: { rounds: 4, warmupRounds: 0, perRound: 50_000 },
    smoke: { rounds: 1, warmupRounds: 0, perRound: 400 }
  },
  run: async (options) => {
    const groups = [
      group("client_credentials, 1 s per request", async (server) => clientCredentialsLoad(server), 1, 1),
      group("refresh, 1 s per request", (server) => refreshLoad(server), 2, 1),
      group("refresh, clock still", (server) => refreshLoad(server), 2, 0)
    ]
    try {
      const comparison = await compare(
        groups.map((g) => g.contender),
        options,
        []
      )
      const issued = options.settings.perRound * options.settings.rounds
      const notes: Array<string> = [`each group: ${issued.toLocaleString("en")} issuances, one server per group`]
      let worstRss = 0
      let worstCall = 0
      for (const g of groups) {
        if (g.server() === undefined) continue
        worstRss = Math.max(worstRss, g.peak())
        notes.push(
          `${g.contender.group}: peak RSS ${g.peak().toFixed(0)} MB; holds ${JSON.stringify(await g.counts())}`
        )
        for (const [call, millis] of g.slowest) {
          if (millis.length === 0) continue
          const slowest = Math.max(...millis)
          worstCall = Math.max(worstCall, slowest)
          notes.push(
            `  ${call}: median ${median(millis).toFixed(1)} ms, slowest ${slowest.toFixed(1)} ms over ${millis.length}`
          )
        }
      }
      const verdict = (met: boolean) => (met ? "met" : "missed")
      notes.push(
        `targets: RSS < 300 MB: peak ${worstRss.toFixed(0)} MB, ${verdict(worstRss < 300)}; ` +
          `every control call < 100 ms: slowest ${worstCall.toFixed(1)} ms, ${verdict(worstCall < 100)}`
      )
      return { ...comparison, notes }
    } finally {
      await Promise.all(groups.map((g) => g.server()?.stop()))
    }
  }
}
