/** A fresh store location per test: a new SQLite file, or a new database on the run's PostgreSQL server. */
import { randomBytes } from "node:crypto"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Effect, Redacted } from "effect"
import { inject } from "vitest"

const scratch = mkdtempSync(join(tmpdir(), "hm-oauth-sql-"))

export const freshSqliteFile = (): string => join(scratch, `${randomBytes(6).toString("hex")}.db`)

/** The run's server, as its superuser, on the `postgres` database. */
export const postgresAdminUrl = (): string => inject("postgresUrl")

/** A client of the run's server as its superuser, for what a test does behind the store's back. */
export const adminLayer = (url: string = postgresAdminUrl()) =>
  PgClient.layer({ url: Redacted.make(url), maxConnections: 2 })

/** A new, empty database on the run's server (collating en-US by ICU), and its URL. */
export const freshPgUrl: Effect.Effect<string> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const name = `test_${randomBytes(6).toString("hex")}`
  // a linguistic collation, as production databases often have: `scan`'s bytewise order must not depend on it
  yield* sql`CREATE DATABASE ${sql.literal(name)} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`
  const url = new URL(postgresAdminUrl())
  url.pathname = `/${name}`
  return url.href
}).pipe(Effect.provide(adminLayer()), Effect.orDie)
