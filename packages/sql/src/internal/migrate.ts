import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import { TokenStore } from "@hm-oauth/core"
import { Data, Effect, Schedule } from "effect"
import { classify, codeOf } from "./errors.js"
import { columns } from "./rows.js"
import { latestMigration, loader, migrationsTable } from "./schema.js"

/** A try that may succeed when repeated: another process is migrating the same database right now. */
class Contended extends Data.TaggedError("Contended")<{ readonly detail: string }> {}

const incompatible = (detail: string) =>
  new TokenStore.TokenStoreError({ reason: "Incompatible", operation: "open", detail })

// Codes of a race lost to another process creating the same table or taking the same lock.
const raceCodes = new Set(["23505", "42P07", "42710", "40P01", "SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_LOCKED"])

// A failure while migrating: a lost race is tried again; what the database says about itself (a foreign table of the
// same name, a statement it cannot run) means its schema is not ours.
const fromFailure = (cause: unknown): Contended | TokenStore.TokenStoreError => {
  const { detail, reason } = classify(cause)
  const code = codeOf(cause)
  if ((code !== undefined && raceCodes.has(code)) || reason === "Unavailable") return new Contended({ detail })
  return new TokenStore.TokenStoreError({ reason: reason ?? "Incompatible", operation: "open", detail })
}

const latestApplied = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) =>
    sql<{ readonly latest: number | string | null }>`SELECT MAX(migration_id) AS latest FROM ${sql(migrationsTable)}`
      .withoutTransform
).pipe(Effect.map((found) => Number(found[0]?.latest ?? 0)))

// The migrator turns a failed migration into a defect, and answers "already running" with an empty list while
// another process holds the migration: both are read back by `check`, which looks at the applied version either way.
const runMigrator = Migrator.make<never>({})({ loader, table: migrationsTable }).pipe(
  Effect.catchAllDefect((defect) => Effect.fail(defect)),
  Effect.mapError((error: unknown) =>
    fromFailure(error instanceof Migrator.MigrationError || error instanceof SqlError ? (error.cause ?? error) : error)
  )
)

// The schema is this release's: every migration applied, none unknown, and the table has the columns we read.
const check = (missing: (applied: number) => Contended | TokenStore.TokenStoreError) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const applied = yield* Effect.mapError(latestApplied, (error) => fromFailure(error.cause))
    if (applied > latestMigration) {
      return yield* incompatible(
        `the database was migrated by a newer release (migration ${applied}; this release knows ${latestMigration})`
      )
    }
    if (applied < latestMigration) return yield* missing(applied)
    // A table of ours that was altered by hand, or a foreign one under our name, fails here rather than mid-refresh.
    yield* sql`SELECT ${sql.literal(columns)} FROM hm_oauth_grants WHERE 1 = 0`.withoutTransform.pipe(
      Effect.mapError((error) =>
        incompatible(`hm_oauth_grants is not the table this release wrote: ${classify(error.cause).detail}`)
      )
    )
  })

const attempt = Effect.zipRight(
  runMigrator,
  check((applied) => new Contended({ detail: `another process is migrating (at ${applied} of ${latestMigration})` }))
)

/**
 * Brings the database to this release's schema: creates the tables on a fresh database, applies the migrations it
 * lacks, and checks the result. Safe when several processes start at once: each migration runs once under the
 * migrator's lock (PostgreSQL `LOCK TABLE`, SQLite's write lock), and a process that loses the race waits, with
 * backoff for up to about 10 seconds, until the winner has committed.
 */
export const migrate: Effect.Effect<void, TokenStore.TokenStoreError, SqlClient.SqlClient> = attempt.pipe(
  Effect.retry({
    while: (error) => error._tag === "Contended",
    schedule: Schedule.exponential("20 millis", 1.5).pipe(
      Schedule.jittered,
      Schedule.upTo("10 seconds"),
      Schedule.compose(Schedule.recurs(30))
    )
  }),
  Effect.catchTag("Contended", (contended) =>
    Effect.fail(
      new TokenStore.TokenStoreError({
        reason: "Unavailable",
        operation: "open",
        detail: `could not migrate: ${contended.detail}`
      })
    )
  ),
  Effect.catchAllDefect((defect) =>
    Effect.fail(
      new TokenStore.TokenStoreError({
        reason: "Incompatible",
        operation: "open",
        detail: `could not migrate: ${classify(defect).detail}`
      })
    )
  )
)

/** Checks that the schema is current without changing it, for stores opened with `migrations: "verify"`. */
export const verify: Effect.Effect<void, TokenStore.TokenStoreError, SqlClient.SqlClient> = check((applied) =>
  incompatible(`the database is at migration ${applied} of ${latestMigration}: run SqlTokenStore.migrate first`)
).pipe(
  Effect.catchTag("Contended", (contended) =>
    Effect.fail(new TokenStore.TokenStoreError({ reason: "Unavailable", operation: "open", detail: contended.detail }))
  )
)
