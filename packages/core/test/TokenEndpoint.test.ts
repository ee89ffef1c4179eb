import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Exit, Option, Redacted } from "effect"
import { decodeJwt, decodeProtectedHeader, exportPKCS8, generateKeyPair } from "jose"
import { Credentials, TokenEndpoint } from "../src/index.js"
import * as Scripted from "./support/ScriptedHttpClient.js"
import { schemaExample, tokenErrorExamples, tokenRequestExamples, tokenResponseExamples } from "./support/spec.js"

const tokenJson = tokenResponseExamples["ConsentFlow:web: Get access token"]!.value

/** Runs `f` with the token endpoint over a scripted client; returns its exit and the requests sent. */
const run = <A, E>(
  f: (endpoint: TokenEndpoint.TokenEndpoint["Type"]) => Effect.Effect<A, E>,
  script: Scripted.Script = [{ status: 200, json: tokenJson }],
  options: Parameters<typeof Scripted.layer>[1] = {}
) => {
  const { layer, sent } = Scripted.layer(script, options)
  return Effect.flatMap(TokenEndpoint.TokenEndpoint, f).pipe(
    Effect.exit,
    Effect.map((exit) => ({ exit, sent })),
    Effect.provide(layer)
  )
}

const example = (name: string) => tokenRequestExamples[name]!.value as Record<string, string>
const secret = Credentials.clientSecret("rzeVs5nnx5OCMQejjfQTjLE8Jb2ReFSU")

