import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Redacted, Schedule } from "effect"
import { exportPKCS8, generateKeyPair } from "jose"
import { Credentials, HmOAuth, type HmOAuthError, Revocation } from "../src/index.js"
import {
  accessToken,
  adjust,
  blockedOnClock,
  clientCredentials,
  exchangeCode,
  failureOf,
  noRetry,
  refresh,
  refreshToken,
  revoke,
  runToEnd,
  type Services,
  start,
  tokenJson,
  vehicleInfo,
  vehicleJson
} from "./support/calls.js"
import * as Scripted from "./support/ScriptedHttpClient.js"

describe("each failure becomes its typed error", () => {
  it.effect("429 with Retry-After in seconds → RateLimited", () =>
    Effect.gen(function* () {
      const { error } = yield* failureOf(vehicleInfo, [{ status: 429, headers: { "retry-after": "7" } }], noRetry)
      expect(error).toMatchObject({ _tag: "RateLimited", operation: "vehicleInfo", retryAfter: Duration.seconds(7) })
    })
  )

  it.effect("Retry-After as an HTTP date is relative to the client's clock", () =>
    Effect.gen(function* () {
      const { error } = yield* failureOf(
        vehicleInfo,
        [{ status: 503, headers: { "retry-after": new Date(30_000).toUTCString() } }],
        noRetry
      )
      expect(error).toMatchObject({ _tag: "ServerUnavailable", status: 503, retryAfter: Duration.seconds(30) })
    })
  )

  it.effect("an unreadable Retry-After is ignored", () =>
    Effect.gen(function* () {
      const { error } = yield* failureOf(vehicleInfo, [{ status: 429, headers: { "retry-after": "soon" } }], noRetry)
      expect(error._tag).toBe("RateLimited")
      expect(error).not.toHaveProperty("retryAfter")
    })
  )

  it.effect("no answer within the per-attempt timeout → RequestTimeout", () =>
    Effect.gen(function* () {
      const { fiber } = yield* start(vehicleInfo, [{ hang: true }], { ...noRetry, timeout: "2 seconds" })
      yield* adjust(fiber, "1999 millis")
      expect(fiber.unsafePoll()).toBe(null)
      yield* adjust(fiber, "1 millis")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error).toMatchObject({ _tag: "RequestTimeout", timeoutMillis: 2000 })
    })
  )

  it.effect("connection refused → TransportError that never reached the server", () =>
    Effect.gen(function* () {
      const { error } = yield* failureOf(vehicleInfo, [{ fail: "refused" }], noRetry)
      expect(error).toMatchObject({ _tag: "TransportError", mayHaveReachedServer: false })
    })
  )

  it.effect("connection reset → TransportError that may have reached the server", () =>
    Effect.gen(function* () {
      const { error } = yield* failureOf(vehicleInfo, [{ fail: "reset" }], noRetry)
      expect(error).toMatchObject({ _tag: "TransportError", mayHaveReachedServer: true })
    })
  )

  const unexpected: ReadonlyArray<readonly [string, Scripted.Reply, string]> = [
    ["a body that is not JSON", { status: 200, text: '{"access_token": ' }, "not JSON"],
    ["an HTML error page", { status: 404, text: "<html><body>Not Found</body></html>" }, "without an OAuth error body"],
    ["the wrong shape", { status: 200, json: { token: "x" } }, "access_token"],
    ["a success status with an error body", { status: 200, json: { error: "invalid_request" } }, "error body"],
    ["a redirect", { status: 302, text: "" }, "302"]
  ]
  for (const [name, reply, problem] of unexpected) {
    it.effect(`${name} → UnexpectedResponse`, () =>
      Effect.gen(function* () {
        const { error } = yield* failureOf(clientCredentials, [reply], noRetry)
        expect(error._tag).toBe("UnexpectedResponse")
        expect(error.message).toContain(problem)
      })
    )
  }

  it.effect("an excerpt of a misshapen success never shows the tokens in it", () =>
    Effect.gen(function* () {
      const { error } = yield* failureOf(
        clientCredentials,
        [
          {
            status: 200,
            json: { access_token: "fresh-token-value", refresh_token: "fresh-refresh-value", expires_in: "x" }
          }
        ],
        noRetry
      )
      expect(error).toMatchObject({ _tag: "UnexpectedResponse", status: 200 })
      const shown = JSON.stringify(error) + String(error)
      expect(shown).toContain("expires_in")
      expect(shown).not.toContain("fresh-token-value")
      expect(shown).not.toContain("fresh-refresh-value")
    })
  )

  const refusals: ReadonlyArray<readonly [string, unknown, object]> = [
    [
      "{ error, error_description }",
      { error: "invalid_token", error_description: "access token is expired" },
      { error: "invalid_token", description: "access token is expired", reason: "ExpiredToken" }
    ],
    [
      "{ errors: [...], request_id }",
      { errors: [{ title: "Unauthorized", detail: "Consent is removed by OEM" }], request_id: "r-1" },
      { error: "Unauthorized", description: "Consent is removed by OEM", requestId: "r-1", reason: "ConsentRevoked" }
    ],
    [
      "a bare array",
      [{ title: "Forbidden", detail: "No active consent" }],
      { error: "Forbidden", description: "No active consent", reason: "NoActiveConsent" }
    ],
    ["a body of no known shape", "<html>401</html>", { error: "unauthorized", reason: "Unknown" }]
  ]
  for (const [name, body, expected] of refusals) {
    it.effect(`vehicleinfo 401 with ${name} → Unauthorized`, () =>
      Effect.gen(function* () {
        const reply = typeof body === "string" ? { status: 401, text: body } : { status: 401, json: body }
        const { error } = yield* failureOf(vehicleInfo, [reply], noRetry)
        expect(error).toMatchObject({ _tag: "Unauthorized", status: 401, ...expected })
      })
    )
  }

  it.effect("another client's token is a dead grant when refreshing, a refusal of the client when revoking", () =>
    Effect.gen(function* () {
      const body = { error: "invalid_request", error_description: "token was not issued to this client" }
      const refreshed = yield* failureOf(refresh, [{ status: 400, json: body }], noRetry)
      expect(refreshed.error).toMatchObject({ _tag: "OAuthProtocolError", reason: "InvalidGrant" })
      const revoked = yield* failureOf(revoke, [{ status: 400, json: body }], noRetry)
      expect(revoked.error).toMatchObject({ _tag: "OAuthProtocolError", reason: "UnauthorizedClient" })
    })
  )

  it.effect("a precise RFC 6749 code wins over the description", () =>
    Effect.gen(function* () {
      const { error } = yield* failureOf(refresh, [{ status: 400, json: { error: "invalid_grant" } }], noRetry)
      expect(error).toMatchObject({ _tag: "OAuthProtocolError", reason: "InvalidGrant", status: 400 })
      const unknown = yield* failureOf(refresh, [{ status: 400, json: { error: "slow_down" } }], noRetry)
      expect(unknown.error).toMatchObject({ _tag: "OAuthProtocolError", reason: "Unknown" })
    })
  )
})

