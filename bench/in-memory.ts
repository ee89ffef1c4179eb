/**
 * In-memory throughput: core operations one after the other on one fiber, through the full core client as shipped
 * (`HmOAuth.layer` over `HmOAuthConfig.layer`: spans and per-attempt timeouts on), against the in-memory fake
 * (`FakeServer.layer`) and against a canned-response `HttpClient` that answers each operation's fixed, valid body
 * without any model: core's own floor, the figure the fake is held to. A third row steps the model alone
 * (`Model.step`) through the same requests, to show its part of the fake's figure.
 *
 * One session is the owner's consent, then five operations: code exchange, vehicle info, refresh, vehicle info,
 * revocation of the refresh token. The consent (`FakeServer.authorize`) is setup: done before the round's clock
 * starts, and not counted. Sessions are never undone, so the fake's state grows over the run as a busy test
 * server's does; the notes say how far.
 */
import { HttpClient } from "@effect/platform"
import { Credentials, HmOAuth, HmOAuthConfig, Revocation, TokenEndpoint, VehicleInfo } from "@hm-oauth/core"
import { FakeServer, InMemoryHttpClient, Model } from "@hm-oauth/testkit"
import { Effect, Either, Layer, ManagedRuntime, Option, Redacted } from "effect"
import { type Benchmark, type Contender, compare, median, type Summary } from "./harness.js"

const client = { id: "bench-app", secret: "bench-app-secret", redirectUris: ["https://bench.example/callback"] }
const redirectUri = client.redirectUris[0]!
const vin = "WBA00000000000001"
const serverOptions = { clients: [client], vehicles: [{ vin }] }

/** Exchange, vehicle info, refresh, vehicle info, revocation. */
const operationsPerSession = 5

const sessionsFor = (operations: number) => Math.ceil(operations / operationsPerSession)

/** Every answer is checked: a contender that fails fast must not pass for a fast one. */
const expectVin = (actual: string): void => {
  if (actual !== vin) throw new Error(`expected vehicle ${vin}, got ${actual}`)
}

const refreshTokenOf = (tokens: { readonly refreshToken: Option.Option<Redacted.Redacted<string>> }) =>
  Option.getOrThrowWith(tokens.refreshToken, () => new Error("the token response carries no refresh token"))

const core = Effect.all({
  tokens: TokenEndpoint.TokenEndpoint,
  vehicles: VehicleInfo.VehicleInfo,
  revocation: Revocation.Revocation
})

/** One session's five operations through core, from the consent's code. */
const session =
  ({ revocation, tokens, vehicles }: Effect.Effect.Success<typeof core>) =>
  (code: Redacted.Redacted<string>) =>
    Effect.gen(function* () {
      const granted = yield* tokens.exchangeCode({ code, redirectUri })
      expectVin((yield* vehicles.get(granted.accessToken)).vin)
      const refreshed = yield* tokens.refresh(refreshTokenOf(granted))
      expectVin((yield* vehicles.get(refreshed.accessToken)).vin)
      yield* revocation.revoke({ token: refreshTokenOf(refreshed), tokenTypeHint: "refresh_token" })
    })

const coreLayer = HmOAuth.layer.pipe(
  Layer.provide(HmOAuthConfig.layer({ clientId: client.id, credentials: Credentials.clientSecret(client.secret) }))
)

/**
 * A core contender. A round first gets its sessions' codes from `consent` (untimed), then runs every session on one
 * fiber and returns µs per operation.
 */
const coreContender = async <R>(
  name: string,
  runtime: ManagedRuntime.ManagedRuntime<R | Effect.Effect.Context<typeof core>, unknown>,
  consent: (sessions: number) => Promise<ReadonlyArray<Redacted.Redacted<string>>>
): Promise<Contender> => {
  const run = session(await runtime.runPromise(core))
  return {
    name,
    round: async (operations) => {
      const codes = await consent(sessionsFor(operations))
      const start = performance.now()
      await runtime.runPromise(Effect.forEach(codes, run, { discard: true }))
      return ((performance.now() - start) * 1000) / (codes.length * operationsPerSession)
    }
  }
}

