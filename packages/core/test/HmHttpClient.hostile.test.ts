/**
 * Servers that misbehave on purpose: every answer they can give is a typed failure of the call, never a defect,
 * and every number, date and token they hand over is bounded to what the client can use.
 */
import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Exit, Fiber, Redacted, Schedule, Schema } from "effect"
import { type HmOAuthError, TokenSet, VehicleInfo } from "../src/index.js"
import {
  adjust,
  clientCredentials,
  exchangeCode,
  failureOf,
  noRetry,
  refresh,
  runToEnd,
  type Services,
  start,
  tokenJson,
  vehicleInfo
} from "./support/calls.js"

const nested = (depth: number, inner: string) => `${"[".repeat(depth)}${inner}${"]".repeat(depth)}`

describe("a body nested thousands of levels deep", () => {
  const deep = nested(20_000, '"x"')
  const cases = [
    ["a success that is nothing but nesting", { status: 200, text: deep }],
    ["a token nested deep", { status: 200, text: `{"access_token":${deep},"token_type":"bearer","expires_in":60}` }],
    ["a client error", { status: 400, text: `{"error":${deep}}` }],
    ["an unknown field nested deep", { status: 200, text: `{"access_token":"a","expires_in":60,"x":${deep}}` }]
  ] as const
  for (const [name, reply] of cases) {
    it.effect(`${name}: a typed failure for every operation, never a defect`, () =>
      Effect.gen(function* () {
        const calls: ReadonlyArray<Effect.Effect<unknown, HmOAuthError.HmOAuthError, Services>> = [
          clientCredentials,
          exchangeCode,
          refresh,
          vehicleInfo
        ]
        for (const call of calls) {
          const { exit } = yield* runToEnd(call, [reply], noRetry)
          expect(Exit.isFailure(exit) && exit.cause._tag).toBe("Fail")
          const error = yield* Effect.flip(exit)
          expect(["UnexpectedResponse", "OutcomeUnknown", "Unauthorized"]).toContain(error._tag)
          expect(JSON.stringify(error).length).toBeLessThan(2_000)
        }
      })
    )
  }

  it.effect("a code exchange whose success is nested deep is OutcomeUnknown: the server acted", () =>
    Effect.gen(function* () {
      const { error } = yield* failureOf(exchangeCode, [{ status: 200, text: deep }])
      expect(error).toMatchObject({ _tag: "OutcomeUnknown", failure: { _tag: "UnexpectedResponse", status: 200 } })
    })
  )
})

describe("numbers and dates a server hands over are bounded", () => {
  const refusedLifetimes: ReadonlyArray<unknown> = [1e13, 0, -1, 1.5, "1e3", " 12", "12345678901", Number.MAX_VALUE]
  for (const expires_in of refusedLifetimes) {
    it.effect(`expires_in ${JSON.stringify(expires_in)} is refused, typed`, () =>
      Effect.gen(function* () {
        const { error } = yield* failureOf(clientCredentials, [{ status: 200, json: { ...tokenJson, expires_in } }])
        expect(error).toMatchObject({ _tag: "UnexpectedResponse", status: 200 })
        expect(error.message).toContain("expires_in")
      })
    )
  }

  it.effect("the longest lifetime accepted still gives a token set that encodes", () =>
    Effect.gen(function* () {
      const { exit } = yield* runToEnd(clientCredentials, [
        { status: 200, json: { ...tokenJson, expires_in: TokenSet.maxLifetimeSeconds } }
      ])
      const tokens = yield* exit
      const encoded = yield* Schema.encode(TokenSet.TokenSet)(tokens)
      expect(encoded.expiresAt).toBe(DateTime.formatIso(DateTime.unsafeMake(TokenSet.maxLifetimeSeconds * 1000)))
    })
  )

  const refusedWindows: ReadonlyArray<readonly [string, object]> = [
    ["a date Date.parse would guess at", { validity_start_date: "abc 2099" }],
    ["a year past 9999", { validity_end_date: "+010000-01-01T00:00:00Z" }],
    ["a date without a time", { validity_start_date: "2026-01-01" }],
    [
      "a window that ends before it starts",
      { validity_start_date: "2026-02-01T00:00:00Z", validity_end_date: "2026-01-01T00:00:00Z" }
    ]
  ]
  for (const [name, window] of refusedWindows) {
    it.effect(`a validity window with ${name} is refused`, () =>
      Effect.gen(function* () {
        const { error } = yield* failureOf(clientCredentials, [{ status: 200, json: { ...tokenJson, ...window } }])
        expect(error).toMatchObject({ _tag: "UnexpectedResponse", status: 200 })
      })
    )
  }
})

