/**
 * What the contract's properties generate and compare: grants and tokens to write, and records as plain values
 * (tokens revealed, instants as epoch milliseconds) so that a failed expectation shows a readable difference.
 */
import type { TokenStore } from "@hm-oauth/core"
import { DateTime, FastCheck as fc, Option, Redacted } from "effect"

const run = crypto.randomUUID().slice(0, 8)
let cases = 0

/**
 * A prefix of grant ids no other case uses, so that a store whose layer reaches one shared database keeps the cases
 * apart: every property writes only ids under its own namespace, and scans only that range.
 */
export const namespace = (): string => `contract-${run}-${++cases}-`

/** An opaque token value, as High Mobility's are. */
export const tokenValue: fc.Arbitrary<Redacted.Redacted<string>> = fc.uuid().map((value) => Redacted.make(value))

/** An instant from 1970 to 2096, whole milliseconds. */
export const instant: fc.Arbitrary<DateTime.Utc> = fc
  .integer({ min: 0, max: 4_000_000_000_000 })
  .map((millis) => DateTime.unsafeMake(millis))

const option = <A>(arbitrary: fc.Arbitrary<A>): fc.Arbitrary<Option.Option<A>> =>
  fc.option(arbitrary, { nil: undefined }).map(Option.fromNullable)

const scopes = fc.uniqueArray(fc.constantFrom("diagnostics.get.mileage", "doors.get.locks", "windows.get.positions"))

/** What onboarding or a refresh writes; `status` fixed when given. */
export const grantTokens = (status?: "pending" | "active"): fc.Arbitrary<TokenStore.GrantTokens> =>
  fc.record({
    accessToken: tokenValue,
    expiresAt: instant,
    refreshToken: option(tokenValue),
    scopes,
    status: status === undefined ? fc.constantFrom("pending" as const, "active" as const) : fc.constant(status),
    validFrom: option(instant),
    validUntil: option(instant)
  })

/** A grant to onboard, but for its id (which the property puts under its namespace). */
export interface GrantData {
  readonly clientId: string
  readonly authorizationId: Option.Option<string>
  readonly tokens: TokenStore.GrantTokens
}

export const grantData = (status?: "pending" | "active"): fc.Arbitrary<GrantData> =>
  fc.record({
    clientId: fc.constantFrom("client-a", "client-b"),
    authorizationId: option(fc.uuid()),
    tokens: grantTokens(status)
  })

/** An onboarding request for `grantId`. */
export const newGrant = (grantId: string, data: GrantData): TokenStore.NewGrant => ({ grantId, ...data })

const millis = (instant: Option.Option<DateTime.Utc>) =>
  Option.getOrUndefined(Option.map(instant, DateTime.toEpochMillis))

/** The plain value of tokens as `commit` and `insert` are given them, or as a record holds them. */
export const tokensView = (tokens: Omit<TokenStore.GrantTokens, "status"> & { readonly status: string }) => ({
  accessToken: Redacted.value(tokens.accessToken),
  expiresAt: DateTime.toEpochMillis(tokens.expiresAt),
  refreshToken: Option.getOrUndefined(Option.map(tokens.refreshToken, Redacted.value)),
  scopes: [...tokens.scopes],
  status: tokens.status,
  validFrom: millis(tokens.validFrom),
  validUntil: millis(tokens.validUntil)
})

/** A record as a plain value: what `expect(...).toEqual` compares. Reveals tokens: test values only. */
export const view = (record: TokenStore.GrantRecord) => ({
  grantId: record.grantId,
  clientId: record.clientId,
  authorizationId: Option.getOrUndefined(record.authorizationId),
  ...tokensView(record),
  deadReason: Option.getOrUndefined(record.deadReason),
  version: record.version,
  lease: Option.getOrUndefined(
    Option.map(record.lease, (lease) => ({ owner: lease.owner, until: DateTime.toEpochMillis(lease.until) }))
  ),
  failures: record.failures,
  nextAttemptAt: millis(record.nextAttemptAt),
  lastFailure: Option.getOrUndefined(record.lastFailure),
  refreshInDoubt: record.refreshInDoubt,
  updatedAt: DateTime.toEpochMillis(record.updatedAt)
})
