/**
 * Client overhead: what one `client_credentials` token request costs each client, sent one after the other over a
 * kept-alive loopback connection to a server in another process that answers a fixed token body at once.
 * Raw `node:http` is the floor; oauth4webapi is the client to beat. Two more rows explain core's figure: the bare
 * platform `HttpClient` call core builds on, and core with tracing off (no spans).
 *
 * The `canned` group takes the network away: the same fixed answer, with the headers the server sends, handed
 * over in memory by an `HttpClient` built with `HttpClient.make` as undici's and fetch's are (so the platform's
 * own span and abort handling stay), to the bare platform call and to core. Their ratio is core's own cost.
 */
import * as http from "node:http"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Credentials, HmOAuth, HmOAuthConfig, TokenEndpoint } from "@hm-oauth/core"
import { FakeServer, InMemoryHttpClient } from "@hm-oauth/testkit"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import * as oauth from "oauth4webapi"
import { forkServer } from "./child-server.js"
import { type Benchmark, type Contender, compare, microsPerRun, type Summary } from "./harness.js"

const clientId = "bench-client"
const clientSecret = "bench-client-secret"
const scope = "vehicle:data"
const accessToken = "bench-access-token"
const tokenBody = { access_token: accessToken, token_type: "bearer", expires_in: 300, scope }
const tokenJson = JSON.stringify(tokenBody)
const tokenPath = "/v1/access_tokens"
const requestFields = { grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret, scope }
const jsonHeaders = { "content-type": "application/json", accept: "application/json" }

/** Every answer is checked: a contender that fails fast must not pass for a fast one. */
const expectToken = (token: unknown): void => {
  if (token !== accessToken) throw new Error(`expected the fixed access token, got ${JSON.stringify(token)}`)
}

const tokenOf = (body: unknown): unknown => (body as { readonly access_token?: unknown }).access_token

/** One request after the other, each answer checked. */
const sequential =
  (request: () => Promise<unknown>) =>
  (count: number): Promise<number> =>
    microsPerRun(count, async () => expectToken(await request()))

const nodeHttp = (port: number, agent: http.Agent): Contender => {
  const post = (body: string) =>
    new Promise<string>((resolve, reject) => {
      const headers = { ...jsonHeaders, "content-length": Buffer.byteLength(body) }
      const request = http.request(
        { agent, host: "127.0.0.1", port, method: "POST", path: tokenPath, headers },
        (response) => {
          let text = ""
          response.setEncoding("utf8")
          response.on("data", (chunk: string) => {
            text += chunk
          })
          response.on("end", () => resolve(text))
          response.on("error", reject)
        }
      )
      request.on("error", reject)
      request.end(body)
    })
  return {
    name: "node:http",
    round: sequential(async () => tokenOf(JSON.parse(await post(JSON.stringify(requestFields)))))
  }
}

const globalFetch = (baseUrl: string): Contender => ({
  name: "fetch",
  round: sequential(async () => {
    const init = { method: "POST", headers: jsonHeaders, body: JSON.stringify(requestFields) }
    return tokenOf(await (await fetch(`${baseUrl}${tokenPath}`, init)).json())
  })
})

const oauth4webapi = (baseUrl: string): Contender => {
  const server: oauth.AuthorizationServer = { issuer: baseUrl, token_endpoint: `${baseUrl}${tokenPath}` }
  const client: oauth.Client = { client_id: clientId }
  const authentication = oauth.ClientSecretPost(clientSecret)
  // The server speaks plain HTTP on loopback; oauth4webapi refuses that unless told.
  const options = { [oauth.allowInsecureRequests]: true }
  return {
    name: "oauth4webapi",
    round: sequential(async () => {
      const response = await oauth.clientCredentialsGrantRequest(server, client, authentication, { scope }, options)
      return (await oauth.processClientCredentialsResponse(server, client, response)).access_token
    })
  }
}

/** The group of the contenders without a network, and its baseline. */
const canned = "canned"
const cannedBare = "effect HttpClient"

/**
 * An Effect contender: its layer is built once, up front, so the benchmark measures requests and not layer
 * construction; each request is one `runPromise`, as a caller outside Effect would make it.
 */
const effectContender = async <R, E>(
  name: string,
  runtime: ManagedRuntime.ManagedRuntime<R, E>,
  makeRequest: Effect.Effect<() => Effect.Effect<unknown, unknown, R>, E, R>,
  group?: string
): Promise<Contender> => {
  const request = await runtime.runPromise(makeRequest)
  const run = sequential(() => runtime.runPromise(request()))
  // A canned request takes a tenth of a loopback one: ten times as many keep its round as long, so that one
  // collection of the garbage other contenders left cannot make the round's whole figure.
  return group === canned ? { name, group, round: (count) => run(count * 10) } : { name, round: run }
}

