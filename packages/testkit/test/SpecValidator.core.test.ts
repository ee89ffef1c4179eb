import { generateKeyPairSync } from "node:crypto"
import { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Credentials, HmOAuth, HmOAuthConfig, Pkce, Revocation, TokenEndpoint, VehicleInfo } from "@hm-oauth/core"
import { Effect, Layer, Redacted } from "effect"
import { FakeServer, InMemoryHttpClient, SpecValidator } from "../src/index.js"

// Every request core sends, in each encoding and with each kind of credentials, checked against the document.

const validator = SpecValidator.make()

const ACCESS_TOKEN = "81bcb5ee-3aa1-4fc6-bc54-79019af30a45"
const REFRESH_TOKEN = "b39c3380-a8cf-48fe-ad80-d70279a4a5d6"

const answer = (incoming: InMemoryHttpClient.Incoming): FakeServer.Reply => {
  switch (`${incoming.method} ${incoming.url.pathname}`) {
    case "POST /v1/access_tokens":
      return FakeServer.json(200, {
        access_token: ACCESS_TOKEN,
        token_type: "bearer",
        expires_in: 3600,
        refresh_token: REFRESH_TOKEN
      })
    case "DELETE /v1/access_tokens":
      return FakeServer.response(200)
    default:
      return FakeServer.json(200, { vin: "WBA00000000000001", sub: "00000000-0000-0000-0000-000000000000" })
  }
}

type Services = TokenEndpoint.TokenEndpoint | Revocation.Revocation | VehicleInfo.VehicleInfo

/** Runs `program` with core over an in-memory client; returns the report of every request it sent. */
const requestsOf = <A, E>(options: Partial<HmOAuthConfig.Options>, program: Effect.Effect<A, E, Services>) =>
  Effect.gen(function* () {
    const sent: Array<SpecValidator.Request> = []
    const client = InMemoryHttpClient.make((incoming) => {
      sent.push({ ...incoming, path: `${incoming.url.pathname}${incoming.url.search}` })
      return Effect.succeed(answer(incoming))
    })
    const services = HmOAuth.layer.pipe(
      Layer.provide(HmOAuthConfig.layer({ clientId: "09ce38c6-5cd7-47b0-b271-235414e938c6", ...options })),
      Layer.provide(Layer.succeed(HttpClient.HttpClient, client)),
      Layer.orDie
    )
    yield* program.pipe(Effect.provide(services))
    return sent.map((request) => {
      const { exchange, violations, deviations } = validator.validateRequest(request)
      return { exchange, violations, deviations }
    })
  })

const exchangeCode = (codeVerifier?: Redacted.Redacted<string>) =>
  Effect.flatMap(TokenEndpoint.TokenEndpoint, (endpoint) =>
    endpoint.exchangeCode({
      code: Redacted.make("7672e33d"),
      redirectUri: "https://app.example/callback",
      codeVerifier
    })
  )
const refresh = Effect.flatMap(TokenEndpoint.TokenEndpoint, (endpoint) =>
  endpoint.refresh(Redacted.make(REFRESH_TOKEN))
)
const clientCredentials = Effect.flatMap(TokenEndpoint.TokenEndpoint, (endpoint) =>
  endpoint.clientCredentials({ scope: ["fleet:clearance", "vehicle:data"] })
)
const revoke = Effect.flatMap(Revocation.Revocation, (revocation) =>
  revocation.revoke({ token: Redacted.make(REFRESH_TOKEN), tokenTypeHint: "refresh_token" })
)
const vehicleInfo = Effect.flatMap(VehicleInfo.VehicleInfo, (info) => info.get(Redacted.make(ACCESS_TOKEN)))

const conforming = (exchange: string, ...deviations: ReadonlyArray<SpecValidator.Deviation>) => ({
  exchange,
  violations: [],
  deviations
})

const serviceAccountKey = {
  id: "5e3cc349-1c6f-4975-aeaa-9d319086190b",
  privateKeyPem: Redacted.make(
    generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString()
  )
}

const credentials = {
  secret: Credentials.clientSecret("rzeVs5nnx5OCMQejjfQTjLE8Jb2ReFSU"),
  none: Credentials.none,
  "service account": Credentials.serviceAccount(serviceAccountKey)
}

for (const bodyEncoding of ["json", "form"] as const) {
  // form bodies deviate on every request with a body; vehicle info has none
  const body = (...deviations: ReadonlyArray<SpecValidator.Deviation>): ReadonlyArray<SpecValidator.Deviation> =>
    bodyEncoding === "form" ? ["FormEncodedBody", ...deviations] : deviations

  describe(`core's requests conform, ${bodyEncoding} bodies`, () => {
    it.effect("client secret: exchangeCode, refresh, clientCredentials, revoke, vehicleInfo", () =>
      Effect.gen(function* () {
        const reports = yield* requestsOf(
          { credentials: credentials.secret, bodyEncoding },
          Effect.all([exchangeCode(), refresh, clientCredentials, revoke, vehicleInfo])
        )
        expect(reports).toEqual([
          conforming("POST /v1/access_tokens", ...body()),
          conforming("POST /v1/access_tokens", ...body()),
          conforming("POST /v1/access_tokens", ...body()),
          conforming("DELETE /v1/access_tokens", ...body()),
          conforming("GET /v1/vehicleinfo", "BearerAuthorization")
        ])
      })
    )

    it.effect("public PKCE client: exchangeCode with a verifier, refresh, revoke without a secret", () =>
      Effect.gen(function* () {
        const pkce = yield* Pkce.make
        const reports = yield* requestsOf(
          { credentials: credentials.none, bodyEncoding },
          Effect.all([exchangeCode(pkce.verifier), refresh, revoke])
        )
        expect(reports).toEqual([
          conforming("POST /v1/access_tokens", ...body()),
          conforming("POST /v1/access_tokens", ...body()),
          conforming("DELETE /v1/access_tokens", ...body("RevocationWithoutClientSecret"))
        ])
      })
    )

    it.effect("service account: clientCredentials with a client assertion, revoke with one", () =>
      Effect.gen(function* () {
        const reports = yield* requestsOf(
          { credentials: credentials["service account"], bodyEncoding },
          Effect.all([clientCredentials, revoke])
        )
        expect(reports).toEqual([
          conforming("POST /v1/access_tokens", ...body()),
          conforming("DELETE /v1/access_tokens", ...body("RevocationWithoutClientSecret"))
        ])
      })
    )
  })
}
