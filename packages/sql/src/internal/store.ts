import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { TokenStore } from "@hm-oauth/core"
import { Array as Arr, Clock, Context, DateTime, Effect, Either, Option } from "effect"
import type { Cipher } from "./cipher.js"
import { fromSqlError } from "./errors.js"
import { columns, type Decoded, decode, millis } from "./rows.js"

type Operation = TokenStore.TokenStoreError["operation"]

/**
 * Runs a store operation in a span of its own, outside any transaction the caller has open: `@effect/sql` would
 * otherwise run its statements on that transaction's connection (whatever database it belongs to), and a commit
 * rolled back with the caller's transaction would lose a refresh token the server has already rotated. A write is
 * durable when it returns.
 */
const detached = <A, E>(operation: string, effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.mapInputContext(effect, (context: Context.Context<never>) =>
    Context.omit(SqlClient.TransactionConnection)(context)
  ).pipe(Effect.withSpan(`SqlTokenStore.${operation}`))

/** The most rows one `scan` page returns, whatever the caller asks: a page is one statement's result in memory. */
export const maxScanLimit = 1000

/**
 * The store over a `SqlClient`. Every operation is one statement on its hot path: a compare-and-set `UPDATE …
 * RETURNING` (or an upsert, a `DELETE … RETURNING`, a `SELECT`); only when the compare-and-set finds nothing does a
 * second `SELECT` say why. No transaction, no row lock outlives a statement, so no lock is ever held across the HTTP
 * call a refresh makes between `claim` and `commit`.
 */
export const make = (cipher: Cipher) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const cols = sql.literal(columns)

    const rows = (
      operation: Operation,
      grantId: string | undefined,
      statement: Effect.Effect<ReadonlyArray<unknown>, SqlError>
    ): Effect.Effect<ReadonlyArray<Decoded>, TokenStore.TokenStoreError> =>
      Effect.flatMap(Effect.mapError(statement, fromSqlError(operation, grantId)), (found) =>
        Either.all(found.map((row) => decode(cipher, row))).pipe(
          Either.mapLeft(
            (detail) =>
              new TokenStore.TokenStoreError({
                reason: "Corrupt",
                operation,
                detail,
                ...(grantId === undefined ? {} : { grantId })
              })
          )
        )
      )

    const one = (operation: Operation, grantId: string, statement: Effect.Effect<ReadonlyArray<unknown>, SqlError>) =>
      Effect.map(rows(operation, grantId, statement), Arr.head)

    const select = (operation: Operation, grantId: string) =>
      one(operation, grantId, sql`SELECT ${cols} FROM hm_oauth_grants WHERE grant_id = ${grantId}`.withoutTransform)

    const seal = (grantId: string, tokens: TokenStore.GrantTokens) => ({
      access: cipher.seal(grantId, "access_token", tokens.accessToken),
      refresh: Option.getOrNull(
        Option.map(tokens.refreshToken, (token) => cipher.seal(grantId, "refresh_token", token))
      )
    })

    // A compare-and-set write: `Written` when the row was live at the expected version, else `Moved` with the row as
    // it is (a dead grant is written again only by `insert` or `remove`).
    const write = (operation: Operation, grantId: string, statement: Effect.Effect<ReadonlyArray<unknown>, SqlError>) =>
      Effect.flatMap(
        one(operation, grantId, statement),
        Option.match({
          onSome: ({ record }): Effect.Effect<TokenStore.WriteOutcome, TokenStore.TokenStoreError> =>
            Effect.succeed(TokenStore.WriteOutcome.Written({ record })),
          onNone: () =>
            Effect.map(select(operation, grantId), (current) =>
              TokenStore.WriteOutcome.Moved({ current: Option.map(current, ({ record }) => record) })
            )
        })
      )

    const get: TokenStore.Service["get"] = (grantId) =>
      Effect.map(
        select("get", grantId),
        Option.map(({ record }) => record)
      )

    const insert: TokenStore.Service["insert"] = (grant) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const { tokens } = grant
        const sealed = seal(grant.grantId, tokens)
        const authorizationId = Option.getOrNull(grant.authorizationId)
        const found = yield* one(
          "insert",
          grant.grantId,
          sql`INSERT INTO hm_oauth_grants (grant_id, client_id, authorization_id, status, dead_reason, version,
  access_token, refresh_token, expires_at, scopes, valid_from, valid_until, lease_owner, lease_until, lease_taken_over,
  failures, next_attempt_at, last_failure, refresh_in_doubt, updated_at)
VALUES (${grant.grantId}, ${grant.clientId}, ${authorizationId}, ${tokens.status}, NULL, 1, ${sealed.access},
  ${sealed.refresh}, ${DateTime.toEpochMillis(tokens.expiresAt)}, ${JSON.stringify(tokens.scopes)},
  ${millis(tokens.validFrom)}, ${millis(tokens.validUntil)}, NULL, NULL, 0, 0, NULL, NULL, 0, ${now})
ON CONFLICT (grant_id) DO UPDATE SET
  client_id = excluded.client_id, authorization_id = excluded.authorization_id, status = excluded.status,
  dead_reason = NULL, version = hm_oauth_grants.version + 1, access_token = excluded.access_token,
  refresh_token = excluded.refresh_token,
  expires_at = excluded.expires_at, scopes = excluded.scopes, valid_from = excluded.valid_from,
  valid_until = excluded.valid_until, lease_owner = NULL, lease_until = NULL, lease_taken_over = 0, failures = 0,
  next_attempt_at = NULL, last_failure = NULL, refresh_in_doubt = 0, updated_at = excluded.updated_at
WHERE hm_oauth_grants.status = 'dead' OR (hm_oauth_grants.client_id = excluded.client_id
  AND hm_oauth_grants.authorization_id IS NOT DISTINCT FROM excluded.authorization_id)
RETURNING ${cols}`.withoutTransform
        )
        return yield* Option.match(found, {
          onSome: ({ record }) => Effect.succeed(record),
          onNone: () => Effect.fail(new TokenStore.GrantExists({ grantId: grant.grantId }))
        })
      })

    // One try: the compare-and-set, and when it finds nothing, a look at the row to say why. `Missed` is a grant
    // that was claimable by the time of the look (its lease released, or run out, between the two statements).
    const claimOnce = (
      grantId: string,
      lease: { readonly owner: string; readonly until: DateTime.Utc }
    ): Effect.Effect<
      TokenStore.ClaimOutcome | { readonly _tag: "Missed"; readonly record: TokenStore.GrantRecord },
      TokenStore.TokenStoreError
    > =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        // A non-null `lease_until` that has run out is a holder that never came back: its refresh may have reached
        // the server, so the record becomes `refresh_in_doubt` (the SET reads the row as it was before the update).
        const claimed = yield* one(
          "claim",
          grantId,
          sql`UPDATE hm_oauth_grants SET lease_owner = ${lease.owner}, lease_until = ${DateTime.toEpochMillis(lease.until)},
  lease_taken_over = CASE WHEN lease_until IS NULL THEN 0 ELSE 1 END,
  refresh_in_doubt = CASE WHEN lease_until IS NULL THEN refresh_in_doubt ELSE 1 END,
  version = version + 1, updated_at = ${now}
WHERE grant_id = ${grantId} AND status <> 'dead' AND (lease_until IS NULL OR lease_until <= ${now})
RETURNING ${cols}`.withoutTransform
        )
        if (Option.isSome(claimed)) return TokenStore.ClaimOutcome.Claimed(claimed.value)
        const current = yield* select("claim", grantId)
        if (Option.isNone(current)) return TokenStore.ClaimOutcome.NotFound()
        const { record } = current.value
        if (record.status === "dead") return TokenStore.ClaimOutcome.Dead({ record })
        if (Option.isSome(record.lease) && DateTime.toEpochMillis(record.lease.value.until) > now) {
          return TokenStore.ClaimOutcome.Held({ record, lease: record.lease.value })
        }
        return { _tag: "Missed", record } as const
      })

    // A missed claim is tried again, a few times; a grant that keeps slipping away is reported `Held` until now,
    // which tells the caller to claim again at once.
    const claim: TokenStore.Service["claim"] = (grantId, lease) =>
      Effect.gen(function* () {
        for (let attempt = 1; ; attempt++) {
          const outcome = yield* claimOnce(grantId, lease)
          if (outcome._tag !== "Missed") return outcome
          if (attempt === 3) {
            const until = DateTime.unsafeMake(yield* Clock.currentTimeMillis)
            const owner = Option.match(outcome.record.lease, { onNone: () => "", onSome: (held) => held.owner })
            return TokenStore.ClaimOutcome.Held({ record: outcome.record, lease: { owner, until } })
          }
        }
      })

    const commit: TokenStore.Service["commit"] = (grantId, expectedVersion, tokens) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const sealed = seal(grantId, tokens)
        return yield* write(
          "commit",
          grantId,
          sql`UPDATE hm_oauth_grants SET access_token = ${sealed.access},
  refresh_token = COALESCE(${sealed.refresh}, refresh_token), expires_at = ${DateTime.toEpochMillis(tokens.expiresAt)},
  scopes = ${JSON.stringify(tokens.scopes)}, status = ${tokens.status}, valid_from = ${millis(tokens.validFrom)},
  valid_until = ${millis(tokens.validUntil)}, lease_owner = NULL, lease_until = NULL, lease_taken_over = 0,
  failures = 0, next_attempt_at = NULL, last_failure = NULL, refresh_in_doubt = 0, version = version + 1,
  updated_at = ${now}
WHERE grant_id = ${grantId} AND version = ${expectedVersion} AND status <> 'dead'
RETURNING ${cols}`.withoutTransform
        )
      })

    const release: TokenStore.Service["release"] = (grantId, expectedVersion, backoff) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        // a failure in doubt adds to any doubt already recorded; one that proves the server never saw it removes none
        const recorded =
          backoff === undefined
            ? sql.literal("")
            : sql`, failures = ${backoff.failures}, next_attempt_at = ${DateTime.toEpochMillis(backoff.nextAttemptAt)},
  last_failure = ${Option.getOrNull(backoff.lastFailure)}${
    backoff.inDoubt ? sql.literal(", refresh_in_doubt = 1") : sql.literal("")
  }`
        return yield* write(
          "release",
          grantId,
          sql`UPDATE hm_oauth_grants SET lease_owner = NULL, lease_until = NULL, lease_taken_over = 0,
  version = version + 1, updated_at = ${now}${recorded}
WHERE grant_id = ${grantId} AND version = ${expectedVersion} AND status <> 'dead'
RETURNING ${cols}`.withoutTransform
        )
      })

    const markDead: TokenStore.Service["markDead"] = (grantId, expectedVersion, reason) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        return yield* write(
          "markDead",
          grantId,
          sql`UPDATE hm_oauth_grants SET status = 'dead', dead_reason = ${reason}, lease_owner = NULL,
  lease_until = NULL, lease_taken_over = 0, version = version + 1, updated_at = ${now}
WHERE grant_id = ${grantId} AND version = ${expectedVersion} AND status <> 'dead'
RETURNING ${cols}`.withoutTransform
        )
      })

    const remove: TokenStore.Service["remove"] = (grantId) =>
      sql`DELETE FROM hm_oauth_grants WHERE grant_id = ${grantId} RETURNING grant_id`.withoutTransform.pipe(
        Effect.map((deleted) => deleted.length > 0),
        Effect.mapError(fromSqlError("remove", grantId))
      )

    const scan: TokenStore.Service["scan"] = (query) =>
      Effect.gen(function* () {
        const limit = Math.max(1, Math.min(Math.floor(query.limit), maxScanLimit))
        const conditions = [
          ...(query.status === undefined ? [] : [sql`status = ${query.status}`]),
          ...(query.expiresBefore === undefined
            ? []
            : [sql`expires_at < ${DateTime.toEpochMillis(query.expiresBefore)}`]),
          ...(query.after === undefined ? [] : [sql`grant_id > ${query.after}`])
        ]
        // one row past the page says whether there is a next one
        const found = yield* rows(
          "scan",
          undefined,
          sql`SELECT ${cols} FROM hm_oauth_grants WHERE ${sql.and(conditions)} ORDER BY grant_id LIMIT ${limit + 1}`
            .withoutTransform
        )
        const records = found.slice(0, limit).map(({ record }) => record)
        const last = records[records.length - 1]
        return {
          records,
          next: found.length > limit && last !== undefined ? Option.some(last.grantId) : Option.none()
        }
      })

    const service: TokenStore.Service = {
      get: (grantId) => detached("get", get(grantId)),
      insert: (grant) => detached("insert", insert(grant)),
      claim: (grantId, lease) => detached("claim", claim(grantId, lease)),
      commit: (grantId, expectedVersion, tokens) => detached("commit", commit(grantId, expectedVersion, tokens)),
      release: (grantId, expectedVersion, backoff) => detached("release", release(grantId, expectedVersion, backoff)),
      markDead: (grantId, expectedVersion, reason) => detached("markDead", markDead(grantId, expectedVersion, reason)),
      remove: (grantId) => detached("remove", remove(grantId)),
      scan: (query) => detached("scan", scan(query))
    }
    return service
  })

