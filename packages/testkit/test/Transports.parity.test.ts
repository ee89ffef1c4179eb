/**
 * Both transports give the same answer to the same request: generated sequences of requests, well-formed and
 * malformed (odd methods and targets, broken, repeated and oversized bodies, bad headers), go to a fresh in-memory
 * server and a fresh server over HTTP from the same seed, and every status, header and body must match, as must
 * the two histories. Only what a socket adds (`date`, `connection`, `keep-alive`) and the random ECDSA signature of
 * client-credentials tokens may differ.
 */
import { HttpClient, HttpClientRequest, type HttpMethod } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer, Redacted, Stream } from "effect"
import * as FakeHttpServer from "../src/FakeHttpServer.js"
import * as FakeServer from "../src/FakeServer.js"
import { CHALLENGE, FLEET, NATIVE, OTHER, VERIFIER, VIN, WEB } from "./fixtures.js"
import { sized } from "./support/runs.js"

const options = {
  seed: 11,
  clients: [WEB, NATIVE, OTHER, FLEET],
  vehicles: [{ vin: VIN }],
  policy: { audience: "http://fake.test/v1" }
}

/** What a request's fields may hold: fixed text, or a value the server issued earlier (its own, per server). */
type Value = string | { readonly issued: number }

const value = fc.oneof(
  { weight: 3, arbitrary: fc.nat().map((issued): Value => ({ issued })) },
  fc.constantFrom<Value>("", " ", "81bcb5ee-3aa1-4fc6-bc54-79019af30a45", "é", "a b"),
  fc.string({ maxLength: 12 })
)

const fields = fc.dictionary(
  fc.constantFrom(
    "grant_type",
    "code",
    "redirect_uri",
    "client_id",
    "client_secret",
    "refresh_token",
    "code_verifier",
    "token",
    "token_type_hint",
    "scope",
    "client_assertion",
    "client_assertion_type"
  ),
  fc.oneof(
    { weight: 4, arbitrary: value },
    fc.constantFrom<Value>(
      "authorization_code",
      "refresh_token",
      "refresh",
      "client_credentials",
      WEB.id,
      WEB.secret,
      NATIVE.id,
      OTHER.id,
      OTHER.secret,
      FLEET.id,
      WEB.redirectUris[0]!,
      NATIVE.redirectUris[0]!,
      VERIFIER
    )
  ),
  { maxKeys: 6 }
)

/** A body: fields as JSON or as a form, or something no parser should take for fields. */
const body = fc.oneof(
  { weight: 6, arbitrary: fields.map((f) => ({ _tag: "json" as const, fields: f })) },
  { weight: 3, arbitrary: fields.map((f) => ({ _tag: "form" as const, fields: f })) },
  fc
    .constantFrom(
      '{"grant_type":',
      "[]",
      "null",
      '{"grant_type":"client_credentials","client_id":42}',
      `{"client_id":"${WEB.id}","client_id":"${OTHER.id}","grant_type":"client_credentials","client_secret":"x"}`,
      `client_id=${WEB.id}&client_id=${OTHER.id}&grant_type=client_credentials`,
      "x".repeat(70_000),
      "é".repeat(30_000)
    )
    .map((text) => ({ _tag: "text" as const, text })),
  fc.constant({ _tag: "none" as const })
)