describe("TokenEndpoint wire format, checked against the spec's request examples", () => {
  it.effect("ConsentFlow:web: Get access token", () =>
    Effect.gen(function* () {
      const expected = example("ConsentFlow:web: Get access token")
      const { exit, sent } = yield* run(
        (endpoint) =>
          endpoint.exchangeCode({ code: Redacted.make(expected.code!), redirectUri: expected.redirect_uri! }),
        undefined,
        { clientId: expected.client_id!, credentials: secret }
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(sent).toHaveLength(1)
      expect(sent[0]!.method).toBe("POST")
      expect(sent[0]!.url.href).toBe("https://sandbox.api.high-mobility.com/v1/access_tokens")
      expect(sent[0]!.headers["content-type"]).toBe("application/json")
      expect(sent[0]!.headers.accept).toBe("application/json")
      expect(JSON.parse(sent[0]!.body)).toEqual(expected)
    })
  )

  it.effect("ConsentFlow:in-app: Get access token (PKCE, no secret)", () =>
    Effect.gen(function* () {
      const expected = example("ConsentFlow:in-app: Get access token")
      const { sent } = yield* run(
        (endpoint) =>
          endpoint.exchangeCode({
            code: Redacted.make(expected.code!),
            redirectUri: expected.redirect_uri!,
            codeVerifier: Redacted.make(expected.code_verifier!)
          }),
        undefined,
        { clientId: expected.client_id! }
      )
      expect(JSON.parse(sent[0]!.body)).toEqual(expected)
    })
  )

  // The spec's refresh examples say `grant_type: refresh`, against its own enum; RFC 6749 and the enum say
  // `refresh_token`, which is what the client sends.
  for (const [name, credentials] of [
    ["ConsentFlow:web: Refresh access token", secret],
    ["ConsentFlow:in-app: Refresh access token", Credentials.none]
  ] as const) {
    it.effect(name, () =>
      Effect.gen(function* () {
        const expected = example(name)
        const { sent } = yield* run((endpoint) => endpoint.refresh(Redacted.make(expected.refresh_token!)), undefined, {
          clientId: expected.client_id!,
          credentials
        })
        expect(JSON.parse(sent[0]!.body)).toEqual({ ...expected, grant_type: "refresh_token" })
      })
    )
  }

  it.effect("ApplicationApiKey: Get access token using client_credentials", () =>
    Effect.gen(function* () {
      const expected = example("ApplicationApiKey: Get access token using client_credentials")
      const { sent } = yield* run((endpoint) => endpoint.clientCredentials(), undefined, {
        clientId: expected.client_id!,
        credentials: secret
      })
      expect(JSON.parse(sent[0]!.body)).toEqual(expected)
    })
  )

  it.live("ApplicationApiKey: Get access token using client_credentials with client_assertion", () =>
    Effect.gen(function* () {
      const expected = example("ApplicationApiKey: Get access token using client_credentials with client_assertion")
      const { privateKey } = yield* Effect.promise(() => generateKeyPair("ES256", { extractable: true }))
      const pem = yield* Effect.promise(() => exportPKCS8(privateKey))
      const key = { id: "5e3cc349-1c6f-4975-aeaa-9d319086190b", privateKeyPem: Redacted.make(pem) }
      const { exit, sent } = yield* run((endpoint) => endpoint.clientCredentials(), undefined, {
        clientId: expected.client_id!,
        credentials: Credentials.serviceAccount(key)
      })
      expect(Exit.isSuccess(exit)).toBe(true)
      const body = JSON.parse(sent[0]!.body)
      expect(Object.keys(body).sort()).toEqual(Object.keys(expected).sort())
      expect({ ...body, client_assertion: "" }).toEqual({ ...expected, client_assertion: "" })
      // Same shape as the spec's example assertion: header and claim names, `iss` = key id, `aud` = base + /v1.
      const exampleClaims = decodeJwt(expected.client_assertion!)
      const claims = decodeJwt(body.client_assertion)
      expect(decodeProtectedHeader(body.client_assertion)).toEqual(decodeProtectedHeader(expected.client_assertion!))
      expect(Object.keys(claims).sort()).toEqual(Object.keys(exampleClaims).sort())
      expect(claims).toMatchObject({ iss: key.id, aud: "https://sandbox.api.high-mobility.com/v1", ver: 2 })
    })
  )

  it.effect("form encoding sends the same fields as application/x-www-form-urlencoded", () =>
    Effect.gen(function* () {
      const expected = example("ConsentFlow:web: Get access token")
      const { sent } = yield* run(
        (endpoint) =>
          endpoint.exchangeCode({ code: Redacted.make(expected.code!), redirectUri: expected.redirect_uri! }),
        undefined,
        { clientId: expected.client_id!, credentials: secret, bodyEncoding: "form" }
      )
      expect(sent[0]!.headers["content-type"]).toBe("application/x-www-form-urlencoded")
      expect(Object.fromEntries(new URLSearchParams(sent[0]!.body))).toEqual(expected)
    })
  )

  it.effect("scopes of a client_credentials request are joined with spaces", () =>
    Effect.gen(function* () {
      const { sent } = yield* run((endpoint) =>
        endpoint.clientCredentials({ scope: ["fleet:clearance", "vehicle:data"] })
      )
      expect(JSON.parse(sent[0]!.body).scope).toBe("fleet:clearance vehicle:data")
    })
  )
})

describe("TokenEndpoint decodes every response example of the spec", () => {
  for (const [name, { value }] of Object.entries(tokenResponseExamples)) {
    it.effect(name, () =>
      Effect.gen(function* () {
        const { exit } = yield* run((endpoint) => endpoint.clientCredentials(), [{ status: 200, json: value }])
        const tokens = yield* exit
        const now = yield* DateTime.now
        expect(Redacted.value(tokens.accessToken)).toBe(value.access_token)
        expect(Option.map(tokens.refreshToken, Redacted.value)).toEqual(Option.fromNullable(value.refresh_token))
        expect(tokens.tokenType).toBe("bearer")
        expect(tokens.scopes).toEqual(String(value.scope).split(" "))
        expect(tokens.status).toBe(value.status ?? "approved")
        expect(DateTime.distance(now, tokens.expiresAt)).toBe(Number(value.expires_in) * 1000)
      })
    )
  }

  it.effect("the schema's own example: validity window, pending status, expiry from the client's clock", () =>
    Effect.gen(function* () {
      const value = schemaExample("AccessTokensReponse")
      const { exit } = yield* run(
        (endpoint) => endpoint.clientCredentials(),
        [{ status: 200, json: { ...value, authorization_id: "a1" } }]
      )
      const tokens = yield* exit
      expect(tokens.status).toBe("pending")
      expect(tokens.authorizationId).toEqual(Option.some("a1"))
      expect(Option.map(tokens.validFrom, DateTime.formatIso)).toEqual(Option.some("2018-11-01T00:01:02.094Z"))
      expect(Option.map(tokens.validUntil, DateTime.formatIso)).toEqual(Option.some("2020-12-31T10:20:37.094Z"))
      expect(DateTime.formatIso(tokens.expiresAt)).toBe("1970-01-01T00:10:00.000Z")
      expect(tokens.isExpired(DateTime.unsafeMake(599_000))).toBe(false)
      expect(tokens.isExpired(DateTime.unsafeMake(599_000), "1 second")).toBe(true)
    })
  )

  it.effect("expires_in as a numeric string and HTTP 201 are accepted", () =>
    Effect.gen(function* () {
      const { exit } = yield* run(
        (endpoint) => endpoint.clientCredentials(),
        [{ status: 201, json: { ...tokenJson, expires_in: "120" } }]
      )
      const tokens = yield* exit
      expect(DateTime.formatIso(tokens.expiresAt)).toBe("1970-01-01T00:02:00.000Z")
    })
  )

  for (const [name, { value }] of Object.entries(tokenErrorExamples)) {
    it.effect(`400 example "${name}" becomes an OAuthProtocolError`, () =>
      Effect.gen(function* () {
        const { exit } = yield* run((endpoint) => endpoint.clientCredentials(), [{ status: 400, json: value }])
        const error = yield* Effect.flip(exit)
        expect(error._tag).toBe("OAuthProtocolError")
        if (error._tag !== "OAuthProtocolError") return
        expect(error.error).toBe("invalid_request")
        expect(error.description).toBe(value.error_description)
        const expectedReason = {
          "Missing required params": "InvalidRequest",
          "Invalid client_secret": "InvalidClient",
          "ConsentFlow:web: invalid code": "InvalidGrant",
          "ApplicationApiKey: expired key": "InvalidClient"
        }[name]
        expect(error.reason).toBe(expectedReason)
      })
    )
  }
})
