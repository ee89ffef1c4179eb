import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/** The table that records which migrations ran: ours alone, so another application's migrations never mix in. */
export const migrationsTable = "hm_oauth_migrations"

/**
 * The migrations, in order. Each runs once per database, inside the migrator's transaction; a new one is appended
 * with the next id, never edited once released.
 *
 * Instants are epoch milliseconds (`bigint` in PostgreSQL), flags are 0/1 integers, scopes a JSON array: one
 * encoding that both dialects read the same way. `grant_id` sorts bytewise (`COLLATE "C"` in PostgreSQL, as SQLite
 * always does) so `scan` pages in the same order everywhere.
 */
export const migrations = {
  "1_grants": Effect.flatMap(SqlClient.SqlClient, (sql) => {
    const grantId = sql.onDialectOrElse({
      pg: () => sql.literal(`text COLLATE "C"`),
      orElse: () => sql.literal("text")
    })
    const int64 = sql.onDialectOrElse({ pg: () => sql.literal("bigint"), orElse: () => sql.literal("integer") })
    return Effect.zipRight(
      sql`CREATE TABLE hm_oauth_grants (
  grant_id ${grantId} PRIMARY KEY NOT NULL,
  client_id text NOT NULL,
  authorization_id text,
  status text NOT NULL,
  dead_reason text,
  version ${int64} NOT NULL,
  access_token text NOT NULL,
  refresh_token text,
  expires_at ${int64} NOT NULL,
  scopes text NOT NULL,
  valid_from ${int64},
  valid_until ${int64},
  lease_owner text,
  lease_until ${int64},
  lease_taken_over integer NOT NULL,
  failures integer NOT NULL,
  next_attempt_at ${int64},
  last_failure text,
  refresh_in_doubt integer NOT NULL,
  updated_at ${int64} NOT NULL
)`,
      sql`CREATE INDEX hm_oauth_grants_expiry ON hm_oauth_grants (status, expires_at)`
    )
  })
}

/** The id of the last migration: a database past it was written by a newer release. */
export const latestMigration = Object.keys(migrations).length

export const loader = Migrator.fromRecord(migrations)