const request = fc.record({
  method: fc.constantFrom<HttpMethod.HttpMethod>(
    "POST",
    "POST",
    "DELETE",
    "GET",
    "GET",
    "PUT",
    "HEAD",
    "PATCH",
    "OPTIONS"
  ),
  target: fc.constantFrom(
    "/v1/access_tokens",
    "/v1/access_tokens",
    "/v1/vehicleinfo",
    "/v1/vehicleinfo",
    "/v1/access_tokens?trace=1&code=x",
    "//evil.example/v1/access_tokens",
    "/\\evil/v1/vehicleinfo",
    "//v1/vehicleinfo",
    "/v1//access_tokens",
    "/V1/vehicleinfo",
    "/v1/vehicleinfo/",
    "/v1/%76ehicleinfo",
    "/v1/./vehicleinfo",
    "/v1/x/../vehicleinfo",
    "/constructor",
    "/"
  ),
  contentType: fc.constantFrom(
    undefined,
    "application/json",
    "application/json",
    "application/x-www-form-urlencoded",
    "application/json; charset=utf-8",
    "text/plain"
  ),
  authorization: fc.option(
    fc.oneof(
      fc.nat().map((issued) => ({ bearer: { issued } as Value })),
      fc.constantFrom("Bearer a b", "Bearer ", "bearer x", "Basic d2ViLWFwcDp3ZWItc2VjcmV0LTViMWUwYw==", "Bearer é")
    ),
    { nil: undefined }
  ),
  body
})

type Generated = typeof request extends fc.Arbitrary<infer A> ? A : never

/** What one server answered, with what it issued so far (its own values, for later requests to refer to). */
interface Run {
  readonly client: HttpClient.HttpClient
  readonly base: string
  readonly issued: Array<string>
}

const resolve = (run: Run, v: Value): string =>
  typeof v === "string" ? v : (run.issued[v.issued % Math.max(1, run.issued.length)] ?? "")

const resolveAll = (run: Run, f: Readonly<Record<string, Value>>) =>
  Object.fromEntries(Object.entries(f).map(([name, v]) => [name, resolve(run, v)]))

const toRequest = (run: Run, generated: Generated): HttpClientRequest.HttpClientRequest => {
  const { method, target, contentType, authorization } = generated
  let sent = HttpClientRequest.make(method)(`${run.base}${target}`)
  if (authorization !== undefined) {
    const header = typeof authorization === "string" ? authorization : `Bearer ${resolve(run, authorization.bearer)}`
    sent = HttpClientRequest.setHeader(sent, "authorization", header)
  }
  // GET and HEAD carry no body: a socket client refuses to send one
  if (method === "GET" || method === "HEAD" || generated.body._tag === "none") return sent
  const text =
    generated.body._tag === "text"
      ? generated.body.text
      : generated.body._tag === "json"
        ? JSON.stringify(resolveAll(run, generated.body.fields))
        : new URLSearchParams(resolveAll(run, generated.body.fields)).toString()
  return HttpClientRequest.bodyText(sent, text, contentType ?? "")
}

const TRANSPORT_HEADERS = new Set(["date", "connection", "keep-alive"])

// the claims of a client-credentials JWT are the same on both servers; its ECDSA signature is random
const signatureless = (text: string) => text.replace(/(eyJ[\w-]*\.eyJ[\w-]*)\.[\w-]+/g, "$1.<signature>")

const send = (run: Run, generated: Generated) =>
  Effect.gen(function* () {
    const response = yield* run.client.execute(toRequest(run, generated))
    const text = yield* response.text
    for (const match of text.matchAll(/"(?:access_token|refresh_token)":"([^"]+)"/g)) run.issued.push(match[1]!)
    const headers = Object.fromEntries(
      Object.entries(response.headers).filter(([name]) => !TRANSPORT_HEADERS.has(name))
    )
    return { status: response.status, headers, body: signatureless(text) }
  }).pipe(
    Effect.catchTag("RequestError", (error) => Effect.succeed({ lost: error.reason })),
    Effect.orDie
  )

/** Consents both servers give alike (the same seed draws the same codes), whose codes requests can then use. */
const consents = Effect.gen(function* () {
  const server = yield* FakeServer.FakeServer
  const web = yield* server.authorize({ clientId: WEB.id, redirectUri: WEB.redirectUris[0]!, vin: VIN })
  const native = yield* server.authorize({
    clientId: NATIVE.id,
    redirectUri: NATIVE.redirectUris[0]!,
    vin: VIN,
    codeChallenge: CHALLENGE
  })
  return [Redacted.value(web.code), Redacted.value(native.code)]
}).pipe(Effect.orDie)