const reencryptPage = 500

/** See `SqlTokenStore.reencrypt`. */
export const reencrypt = (cipher: Cipher) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    detached(
      "reencrypt",
      Effect.gen(function* () {
        const prefix = `${cipher.currentKeyId}:`
        const stale = (column: string) => sql`substr(${sql.literal(column)}, 1, ${prefix.length}) <> ${prefix}`
        let after: string | undefined
        let rewritten = 0
        while (true) {
          const page = yield* Effect.flatMap(
            Effect.mapError(
              sql`SELECT ${sql.literal(columns)} FROM hm_oauth_grants WHERE ${sql.and([
                ...(after === undefined ? [] : [sql`grant_id > ${after}`]),
                sql`(${stale("access_token")} OR (refresh_token IS NOT NULL AND ${stale("refresh_token")}))`
              ])} ORDER BY grant_id LIMIT ${reencryptPage}`.withoutTransform,
              fromSqlError("scan")
            ),
            (found) =>
              Either.all(found.map((row) => decode(cipher, row))).pipe(
                Either.mapLeft(
                  (detail) => new TokenStore.TokenStoreError({ reason: "Corrupt", operation: "scan", detail })
                )
              )
          )
          for (const { record } of page) {
            const access = cipher.seal(record.grantId, "access_token", record.accessToken)
            const refresh = Option.getOrNull(
              Option.map(record.refreshToken, (token) => cipher.seal(record.grantId, "refresh_token", token))
            )
            // the version is the compare-and-set and stays as it is: the tokens are the same, only their ciphertext
            // changed
            const updated = yield* sql`UPDATE hm_oauth_grants SET access_token = ${access}, refresh_token = ${refresh}
WHERE grant_id = ${record.grantId} AND version = ${record.version} RETURNING grant_id`.withoutTransform.pipe(
              Effect.mapError(fromSqlError("commit", record.grantId))
            )
            rewritten += updated.length
          }
          const last = page[page.length - 1]
          if (page.length < reencryptPage || last === undefined) return { rewritten }
          after = last.record.grantId
        }
      })
    )
  )
