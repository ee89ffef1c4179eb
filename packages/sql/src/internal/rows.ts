import type { TokenStore } from "@hm-oauth/core"
import { DateTime, Either, Option, ParseResult, Schema } from "effect"
import type { Cipher } from "./cipher.js"

/** The columns every statement reads back, in one place so a `SELECT` and a `RETURNING` cannot drift apart. */
export const columns =
  "grant_id, client_id, authorization_id, status, dead_reason, version, access_token, refresh_token, expires_at, scopes, valid_from, valid_until, lease_owner, lease_until, lease_taken_over, failures, next_attempt_at, last_failure, refresh_in_doubt, updated_at"

// PostgreSQL's driver hands `bigint` back as a string, SQLite's as a number: both read as a safe integer.
const Int = Schema.Union(Schema.Number, Schema.NumberFromString).pipe(Schema.int())
const NullableInt = Schema.NullOr(Int)

const Row = Schema.Struct({
  grant_id: Schema.String,
  client_id: Schema.String,
  authorization_id: Schema.NullOr(Schema.String),
  status: Schema.Literal("pending", "active", "dead"),
  dead_reason: Schema.NullOr(Schema.Literal("InvalidGrant", "ConsentRevoked", "RevokedByUs", "RotationLost")),
  version: Int,
  access_token: Schema.String,
  refresh_token: Schema.NullOr(Schema.String),
  expires_at: Int,
  scopes: Schema.parseJson(Schema.Array(Schema.String)),
  valid_from: NullableInt,
  valid_until: NullableInt,
  lease_owner: Schema.NullOr(Schema.String),
  lease_until: NullableInt,
  lease_taken_over: Int,
  failures: Int,
  next_attempt_at: NullableInt,
  last_failure: Schema.NullOr(Schema.String),
  refresh_in_doubt: Int,
  updated_at: Int
})

const decodeRow = Schema.decodeUnknownEither(Row)

/** A record, and whether its lease took over one that ran out (only `claim` asks). */
export interface Decoded {
  readonly record: TokenStore.GrantRecord
  readonly takenOver: boolean
}

const instant = (millis: number | null) => Option.map(Option.fromNullable(millis), (ms) => DateTime.unsafeMake(ms))

/**
 * A row as a record, or what made it unreadable: which columns failed to decode (never their content, which may be
 * ciphertext or a token in plaintext), or why a token did not decrypt.
 */
export const decode = (cipher: Cipher, raw: unknown): Either.Either<Decoded, string> =>
  Either.gen(function* () {
    const row = yield* Either.mapLeft(
      decodeRow(raw, { errors: "all" }),
      (error) =>
        `unreadable columns: ${ParseResult.ArrayFormatter.formatErrorSync(error)
          .map((issue) => issue.path.join("."))
          .join(", ")}`
    )
    const accessToken = yield* cipher.open(row.grant_id, "access_token", row.access_token)
    const refreshToken =
      row.refresh_token === null
        ? Option.none()
        : Option.some(yield* cipher.open(row.grant_id, "refresh_token", row.refresh_token))
    const record: TokenStore.GrantRecord = {
      grantId: row.grant_id,
      clientId: row.client_id,
      authorizationId: Option.fromNullable(row.authorization_id),
      status: row.status,
      deadReason: Option.fromNullable(row.dead_reason),
      version: row.version,
      accessToken,
      refreshToken,
      expiresAt: DateTime.unsafeMake(row.expires_at),
      scopes: row.scopes,
      validFrom: instant(row.valid_from),
      validUntil: instant(row.valid_until),
      lease:
        row.lease_owner === null || row.lease_until === null
          ? Option.none()
          : Option.some({ owner: row.lease_owner, until: DateTime.unsafeMake(row.lease_until) }),
      failures: row.failures,
      nextAttemptAt: instant(row.next_attempt_at),
      lastFailure: Option.fromNullable(row.last_failure),
      refreshInDoubt: row.refresh_in_doubt !== 0,
      updatedAt: DateTime.unsafeMake(row.updated_at)
    }
    return { record, takenOver: row.lease_taken_over !== 0 }
  })

/** An optional instant as the column holds it. */
export const millis = (instant: Option.Option<DateTime.Utc>): number | null =>
  Option.match(instant, { onNone: () => null, onSome: DateTime.toEpochMillis })