/** Sends the requests to a fresh server in `context`, and hands back the answers and the history. */
const transcript = <R>(
  layer: Layer.Layer<FakeServer.FakeServer | HttpClient.HttpClient | R>,
  base: Effect.Effect<string, never, FakeServer.FakeServer | HttpClient.HttpClient | R>,
  requests: ReadonlyArray<Generated>
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const run: Run = { client: yield* HttpClient.HttpClient, base: yield* base, issued: [...(yield* consents)] }
      const answers = []
      for (const generated of requests) answers.push(yield* send(run, generated))
      const history = yield* (yield* FakeServer.FakeServer).history
      return {
        answers,
        history: history.map((entry) => signatureless(JSON.stringify(entry)))
      }
    }).pipe(Effect.provide(layer))
  )

const inMemory = FakeServer.layer({ ...options, baseUrl: "http://fake.test" }).pipe(Layer.orDie)
const overHttp = FakeHttpServer.layer(options).pipe(Layer.provideMerge(NodeHttpClient.layerUndici), Layer.orDie)

describe("the same answer over both transports", () => {
  it.effect.prop(
    "generated requests, malformed ones included, get byte-identical answers and histories in memory and over HTTP",
    { requests: fc.array(request, { minLength: 1, maxLength: 12 }) },
    ({ requests }) =>
      Effect.gen(function* () {
        const memory = yield* transcript(inMemory, Effect.succeed("http://fake.test"), requests)
        const http = yield* transcript(overHttp, FakeHttpServer.baseUrl, requests)
        expect(http.answers).toEqual(memory.answers)
        expect(http.history).toEqual(memory.history)
      }),
    sized(40)
  )

  it.effect("a stream or FormData body arrives whole in memory, as its bytes would over a socket", () =>
    Effect.gen(function* () {
      const fields = { grant_type: "client_credentials", client_id: WEB.id, client_secret: WEB.secret }
      const json = JSON.stringify(fields)
      const form = new FormData()
      for (const [name, text] of Object.entries(fields)) form.append(name, text)
      const post = (base: string) => HttpClientRequest.post(`${base}/v1/access_tokens`)
      const read = (request: HttpClientRequest.HttpClientRequest) =>
        Effect.flatMap(HttpClient.HttpClient, (client) =>
          Effect.flatMap(client.execute(request), (response) =>
            Effect.map(response.text, (text) => ({ status: response.status, body: signatureless(text) }))
          )
        ).pipe(Effect.scoped, Effect.orDie)
      const streamed = yield* read(
        HttpClientRequest.bodyStream(post("http://fake.test"), Stream.make(new TextEncoder().encode(json)), {
          contentType: "application/json"
        })
      ).pipe(Effect.provide(inMemory))
      // undici takes no Effect stream: over the socket the same bytes go as text
      const sent = yield* Effect.flatMap(FakeHttpServer.baseUrl, (base) =>
        read(HttpClientRequest.bodyText(post(base), json, "application/json"))
      ).pipe(Effect.provide(overHttp))
      expect(streamed.status).toBe(200)
      expect(streamed).toEqual(sent)
      // multipart is no media type of this API: malformed, which an empty body ("" read as no fields) is not
      const multipart = yield* read(HttpClientRequest.bodyFormData(post("http://fake.test"), form)).pipe(
        Effect.provide(inMemory)
      )
      expect(multipart).toEqual({ status: 400, body: expect.stringContaining("request body is malformed") })
    })
  )

  it.effect("the in-memory client serves its base URL's origin alone: any other host is a refused connection", () =>
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      const refused = yield* Effect.flip(client.get("https://api.high-mobility.com/v1/vehicleinfo"))
      expect(refused).toMatchObject({ _tag: "RequestError", reason: "Transport" })
      const served = yield* client.get("http://fake.test/v1/vehicleinfo")
      expect(served.status).toBe(401)
      expect(yield* (yield* FakeServer.FakeServer).history).toHaveLength(1)
    }).pipe(Effect.provide(inMemory))
  )
})
