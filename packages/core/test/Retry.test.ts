import { describe, expect, it } from "@effect/vitest"
import { Duration, Option } from "effect"
import { HmOAuthError, Retry } from "../src/index.js"

describe("Retry", () => {
  it("parseRetryAfter reads delay-seconds and HTTP dates, and ignores the rest", () => {
    expect(Retry.parseRetryAfter("120", 0)).toEqual(Option.some(Duration.seconds(120)))
    expect(Retry.parseRetryAfter("Thu, 01 Jan 1970 00:00:10 GMT", 4_000)).toEqual(Option.some(Duration.millis(6_000)))
    expect(Retry.parseRetryAfter("Thu, 01 Jan 1970 00:00:10 GMT", 60_000)).toEqual(Option.some(Duration.zero))
    for (const ignored of [undefined, "", "-1", "1.5", "soon", "2026-01-01"]) {
      expect(Retry.parseRetryAfter(ignored, 0)).toEqual(Option.none())
    }
  })

  const failures = {
    refused: new HmOAuthError.TransportError({ operation: "refresh", mayHaveReachedServer: false, detail: "" }),
    reset: new HmOAuthError.TransportError({ operation: "refresh", mayHaveReachedServer: true, detail: "" }),
    timeout: new HmOAuthError.RequestTimeout({ operation: "refresh", timeoutMillis: 1 }),
    unavailable: new HmOAuthError.ServerUnavailable({ operation: "refresh", status: 503 }),
    limited: new HmOAuthError.RateLimited({ operation: "refresh" }),
    protocol: new HmOAuthError.OAuthProtocolError({
      operation: "refresh",
      status: 400,
      error: "invalid_request",
      reason: "InvalidRequest"
    })
  }

  it("shouldRetry: the full table of operation × failure", () => {
    const table = Object.fromEntries(
      (["exchangeCode", "refresh", "clientCredentials", "revoke", "vehicleInfo"] as const).map((operation) => [
        operation,
        Object.entries(failures)
          .filter(([, failure]) => Retry.shouldRetry(operation, Duration.minutes(1))(failure))
          .map(([name]) => name)
      ])
    )
    expect(table).toEqual({
      exchangeCode: ["refused"],
      refresh: ["refused"],
      clientCredentials: ["refused", "reset", "timeout", "unavailable", "limited"],
      revoke: ["refused", "reset", "timeout", "unavailable", "limited"],
      vehicleInfo: ["refused", "reset", "timeout", "unavailable", "limited"]
    })
  })

  it("finalFailure: a lost answer or an unreadable success of a non-idempotent call is OutcomeUnknown; a refusal is itself", () => {
    const final = Retry.finalFailure("refresh")
    expect(final(failures.reset)._tag).toBe("OutcomeUnknown")
    expect(final(failures.timeout)._tag).toBe("OutcomeUnknown")
    expect(final(failures.unavailable)._tag).toBe("OutcomeUnknown")
    expect(final(failures.refused)._tag).toBe("TransportError")
    expect(final(failures.limited)._tag).toBe("RateLimited")
    expect(final(failures.protocol)._tag).toBe("OAuthProtocolError")
    const garbled = (status: number) =>
      new HmOAuthError.UnexpectedResponse({
        operation: "refresh",
        status,
        problem: "the body is not JSON",
        excerpt: ""
      })
    expect(final(garbled(200))._tag).toBe("OutcomeUnknown")
    expect(final(garbled(404))._tag).toBe("UnexpectedResponse")
    expect(Retry.finalFailure("clientCredentials")(garbled(200))._tag).toBe("UnexpectedResponse")
    expect(Retry.finalFailure("vehicleInfo")(failures.timeout)._tag).toBe("RequestTimeout")
  })
})
