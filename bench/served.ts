/**
 * Served throughput: autocannon, 10 kept-alive connections with one request in flight each, against three servers
 * in child processes, round after round: our fake started as users start it (`hm-oauth-testkit serve --config`),
 * oauth2-mock-server (which signs an RS256 JWT per token), and a `node:http` server answering a fixed token body at
 * once (the floor). Two paths, each a group of its own: `client_credentials` with a secret, and `refresh_token`.
 *
 * Refresh tokens are single-use on our fake, which rotates them (the default policy, kept: rotation is the work a
 * refresh does). So refreshes run as chains: before each round, every connection gets a refresh token no one has
 * spent (from our fake, a consent on its consent page and a code exchange; the others take any token), outside the
 * measured time; every request spends one token from a pool, and every good answer puts its successor back. All
 * three servers run these chains, so the load generator does the same work for each. A refused refresh breaks its
 * chain, and once the pool runs dry requests carry a spent token and are refused too: every answer that is not a
 * good 2xx is counted, reported, and left out of the throughput.
 *
 * The figure is µs per good answer (the wall time of a round over its good answers), so ratios read like the other
 * benchmarks' (below 1 is faster); the rate column is the throughput.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { forkServer } from "./child-server.js"
import { type Benchmark, type Comparison, type Contender, compare } from "./harness.js"
import * as Load from "./load.js"

const connections = 10
const trivialName = "node:http"
const mockName = "oauth2-mock-server"
const ourName = "hm-oauth-testkit serve"
const apiTokenPath = "/v1/access_tokens"
const client = { id: "bench-app", secret: "bench-app-secret", redirectUris: ["http://127.0.0.1:3000/callback"] }
const redirectUri = client.redirectUris[0]!
const vin = "WBA00000000000001"

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()
const credentials = { client_id: client.id, client_secret: client.secret }
const clientCredentialsBody = form({ grant_type: "client_credentials", ...credentials })
const refreshBody = (refreshToken: string) =>
  form({ grant_type: "refresh_token", refresh_token: refreshToken, ...credentials })

const fixedTokenBody = {
  access_token: "bench-access-token",
  token_type: "bearer",
  expires_in: 3600,
  refresh_token: "bench-refresh-token",
  scope: "vehicle:data"
}

/** The token fields of a JSON body: each a non-empty string, or undefined. */
const tokensOf = (body: string): { readonly access?: string | undefined; readonly refresh?: string | undefined } => {
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined)
  try {
    const parsed = JSON.parse(body)
    return { access: text(parsed?.access_token), refresh: text(parsed?.refresh_token) }
  } catch {
    return {}
  }
}

/** A server under load: where it listens, how to get the first refresh token of a chain, and how to stop it. */
export interface Server {
  readonly name: string
  /** Its process, where it runs in one of its own. */
  readonly pid?: number | undefined
  readonly baseUrl: string
  /** Where its token endpoint is. */
  readonly tokenPath: string
  readonly refreshToken: () => Promise<string>
  readonly stop: () => Promise<void>
}

/** A forked server that takes any refresh token: every chain starts from the same one. */
const forked = async (
  name: string,
  tokenPath: string,
  module: string,
  args: ReadonlyArray<string> = []
): Promise<Server> => {
  const child = await forkServer(new URL(module, import.meta.url), args)
  return {
    name,
    baseUrl: `http://127.0.0.1:${child.port}`,
    tokenPath,
    refreshToken: async () => fixedTokenBody.refresh_token,
    stop: child.stop
  }
}

const bin = fileURLToPath(new URL("../../packages/testkit/dist/bin.js", import.meta.url))

/** Waits for the CLI's `listening on URL` line. */
const listeningUrl = async (child: ChildProcess): Promise<string> => {
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`hm-oauth-testkit serve exited with ${code} before listening`)
  })
  const lines = createInterface({ input: child.stdout! })
  const listening = (async () => {
    for await (const line of lines) {
      const url = /^listening on (http:\/\/\S+)$/.exec(line)?.[1]
      if (url !== undefined) return url
    }
    throw new Error("hm-oauth-testkit serve closed its output before listening")
  })()
  return Promise.race([listening, exited])
}

