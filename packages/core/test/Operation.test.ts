/**
 * The operation table decides each operation's error type, and the types say exactly what can happen: these
 * checks fail to compile (tsc -b runs them) if a union gains or loses a member.
 */
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import type { HmOAuthError } from "../src/index.js"
import { Operation } from "../src/index.js"

type Tags<E extends { readonly _tag: string }> = E["_tag"]

describe("Operation", () => {
  it("the table describes every operation once: method, path, answers, idempotency, span", () => {
    expect(Object.keys(Operation.operations).sort()).toEqual([...Operation.Operation.literals].sort())
    expect(
      Object.fromEntries(Object.entries(Operation.operations).map(([name, spec]) => [name, spec.idempotency]))
    ).toEqual({
      exchangeCode: "once",
      refresh: "once",
      clientCredentials: "idempotent",
      revoke: "idempotent",
      vehicleInfo: "idempotent"
    })
  })

  it("each operation's errors are exactly what it can produce", () => {
    expectTypeOf<Tags<HmOAuthError.ExchangeCodeError>>().toEqualTypeOf<
      "OAuthProtocolError" | "RateLimited" | "TransportError" | "UnexpectedResponse" | "OutcomeUnknown"
    >()
    expectTypeOf<Tags<HmOAuthError.RefreshError>>().toEqualTypeOf<Tags<HmOAuthError.ExchangeCodeError>>()
    expectTypeOf<Tags<HmOAuthError.ClientCredentialsError>>().toEqualTypeOf<
      | "OAuthProtocolError"
      | "RateLimited"
      | "ServerUnavailable"
      | "RequestTimeout"
      | "TransportError"
      | "UnexpectedResponse"
    >()
    expectTypeOf<Tags<HmOAuthError.RevocationError>>().toEqualTypeOf<Tags<HmOAuthError.ClientCredentialsError>>()
    expectTypeOf<Tags<HmOAuthError.VehicleInfoError>>().toEqualTypeOf<
      | "Unauthorized"
      | "InvalidAccessToken"
      | "RateLimited"
      | "ServerUnavailable"
      | "RequestTimeout"
      | "TransportError"
      | "UnexpectedResponse"
    >()
  })
})