describe("retries of idempotent operations", () => {
  it.effect("vehicleinfo retries 5xx after 100 ms, then 200 ms, and succeeds on the third attempt", () =>
    Effect.gen(function* () {
      const { fiber, sent } = yield* start(vehicleInfo, [
        { status: 503 },
        { status: 500 },
        { status: 200, json: vehicleJson }
      ])
      expect(sent).toHaveLength(1)
      yield* adjust(fiber, "99 millis")
      expect(sent).toHaveLength(1)
      yield* adjust(fiber, "1 millis")
      expect(sent).toHaveLength(2)
      yield* adjust(fiber, "199 millis")
      expect(sent).toHaveLength(2)
      yield* adjust(fiber, "1 millis")
      const vehicle = yield* Fiber.join(fiber)
      expect(sent).toHaveLength(3)
      expect(vehicle.vin).toBe(vehicleJson.vin)
    })
  )

  it.effect("gives up after the schedule's retries with the last failure", () =>
    Effect.gen(function* () {
      const { error, sent } = yield* failureOf(vehicleInfo, [{ status: 502 }])
      expect(error).toMatchObject({ _tag: "ServerUnavailable", status: 502 })
      expect(sent).toHaveLength(4)
    })
  )

  it.effect("Retry-After stretches the delay beyond the schedule's", () =>
    Effect.gen(function* () {
      const { fiber, sent } = yield* start(revoke, [{ status: 429, headers: { "retry-after": "5" } }, { status: 200 }])
      yield* adjust(fiber, "4999 millis")
      expect(sent).toHaveLength(1)
      yield* adjust(fiber, "1 millis")
      yield* Fiber.join(fiber)
      expect(sent).toHaveLength(2)
    })
  )

  it.effect("a Retry-After beyond maxRetryAfter ends the retries at once", () =>
    Effect.gen(function* () {
      const { error, sent } = yield* failureOf(vehicleInfo, [{ status: 429, headers: { "retry-after": "3600" } }], {
        maxRetryAfter: "1 minute"
      })
      expect(error).toMatchObject({ _tag: "RateLimited", retryAfter: Duration.seconds(3600) })
      expect(sent).toHaveLength(1)
    })
  )

  it.effect("timeouts and transport failures are retried for client_credentials and revocation", () =>
    Effect.gen(function* () {
      const cc = yield* runToEnd(clientCredentials, [
        { hang: true },
        { fail: "reset" },
        { status: 200, json: tokenJson }
      ])
      expect(cc.exit._tag).toBe("Success")
      expect(cc.sent).toHaveLength(3)
      const revoked = yield* runToEnd(revoke, [{ fail: "reset" }, { status: 200 }])
      expect(revoked.exit._tag).toBe("Success")
      expect(revoked.sent).toHaveLength(2)
    })
  )

  it.live("each attempt of client_credentials carries a fresh client assertion", () =>
    Effect.gen(function* () {
      const { privateKey } = yield* Effect.promise(() => generateKeyPair("ES256", { extractable: true }))
      const privateKeyPem = Redacted.make(yield* Effect.promise(() => exportPKCS8(privateKey)))
      const { layer, sent } = Scripted.layer([{ status: 503 }, { status: 503 }, { status: 200, json: tokenJson }], {
        credentials: Credentials.serviceAccount({ id: "key-1", privateKeyPem }),
        retrySchedule: Schedule.recurs(2)
      })
      yield* Effect.provide(clientCredentials, layer)
      const assertions = sent.map((request) => JSON.parse(request.body).client_assertion)
      expect(assertions).toHaveLength(3)
      expect(new Set(assertions).size).toBe(3)
    })
  )

  it.effect("the default schedule makes at most 4 attempts within 30 seconds", () =>
    Effect.gen(function* () {
      const { layer, sent } = Scripted.layer([{ status: 503 }])
      const fiber = yield* Effect.fork(Effect.provide(vehicleInfo, layer))
      yield* blockedOnClock(fiber)
      yield* adjust(fiber, "30 seconds")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error._tag).toBe("ServerUnavailable")
      expect(sent).toHaveLength(4)
    })
  )
})