/** Our fake, as a user starts it: the CLI in a child process, configured with the benchmark's client. */
export const testkitCli = async (): Promise<Server> => {
  const directory = await mkdtemp(join(tmpdir(), "hm-oauth-bench-"))
  const config = join(directory, "config.json")
  // the default policy: refresh tokens rotate, history keeps 10,000 exchanges
  await writeFile(config, JSON.stringify({ clients: [client], vehicles: [{ vin }] }))
  const child = spawn(process.execPath, [bin, "serve", "--port", "0", "--config", config], {
    stdio: ["ignore", "pipe", "inherit"]
  })
  const baseUrl = await listeningUrl(child).catch(async (error) => {
    child.kill()
    await rm(directory, { recursive: true, force: true })
    throw error
  })
  return {
    name: ourName,
    pid: child.pid,
    baseUrl,
    tokenPath: apiTokenPath,
    // the owner consents on the consent page, then the code is exchanged: a refresh token no one has spent
    refreshToken: async () => {
      // `vin=` answers at once, with no page to click
      const consent = await fetch(
        `${baseUrl}/oauth/new?${form({ client_id: client.id, redirect_uri: redirectUri, state: "bench", vin })}`,
        { redirect: "manual" }
      )
      const code = new URL(consent.headers.get("location") ?? "", baseUrl).searchParams.get("code")
      if (code === null) throw new Error(`the consent page answered ${consent.status} without a code`)
      const exchange = await fetch(`${baseUrl}${apiTokenPath}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form({ grant_type: "authorization_code", code, redirect_uri: redirectUri, ...credentials })
      })
      const refreshToken = tokensOf(await exchange.text()).refresh
      if (refreshToken === undefined) throw new Error(`the code exchange answered ${exchange.status}`)
      return refreshToken
    },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = once(child, "exit")
        child.kill("SIGTERM")
        const [code] = await exited
        if (code !== 0) throw new Error(`hm-oauth-testkit serve exited with ${code} on SIGTERM`)
      }
      await rm(directory, { recursive: true, force: true })
    }
  }
}

/** A contender that keeps the tallies of all its rounds, warm-up included, for the notes. */
type Counted = Contender & { readonly tallies: Array<Load.Tally> }

const counted = (server: Server, group: string, load: () => Promise<Load.Load>): Counted => {
  const tallies: Array<Load.Tally> = []
  return {
    name: server.name,
    group,
    tallies,
    round: async (millis) => {
      const tally = await Load.apply(await load(), connections, millis)
      tallies.push(tally)
      if (tally.good === 0) throw new Error(`${group} · ${server.name}: no good answer (${Load.describe(tally)})`)
      return (tally.seconds * 1e6) / tally.good
    }
  }
}

/** Client-credentials requests with the benchmark client's secret. */
export const clientCredentialsLoad = (server: Server): Load.Load => ({
  baseUrl: server.baseUrl,
  path: server.tokenPath,
  body: clientCredentialsBody,
  good: (body) => tokensOf(body).access !== undefined
})

const clientCredentials = (server: Server): Counted =>
  counted(server, "client_credentials", async () => clientCredentialsLoad(server))

/**
 * Refresh chains: a pool of unspent refresh tokens, one per connection, minted before the round. A request takes
 * one, a good answer gives its successor back; a connection finds the pool empty only after a refusal broke a
 * chain, and then sends a token no server issued, to be refused and counted.
 */
export const refreshLoad = async (server: Server, chains = connections): Promise<Load.Load> => {
  const pool = await Promise.all(Array.from({ length: chains }, server.refreshToken))
  return {
    baseUrl: server.baseUrl,
    path: server.tokenPath,
    body: () => refreshBody(pool.pop() ?? "spent-refresh-token"),
    good: (body) => {
      const { access, refresh } = tokensOf(body)
      if (access === undefined || refresh === undefined) return false
      pool.push(refresh)
      return true
    }
  }
}

const refresh = (server: Server): Counted => counted(server, "refresh", () => refreshLoad(server))

/** The contender's throughput over the baseline's, round by round: how many times as many good answers. */
const speedup = (comparison: Comparison, group: string, baseline: string): number | undefined => {
  const ratio = comparison.contenders.find((summary) => summary.group === group && summary.name === ourName)?.ratios[
    baseline
  ]
  return ratio === undefined ? undefined : 1 / ratio
}

const targets = (comparison: Comparison): ReadonlyArray<string> => {
  const overMock = speedup(comparison, "refresh", mockName)
  const overTrivial = speedup(comparison, "refresh", trivialName)
  if (overMock === undefined || overTrivial === undefined) return []
  const verdict = (met: boolean) => (met ? "met" : "missed")
  return [
    `refresh targets: ≥ 5× ${mockName}'s throughput: ${overMock.toFixed(2)}×, ${verdict(overMock >= 5)}; ` +
      `≥ 50% of ${trivialName}'s: ${(overTrivial * 100).toFixed(0)}%, ${verdict(overTrivial >= 0.5)}`
  ]
}

export const benchmark: Benchmark = {
  name: "served",
  title: `POSTs to the token endpoint from autocannon, ${connections} connections, servers in child processes`,
  unit: "µs/answer",
  rate: "answers/s",
  perRoundUnit: "ms of load per contender",
  settings: {
    full: { rounds: 5, warmupRounds: 1, perRound: 3000 },
    smoke: { rounds: 1, warmupRounds: 0, perRound: 250 }
  },
  run: async (options) => {
    const servers: Array<Server> = []
    try {
      servers.push(
        await forked(trivialName, apiTokenPath, "./fixed-answer-server.js", [JSON.stringify(fixedTokenBody)])
      )
      servers.push(await forked(mockName, "/token", "./oauth2-mock-server-child.js"))
      servers.push(await testkitCli())
      const contenders = [...servers.map(clientCredentials), ...servers.map(refresh)]
      const comparison = await compare(contenders, options, [trivialName, mockName])
      const ran = contenders.filter((contender) => contender.tallies.length > 0)
      const oursGood = (group: string) =>
        Load.sum(ran.find((c) => c.group === group && c.name === ourName)?.tallies ?? []).good
      // a good client_credentials answer adds one token, a good refresh two (an access and a refresh token)
      const issued = oursGood("client_credentials") + 2 * oursGood("refresh")
      return {
        ...comparison,
        notes: [
          "answers over all rounds, warm-up included:",
          ...ran.map(
            (contender) => `  ${contender.group} · ${contender.name}: ${Load.describe(Load.sum(contender.tallies))}`
          ),
          `${ourName}'s state grew past ${issued.toLocaleString("en")} tokens (the history keeps 10,000 exchanges)`,
          ...targets(comparison)
        ]
      }
    } finally {
      await Promise.all(servers.map((server) => server.stop()))
    }
  }
}