describe("tokens that could not be sent as they are", () => {
  for (const [name, accessToken] of [
    ["CR LF", "at\r\nx-injected: 1"],
    ["NUL", "at\u0000x"],
    ["a non-Latin-1 character", "at-\u20ac"],
    ["a space", "at x"]
  ] as const) {
    it.effect(`an access token with ${name} is refused when it arrives`, () =>
      Effect.gen(function* () {
        const { error } = yield* failureOf(clientCredentials, [
          { status: 200, json: { ...tokenJson, access_token: accessToken } }
        ])
        expect(error).toMatchObject({ _tag: "UnexpectedResponse" })
        expect(error.message).toContain("access_token: expected a bearer token")
        const lost = yield* failureOf(exchangeCode, [
          { status: 200, json: { ...tokenJson, access_token: accessToken } }
        ])
        expect(lost.error).toMatchObject({ _tag: "OutcomeUnknown", failure: { _tag: "UnexpectedResponse" } })
      })
    )

    it.effect(`an access token with ${name} given to vehicle info is refused before anything is sent`, () =>
      Effect.gen(function* () {
        const call = Effect.flatMap(VehicleInfo.VehicleInfo, (service) => service.get(Redacted.make(accessToken)))
        const { error, sent } = yield* failureOf(call, [{ status: 200 }])
        expect(error).toEqual(expect.objectContaining({ _tag: "InvalidAccessToken", operation: "vehicleInfo" }))
        expect(sent).toHaveLength(0)
      })
    )
  }

  it.effect("a refresh token outside visible ASCII is refused; one with a space is fine (RFC 6749 A.17)", () =>
    Effect.gen(function* () {
      const { error } = yield* failureOf(clientCredentials, [
        { status: 200, json: { ...tokenJson, refresh_token: "rt\n1" } }
      ])
      expect(error.message).toContain("refresh_token")
      const { exit } = yield* runToEnd(clientCredentials, [
        { status: 200, json: { ...tokenJson, refresh_token: "rt 1" } }
      ])
      expect(exit._tag).toBe("Success")
    })
  )
})

describe("a response body is read up to a bound", () => {
  const large = JSON.stringify({ ...tokenJson, padding: "x".repeat(100_000) })

  it.effect("a body past 64 KiB is refused, typed, with no excerpt (streamed bodies: transports.test.ts)", () =>
    Effect.gen(function* () {
      const { error } = yield* failureOf(clientCredentials, [{ status: 200, text: large }])
      expect(error).toMatchObject({ _tag: "UnexpectedResponse", status: 200, excerpt: "" })
      expect(error.message).toContain("larger than 65536 bytes")
      const lost = yield* failureOf(refresh, [{ status: 200, text: large }])
      expect(lost.error).toMatchObject({ _tag: "OutcomeUnknown", failure: { _tag: "UnexpectedResponse" } })
    })
  )

  it.effect("a declared length past the bound is refused before reading", () =>
    Effect.gen(function* () {
      const { error } = yield* failureOf(clientCredentials, [
        { status: 200, text: JSON.stringify(tokenJson), headers: { "content-length": String(10 * 1024 * 1024) } }
      ])
      expect(error.message).toContain("at least 10485760")
    })
  )

  it.effect("the bound is configurable: maxResponseBytes", () =>
    Effect.gen(function* () {
      const padded = (size: number) => JSON.stringify({ ...tokenJson, padding: "x".repeat(size) })
      const options = { ...noRetry, maxResponseBytes: 2048 }
      const { error } = yield* failureOf(clientCredentials, [{ status: 200, text: padded(3000) }], options)
      expect(error.message).toContain("larger than 2048 bytes")
      const { exit } = yield* runToEnd(clientCredentials, [{ status: 200, text: padded(1500) }], options)
      expect(exit._tag).toBe("Success")
    })
  )
})

describe("vehicle info speaks no OAuth", () => {
  it.effect("a 404 with an OAuth error body is UnexpectedResponse, as its type says", () =>
    Effect.gen(function* () {
      const { error } = yield* failureOf(vehicleInfo, [{ status: 404, json: { error: "invalid_request" } }], noRetry)
      expect(error).toMatchObject({ _tag: "UnexpectedResponse", status: 404 })
    })
  )
})

describe("the retry budget holds with the waits included", () => {
  it.effect("Retry-After: 29 twice: one retry at 29 s, then none, since the next would start at 58 s", () =>
    Effect.gen(function* () {
      const { fiber, sent } = yield* start(vehicleInfo, [{ status: 503, headers: { "retry-after": "29" } }])
      expect(sent).toHaveLength(1)
      yield* adjust(fiber, "29 seconds")
      expect(sent).toHaveLength(2)
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error).toMatchObject({ _tag: "ServerUnavailable", status: 503 })
    })
  )

  it.effect("hanging attempts: the last one's timeout is cut so the call ends at 30 s exactly", () =>
    Effect.gen(function* () {
      const { fiber, sent } = yield* start(clientCredentials, [{ hang: true }], { timeout: "10 seconds" })
      yield* adjust(fiber, "10100 millis")
      expect(sent).toHaveLength(2)
      yield* adjust(fiber, "10200 millis")
      expect(sent).toHaveLength(3)
      yield* adjust(fiber, "9699 millis")
      expect(fiber.unsafePoll()).toBe(null)
      yield* adjust(fiber, "1 millis")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error).toMatchObject({ _tag: "RequestTimeout", timeoutMillis: 9_700 })
      expect(sent).toHaveLength(3)
    })
  )

  it.effect("a schedule of the user's that never stops still ends within the budget", () =>
    Effect.gen(function* () {
      const { fiber, sent } = yield* start(vehicleInfo, [{ status: 502 }], {
        retrySchedule: Schedule.spaced("1 second"),
        retryBudget: "5 seconds"
      })
      for (let second = 0; second < 5; second++) yield* adjust(fiber, "1 second")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error._tag).toBe("ServerUnavailable")
      expect(sent).toHaveLength(5)
    })
  )
})