describe("code exchange and refresh are never replayed once they may have reached the server", () => {
  for (const [name, call] of [
    ["refresh", refresh],
    ["exchangeCode", exchangeCode]
  ] as const) {
    it.effect(`${name}: 5xx → OutcomeUnknown after one attempt`, () =>
      Effect.gen(function* () {
        const { error, sent } = yield* failureOf(call, [{ status: 500 }, { status: 200, json: tokenJson }])
        expect(error).toMatchObject({ _tag: "OutcomeUnknown", operation: name, failure: { _tag: "ServerUnavailable" } })
        expect(sent).toHaveLength(1)
      })
    )

    it.effect(`${name}: connection reset → OutcomeUnknown after one attempt`, () =>
      Effect.gen(function* () {
        const { error, sent } = yield* failureOf(call, [{ fail: "reset" }, { status: 200, json: tokenJson }])
        expect(error).toMatchObject({ _tag: "OutcomeUnknown", failure: { _tag: "TransportError" } })
        expect(sent).toHaveLength(1)
      })
    )

    it.effect(`${name}: timeout → OutcomeUnknown after one attempt`, () =>
      Effect.gen(function* () {
        const { error, sent } = yield* failureOf(call, [{ hang: true }, { status: 200, json: tokenJson }])
        expect(error).toMatchObject({ _tag: "OutcomeUnknown", failure: { _tag: "RequestTimeout" } })
        expect(sent).toHaveLength(1)
      })
    )

    it.effect(`${name}: a 200 whose body cannot be read → OutcomeUnknown: the server acted, the tokens are lost`, () =>
      Effect.gen(function* () {
        const { error, sent } = yield* failureOf(call, [{ status: 200, text: '{"access_token": "at-' }])
        expect(error).toMatchObject({ _tag: "OutcomeUnknown", failure: { _tag: "UnexpectedResponse", status: 200 } })
        expect(sent).toHaveLength(1)
      })
    )

    it.effect(`${name}: 429 → RateLimited after one attempt (refused, so the outcome is known)`, () =>
      Effect.gen(function* () {
        const { error, sent } = yield* failureOf(call, [{ status: 429, headers: { "retry-after": "1" } }])
        expect(error._tag).toBe("RateLimited")
        expect(sent).toHaveLength(1)
      })
    )

    it.effect(`${name}: connection refused is retried, since the server never saw the request`, () =>
      Effect.gen(function* () {
        const { exit, sent } = yield* runToEnd(call, [
          { fail: "refused" },
          { fail: "refused" },
          { status: 200, json: tokenJson }
        ])
        expect(exit._tag).toBe("Success")
        expect(sent).toHaveLength(3)
      })
    )
  }

  it.effect("protocol errors are never retried, whatever the operation", () =>
    Effect.gen(function* () {
      for (const call of [refresh, exchangeCode, clientCredentials, revoke] as const) {
        const { error, sent } = yield* failureOf(call as Effect.Effect<unknown, HmOAuthError.HmOAuthError, Services>, [
          { status: 400, json: { error: "invalid_request", error_description: "code is invalid" } }
        ])
        expect(error._tag).toBe("OAuthProtocolError")
        expect(sent).toHaveLength(1)
      }
      const { error, sent } = yield* failureOf(vehicleInfo, [{ status: 401, json: { error: "invalid_token" } }])
      expect(error._tag).toBe("Unauthorized")
      expect(sent).toHaveLength(1)
    })
  )
})

