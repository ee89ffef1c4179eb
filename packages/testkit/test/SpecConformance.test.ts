/**
 * The served fake and the core client, held to the OpenAPI document: every request core sends and every
 * response the server gives on the API's paths validates (known deviations aside, see `SpecValidator`).
 */

import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Credentials, HmOAuth, HmOAuthConfig, Pkce, Revocation, TokenEndpoint, VehicleInfo } from "@hm-oauth/core"
import { Effect, FastCheck as fc, Layer, Option, Redacted, Schedule } from "effect"
import * as FakeHttpServer from "../src/FakeHttpServer.js"
import { FakeServer } from "../src/FakeServer.js"
import * as SpecValidator from "../src/SpecValidator.js"
import { FLEET, NATIVE, serviceKey, VIN, WEB } from "./fixtures.js"
import * as Recording from "./support/recording.js"

const validator = SpecValidator.make()
const redirectUri = WEB.redirectUris[0]!
const serverOptions = { clients: [WEB, NATIVE, FLEET], vehicles: [{ vin: VIN }] }

/** Runs `effect` with core acting as `identity` against the server under test, without retries. */
const actingAs =
  (identity: { readonly clientId: string; readonly credentials: Credentials.Credentials }) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.flatMap(FakeHttpServer.baseUrl, (baseUrl) =>
      Effect.provide(
        effect,
        HmOAuth.layer.pipe(
          Layer.provide(HmOAuthConfig.layer({ ...identity, baseUrl, retrySchedule: Schedule.stop })),
          Layer.orDie
        )
      )
    )

const web = actingAs({ clientId: WEB.id, credentials: Credentials.clientSecret(WEB.secret) })
const native = actingAs({ clientId: NATIVE.id, credentials: Credentials.none })
const fleet = actingAs({
  clientId: FLEET.id,
  credentials: Credentials.serviceAccount({
    id: "key-1",
    privateKeyPem: Redacted.make(serviceKey.privateKey.export({ format: "pem", type: "pkcs8" }).toString())
  })
})

const tokens = TokenEndpoint.TokenEndpoint
const vehicles = VehicleInfo.VehicleInfo
const revocation = Revocation.Revocation