const tokenBody = JSON.stringify({
  access_token: "8f9c2d3e-1b4a-4c5d-9e6f-7a8b9c0d1e2f",
  token_type: "bearer",
  expires_in: 3600,
  refresh_token: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
  scope: "diagnostics.get.mileage doors.get.locks windows.get.positions",
  status: "approved",
  authorization_id: "5d6e7f80-9a0b-4c1d-8e2f-3a4b5c6d7e8f"
})

/** A canned answer framed as the fake frames its own: a body goes with its type and declared length. */
const framed = (status: number, body: string, headers: Readonly<Record<string, string>> = {}): FakeServer.Reply =>
  FakeServer.response(
    status,
    body,
    body === ""
      ? headers
      : { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }
  )

// Each operation's fixed answer, with the headers the fake gives, built once: the floor does no work of its own.
// Without the declared length core would read each body as a stream, and the floor would cost more than the fake.
const cannedAnswers: ReadonlyMap<string, FakeServer.Reply> = new Map([
  ["POST /v1/access_tokens", framed(200, tokenBody, { "cache-control": "no-store", pragma: "no-cache" })],
  ["GET /v1/vehicleinfo", framed(200, JSON.stringify({ vin, sub: "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d" }))],
  ["DELETE /v1/access_tokens", framed(200, "")]
])
const notFound = framed(404, JSON.stringify({ error: "not_found" }))

/** Core's floor: the fixed answer to each operation, with no model behind it. */
const cannedAnswer = (incoming: InMemoryHttpClient.Incoming): FakeServer.Reply =>
  cannedAnswers.get(`${incoming.method} ${incoming.url.pathname}`) ?? notFound

const cannedHttpClient = Layer.succeed(
  HttpClient.HttpClient,
  InMemoryHttpClient.make((incoming) => Effect.succeed(cannedAnswer(incoming)))
)

const authorizeRequest = { clientId: client.id, redirectUri, vin }

/** What a state holds after the run, for the notes. */
const sizeOf = (state: Model.State): string => {
  const held = Model.counts(state)
  return (
    `${held.tokens} tokens, ${held.families} families, ${held.consents} consents, ${held.codes} codes, ` +
    `${held.history} history entries`
  )
}

// The model alone, fed the requests core sends, with the same JSON bodies.
const jsonHeaders = { "content-type": "application/json", accept: "application/json" }
const credentials = { client_id: client.id, client_secret: client.secret }
const tokenRequest = (fields: Record<string, string>): Model.WireRequest => ({
  method: "POST",
  path: "/v1/access_tokens",
  headers: jsonHeaders,
  body: JSON.stringify({ ...fields, ...credentials })
})
const vehicleInfoRequest = (accessToken: string): Model.WireRequest => ({
  method: "GET",
  path: "/v1/vehicleinfo",
  headers: { accept: "application/json", authorization: `Bearer ${accessToken}` },
  body: ""
})
const revokeRequest = (token: string): Model.WireRequest => ({
  method: "DELETE",
  path: "/v1/access_tokens",
  headers: jsonHeaders,
  body: JSON.stringify({ token, token_type_hint: "refresh_token", ...credentials })
})

interface TokenAnswer {
  readonly access_token: string
  readonly refresh_token: string
}

/** The operations of a session, in order, as the model-alone row times each. */
const operations = ["code exchange", "vehicle info", "refresh", "vehicle info", "revocation"] as const
type Operation = (typeof operations)[number]

/**
 * `Model.step` on its own state, the same sessions, each answer checked. Besides the round's figure it keeps, per
 * kind of operation, the round's mean µs: what each endpoint costs the model on a growing state.
 */