/** The server's answer, headers and all, without the server: a platform client over an in-memory reply. */
const cannedHttpClient = (() => {
  const headers = {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(tokenJson)),
    "cache-control": "no-store"
  }
  const inMemory = InMemoryHttpClient.make(() => Effect.succeed(FakeServer.response(200, tokenJson, headers)))
  return Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request) => inMemory.execute(request))
  )
})()

/** The platform call core builds on: the same request and JSON answer, without core. */
const platformRequest = (baseUrl: string) =>
  Effect.map(HttpClient.HttpClient, (client) => () => {
    const request = HttpClientRequest.post(`${baseUrl}${tokenPath}`).pipe(
      HttpClientRequest.acceptJson,
      HttpClientRequest.bodyUnsafeJson(requestFields)
    )
    return client.execute(request).pipe(
      Effect.flatMap((response) => response.json),
      Effect.map(tokenOf)
    )
  })

const coreRequest = Effect.map(
  TokenEndpoint.TokenEndpoint,
  (endpoint) => () => Effect.map(endpoint.clientCredentials({ scope }), (tokens) => Redacted.value(tokens.accessToken))
)

const coreLayer = (baseUrl: string, httpClient: Layer.Layer<HttpClient.HttpClient>) =>
  HmOAuth.layer.pipe(
    Layer.provide(HmOAuthConfig.layer({ baseUrl, clientId, credentials: Credentials.clientSecret(clientSecret) })),
    Layer.provide(httpClient)
  )

const verdict = (ratio: number | undefined, bound: number) =>
  ratio === undefined ? "not run" : `${ratio.toFixed(2)}×, ${ratio <= bound ? "met" : "missed"}`

/** The project's targets, each a ratio within this run. */
const targets = (summaries: ReadonlyArray<Summary>): ReadonlyArray<string> => {
  const find = (name: string, group?: string) =>
    summaries.find((summary) => summary.name === name && summary.group === group)
  return [
    `target core (undici) ≤ 1.00× oauth4webapi, spans and timeouts on: ${verdict(find("core (undici)")?.ratios.oauth4webapi, 1)}`,
    `target canned · core ≤ 2.00× canned · ${cannedBare}: ${verdict(find("core", canned)?.ratios[cannedBare], 2)}`
  ]
}

export const benchmark: Benchmark = {
  name: "client-overhead",
  title: "sequential client_credentials requests over keep-alive loopback, server in another process",
  unit: "µs/req",
  perRoundUnit: "requests",
  settings: {
    // Loopback latency keeps falling for the first 2,000–3,000 requests (JIT, CPU wake-ups), hence the long warm-up.
    full: { rounds: 30, warmupRounds: 15, perRound: 200 },
    smoke: { rounds: 2, warmupRounds: 1, perRound: 5 }
  },
  run: async (options) => {
    const server = await forkServer(new URL("./fixed-answer-server.js", import.meta.url), [tokenJson])
    const baseUrl = `http://127.0.0.1:${server.port}`
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    const platformUndici = ManagedRuntime.make(NodeHttpClient.layerUndici)
    const coreUndici = ManagedRuntime.make(coreLayer(baseUrl, NodeHttpClient.layerUndici))
    const coreUntraced = ManagedRuntime.make(
      Layer.merge(coreLayer(baseUrl, NodeHttpClient.layerUndici), Layer.setTracerEnabled(false))
    )
    const coreFetch = ManagedRuntime.make(coreLayer(baseUrl, FetchHttpClient.layer))
    const platformCanned = ManagedRuntime.make(cannedHttpClient)
    const coreCanned = ManagedRuntime.make(coreLayer(baseUrl, cannedHttpClient))
    const runtimes = [platformUndici, coreUndici, coreUntraced, coreFetch, platformCanned, coreCanned]
    try {
      const contenders = [
        nodeHttp(server.port, agent),
        globalFetch(baseUrl),
        oauth4webapi(baseUrl),
        await effectContender("effect HttpClient (undici)", platformUndici, platformRequest(baseUrl)),
        await effectContender("core (undici)", coreUndici, coreRequest),
        await effectContender("core (undici, tracing off)", coreUntraced, coreRequest),
        await effectContender("core (fetch)", coreFetch, coreRequest),
        await effectContender(cannedBare, platformCanned, platformRequest(baseUrl), canned),
        await effectContender("core", coreCanned, coreRequest, canned)
      ]
      const comparison = await compare(contenders, options, ["node:http", "oauth4webapi", cannedBare])
      return { ...comparison, notes: targets(comparison.contenders) }
    } finally {
      await Promise.all(runtimes.map((runtime) => runtime.dispose()))
      agent.destroy()
      await server.stop()
    }
  }
}