describe("spec conformance over HTTP", () => {
  it.live("every request core sends and every response the server gives validates against the document", () => {
    const exchanges: Array<Recording.Exchange> = []
    return Effect.gen(function* () {
      const server = yield* FakeServer
      const { code } = yield* server.authorize({ clientId: WEB.id, redirectUri, vin: VIN })
      const first = yield* web(Effect.flatMap(tokens, (t) => t.exchangeCode({ code, redirectUri })))
      yield* web(Effect.flatMap(vehicles, (v) => v.get(first.accessToken)))
      const second = yield* web(Effect.flatMap(tokens, (t) => t.refresh(Option.getOrThrow(first.refreshToken))))
      // errors: a replayed code, a reused refresh token, a refused access token
      yield* web(Effect.flip(Effect.flatMap(tokens, (t) => t.exchangeCode({ code, redirectUri }))))
      yield* web(Effect.flip(Effect.flatMap(tokens, (t) => t.refresh(Option.getOrThrow(first.refreshToken)))))
      yield* web(Effect.flip(Effect.flatMap(vehicles, (v) => v.get(second.accessToken))))
      yield* web(Effect.flatMap(revocation, (r) => r.revoke({ token: Option.getOrThrow(second.refreshToken) })))
      yield* web(
        Effect.flatMap(revocation, (r) => r.revoke({ token: Redacted.make("unknown"), tokenTypeHint: "access_token" }))
      )
      yield* web(Effect.flatMap(tokens, (t) => t.clientCredentials()))
      const pkce = yield* Pkce.make
      const nativeCode = yield* server.authorize({
        clientId: NATIVE.id,
        redirectUri: NATIVE.redirectUris[0]!,
        vin: VIN,
        codeChallenge: pkce.challenge
      })
      const nativeTokens = yield* native(
        Effect.flatMap(tokens, (t) =>
          t.exchangeCode({ code: nativeCode.code, redirectUri: NATIVE.redirectUris[0]!, codeVerifier: pkce.verifier })
        )
      )
      yield* native(Effect.flatMap(revocation, (r) => r.revoke({ token: nativeTokens.accessToken })))
      yield* fleet(Effect.flatMap(tokens, (t) => t.clientCredentials()))
      yield* actingAs({ clientId: WEB.id, credentials: Credentials.clientSecret("wrong") })(
        Effect.flip(Effect.flatMap(tokens, (t) => t.clientCredentials()))
      )

      expect(exchanges.map(({ request, response }) => `${request.method} ${response.status}`)).toEqual([
        "POST 200",
        "GET 200",
        "POST 200",
        "POST 400",
        "POST 400",
        "GET 401",
        "DELETE 200",
        "DELETE 200",
        "POST 200",
        "POST 200",
        "DELETE 200",
        "POST 200",
        "POST 400"
      ])
      for (const { request, response } of exchanges) {
        expect(validator.validateRequest(request).violations).toEqual([])
        expect(validator.validateResponse(request, response).violations).toEqual([])
      }
    }).pipe(
      Effect.provide(
        Recording.layer(exchanges).pipe(
          Layer.provide(NodeHttpClient.layerUndici),
          Layer.provideMerge(FakeHttpServer.layer(serverOptions)),
          Layer.orDie
        )
      )
    )
  })

  /** A body field: absent, a plausible value, or junk. */
  const field = (plausible: ReadonlyArray<string>) =>
    fc.option(fc.oneof(fc.constantFrom(...plausible), fc.string({ maxLength: 40 })), { nil: undefined })

  const arbitraryRequest = fc.record({
    method: fc.constantFrom("POST", "DELETE", "GET"),
    encoding: fc.constantFrom("json", "form", "garbage"),
    fields: fc.record({
      grant_type: field(["authorization_code", "refresh_token", "refresh", "client_credentials", "password"]),
      client_id: field([WEB.id, NATIVE.id, FLEET.id]),
      client_secret: field([WEB.secret, "wrong"]),
      code: field(["7672e33d-fdc0-47f0-bd17-6c1e727271f8"]),
      redirect_uri: field([redirectUri]),
      refresh_token: field(["6f3ab59b-9fb5-42ba-8e5b-574757fbffc8"]),
      code_verifier: field(["dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"]),
      client_assertion: field(["eyJhbGciOiJFUzI1NiJ9.e30.c2ln"]),
      client_assertion_type: field(["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]),
      token: field(["81bcb5ee-3aa1-4fc6-bc54-79019af30a45"]),
      token_type_hint: field(["access_token", "refresh_token", "id_token"])
    }),
    authorization: fc.option(fc.oneof(fc.constant("Bearer 81bcb5ee-3aa1-4fc6-bc54-79019af30a45"), fc.string()), {
      nil: undefined
    })
  })

  it.live("for arbitrary requests to the API's operations, every response the server gives validates", () =>
    Effect.gen(function* () {
      const baseUrl = yield* FakeHttpServer.baseUrl
      const samples = fc.sample(arbitraryRequest, { numRuns: 150, seed: 7 })
      for (const sample of samples) {
        const fields = Object.fromEntries(Object.entries(sample.fields).filter(([, value]) => value !== undefined))
        const path = sample.method === "GET" ? "/v1/vehicleinfo" : "/v1/access_tokens"
        const [contentType, body] =
          sample.encoding === "json"
            ? ["application/json", JSON.stringify(fields)]
            : sample.encoding === "form"
              ? ["application/x-www-form-urlencoded", new URLSearchParams(fields as Record<string, string>).toString()]
              : ["application/json", "{not json"]
        const headers: Record<string, string> = { "content-type": contentType }
        if (sample.authorization !== undefined && /^[\t\x20-\x7e]*$/.test(sample.authorization)) {
          headers.authorization = sample.authorization
        }
        const response = yield* Effect.promise(() =>
          fetch(`${baseUrl}${path}`, { method: sample.method, headers, ...(sample.method === "GET" ? {} : { body }) })
        )
        const answer = {
          status: response.status,
          headers: Object.fromEntries(response.headers),
          body: yield* Effect.promise(() => response.text())
        }
        const report = validator.validateResponse({ method: sample.method, path }, answer)
        expect(report.violations, `${sample.method} ${path} ${body} → ${answer.status} ${answer.body}`).toEqual([])
      }
    }).pipe(Effect.provide(FakeHttpServer.layer(serverOptions).pipe(Layer.orDie)))
  )
})