describe("Revocation and VehicleInfo on the wire", () => {
  it.effect("revoke sends DELETE /v1/access_tokens with token, hint, client_id and client_secret", () =>
    Effect.gen(function* () {
      const { exit, sent } = yield* runToEnd(
        Effect.flatMap(Revocation.Revocation, (service) =>
          service.revoke({ token: refreshToken, tokenTypeHint: "refresh_token" })
        ),
        [{ status: 200 }],
        { credentials: Credentials.clientSecret("s3cret-value") }
      )
      expect(exit._tag).toBe("Success")
      expect(sent[0]).toMatchObject({ method: "DELETE" })
      expect(sent[0]!.url.href).toBe("https://sandbox.api.high-mobility.com/v1/access_tokens")
      expect(JSON.parse(sent[0]!.body)).toEqual({
        token: Redacted.value(refreshToken),
        token_type_hint: "refresh_token",
        client_id: Scripted.baseOptions.clientId,
        client_secret: "s3cret-value"
      })
    })
  )

  it.effect("vehicleinfo sends GET /v1/vehicleinfo with the bearer token and no body", () =>
    Effect.gen(function* () {
      const { exit, sent } = yield* runToEnd(vehicleInfo, [{ status: 200, json: vehicleJson }])
      expect(exit._tag).toBe("Success")
      expect(sent[0]).toMatchObject({ method: "GET", body: "" })
      expect(sent[0]!.url.href).toBe("https://sandbox.api.high-mobility.com/v1/vehicleinfo")
      expect(sent[0]!.headers.authorization).toBe(`Bearer ${Redacted.value(accessToken)}`)
    })
  )

  it.effect("a custom base URL is used as is, trailing slash or not", () =>
    Effect.gen(function* () {
      const { sent } = yield* runToEnd(vehicleInfo, [{ status: 200, json: vehicleJson }], {
        baseUrl: "http://127.0.0.1:4000/"
      })
      expect(sent[0]!.url.href).toBe("http://127.0.0.1:4000/v1/vehicleinfo")
    })
  )
})

// Keeps the import of HmOAuth meaningful for readers: the services above all come from its one layer.
void HmOAuth