const modelAlone = () => {
  let state = Either.getOrThrow(Model.make(serverOptions))
  const perKind = new Map<Operation, Array<number>>(operations.map((kind) => [kind, []]))
  const spent = new Map<Operation, number>()
  const step = (kind: Operation, request: Model.WireRequest): string => {
    const start = performance.now()
    const [response, next] = Model.step(state, Date.now(), request)
    spent.set(kind, (spent.get(kind) ?? 0) + performance.now() - start)
    if (response.status !== 200) throw new Error(`the model answered ${response.status}: ${response.body}`)
    state = next
    return response.body
  }
  const runSession = (code: string) => {
    const granted: TokenAnswer = JSON.parse(
      step("code exchange", tokenRequest({ grant_type: "authorization_code", code, redirect_uri: redirectUri }))
    )
    expectVin(JSON.parse(step("vehicle info", vehicleInfoRequest(granted.access_token))).vin)
    const refreshed: TokenAnswer = JSON.parse(
      step("refresh", tokenRequest({ grant_type: "refresh_token", refresh_token: granted.refresh_token }))
    )
    expectVin(JSON.parse(step("vehicle info", vehicleInfoRequest(refreshed.access_token))).vin)
    step("revocation", revokeRequest(refreshed.refresh_token))
  }
  const contender: Contender = {
    name: "Model.step alone",
    round: async (count) => {
      const codes = Array.from({ length: sessionsFor(count) }, () => {
        const [authorized, next] = Either.getOrThrow(Model.authorize(state, Date.now(), authorizeRequest))
        state = next
        return authorized.code
      })
      spent.clear()
      const start = performance.now()
      for (const code of codes) runSession(code)
      const elapsed = performance.now() - start
      for (const [kind, figures] of perKind) {
        const times = operations.filter((other) => other === kind).length * codes.length
        figures.push(((spent.get(kind) ?? 0) * 1000) / times)
      }
      return (elapsed * 1000) / (codes.length * operationsPerSession)
    }
  }
  return {
    contender,
    size: () => sizeOf(state),
    /** Per kind of operation, the median over rounds (warm-up included) of its mean µs. */
    perOperation: () =>
      [...perKind.entries()].map(([kind, figures]) => `${kind} ${median(figures).toFixed(1)}`).join(", ")
  }
}

const verdict = (met: boolean) => (met ? "met" : "missed")

const targets = (fake: Summary | undefined): ReadonlyArray<string> => {
  const ratio = fake?.ratios[floorName]
  if (fake === undefined || ratio === undefined) return []
  const perSecond = 1e6 / fake.median
  return [
    `target ≤ 1.30× the canned HttpClient: ${ratio.toFixed(2)}×, ${verdict(ratio <= 1.3)}; ` +
      `target ≥ 10,000 ops/s: ${perSecond.toFixed(0)} ops/s, ${verdict(perSecond >= 10_000)}`
  ]
}

const floorName = "canned HttpClient"
const fakeName = "FakeServer.layer"

export const benchmark: Benchmark = {
  name: "in-memory",
  title: "core operations on one fiber: the in-memory fake against a canned-response HttpClient (core's floor)",
  unit: "µs/op",
  rate: "ops/s",
  perRoundUnit: "operations",
  settings: {
    full: { rounds: 30, warmupRounds: 10, perRound: 1000 },
    smoke: { rounds: 2, warmupRounds: 1, perRound: 10 }
  },
  run: async (options) => {
    const floor = ManagedRuntime.make(coreLayer.pipe(Layer.provide(cannedHttpClient)))
    const fake = ManagedRuntime.make(coreLayer.pipe(Layer.provideMerge(FakeServer.layer(serverOptions))))
    const model = modelAlone()
    try {
      const server = await fake.runPromise(FakeServer.FakeServer)
      const cannedCode = Redacted.make("canned-code")
      const consent = (sessions: number) =>
        fake.runPromise(
          Effect.replicateEffect(
            Effect.map(server.authorize(authorizeRequest), (consented) => consented.code),
            sessions
          )
        )
      const contenders = [
        await coreContender(floorName, floor, async (sessions) => Array.from({ length: sessions }, () => cannedCode)),
        await coreContender(fakeName, fake, consent),
        model.contender
      ]
      const comparison = await compare(contenders, options, [floorName])
      const fakeState = await fake.runPromise(server.state)
      return {
        ...comparison,
        notes: [
          `state at the end: ${fakeName}: ${sizeOf(fakeState)}; ${model.contender.name}: ${model.size()}`,
          `${model.contender.name}, µs per operation (median over rounds, warm-up included): ${model.perOperation()}`,
          ...targets(comparison.contenders.find((contender) => contender.name === fakeName))
        ]
      }
    } finally {
      await Promise.all([floor.dispose(), fake.dispose()])
    }
  }
}
