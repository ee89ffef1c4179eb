import { describe, expect, it } from "@effect/vitest"
import { Duration, Option } from "effect"
import { HmOAuthError, Operation, Retry } from "../src/index.js"

describe("Retry", () => {
  it("parseRetryAfter reads delay-seconds and the three HTTP-date forms of RFC 9110, and ignores the rest", () => {
    expect(Retry.parseRetryAfter("120", 0)).toEqual(Option.some(Duration.seconds(120)))
    expect(Retry.parseRetryAfter(" 7 ", 0)).toEqual(Option.some(Duration.seconds(7)))
    expect(Retry.parseRetryAfter("99999999999999999999", 0)).toEqual(Option.some(Duration.infinity))
    expect(Retry.parseRetryAfter("Thu, 01 Jan 1970 00:00:10 GMT", 4_000)).toEqual(Option.some(Duration.millis(6_000)))
    expect(Retry.parseRetryAfter("Thu, 01 Jan 1970 00:00:10 GMT", 60_000)).toEqual(Option.some(Duration.zero))
    const sunday = Date.UTC(1994, 10, 6, 8, 49, 37)
    for (const form of [
      "Sun, 06 Nov 1994 08:49:37 GMT",
      "Sunday, 06-Nov-94 08:49:37 GMT",
      "Sun Nov  6 08:49:37 1994"
    ]) {
      expect(Retry.parseRetryAfter(form, sunday - 5_000)).toEqual(Option.some(Duration.seconds(5)))
    }
    // a two-digit year more than 50 years ahead is in the past century (RFC 9110 §5.6.7)
    const in2026 = Date.UTC(2026, 0, 1)
    expect(Retry.parseRetryAfter("Friday, 01-Jan-27 00:00:00 GMT", in2026)).toEqual(Option.some(Duration.days(365)))
    for (const ignored of [
      undefined,
      "",
      "-1",
      "1.5",
      "1e3",
      "soon",
      "2026-01-01",
      "abc 2099",
      "Retry 12",
      "Thu, 01 Jan 2099",
      "Thu, 01 Jan 2099 00:00:00 UTC",
      "thu, 01 jan 2099 00:00:00 GMT",
      "Thu, 31 Feb 2099 00:00:00 GMT",
      "Thu, 01 Jan 2099 24:00:00 GMT",
      "Thu,  01 Jan 2099 00:00:00 GMT",
      "Thursday, 01 Jan 2099 00:00:00 GMT"
    ]) {
      expect(Retry.parseRetryAfter(ignored, 0), String(ignored)).toEqual(Option.none())
    }
  })

  const failures = {
    refused: new HmOAuthError.TransportError({ operation: "refresh", mayHaveReachedServer: false, detail: "" }),
    reset: new HmOAuthError.TransportError({ operation: "refresh", mayHaveReachedServer: true, detail: "" }),
    timeout: new HmOAuthError.RequestTimeout({ operation: "refresh", timeoutMillis: 1 }),
    unavailable: new HmOAuthError.ServerUnavailable({ operation: "refresh", status: 503 }),
    limited: new HmOAuthError.RateLimited({ operation: "refresh" }),
    garbled: new HmOAuthError.UnexpectedResponse({ operation: "refresh", status: 502, problem: "", excerpt: "" })
  }

  it("shouldRetry: the full table of operation × failure, idempotency read from the operation table", () => {
    const table = Object.fromEntries(
      (["exchangeCode", "refresh", "clientCredentials", "revoke", "vehicleInfo"] as const).map((operation) => [
        operation,
        Object.entries(failures)
          .filter(([, failure]) => Retry.shouldRetry(Operation.idempotencyOf(operation), Duration.minutes(1))(failure))
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

  it("conclusions: a lost answer or an unreadable success of a call that runs once is OutcomeUnknown; a refusal is itself", () => {
    const final = (failure: Parameters<typeof Retry.conclusions.once>[1]) => Retry.conclusions.once("refresh", failure)
    expect(final(failures.reset)._tag).toBe("OutcomeUnknown")
    expect(final(failures.timeout)._tag).toBe("OutcomeUnknown")
    expect(final(failures.unavailable)._tag).toBe("OutcomeUnknown")
    expect(final(failures.refused)._tag).toBe("TransportError")
    expect(final(failures.limited)._tag).toBe("RateLimited")
    expect(final(failures.garbled)._tag).toBe("UnexpectedResponse")
    const garbled = (status: number) =>
      new HmOAuthError.UnexpectedResponse({
        operation: "refresh",
        status,
        problem: "the body is not JSON",
        excerpt: ""
      })
    expect(final(garbled(200))._tag).toBe("OutcomeUnknown")
    expect(final(garbled(404))._tag).toBe("UnexpectedResponse")
    expect(Retry.conclusions.idempotent("clientCredentials", garbled(200))._tag).toBe("UnexpectedResponse")
    expect(Retry.conclusions.idempotent("vehicleInfo", failures.timeout)._tag).toBe("RequestTimeout")
  })
})
