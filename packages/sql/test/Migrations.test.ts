/**
 * Opening a store: migrations that run once however many open a fresh database together, and databases that are
 * not ours (a newer release's, a foreign table under our name, a file that is not a database) refused at open.
 */
import { writeFileSync } from "node:fs"
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { TokenStore } from "@hm-oauth/core"
import { Effect, type Layer, Option } from "effect"
import { SqlTokenStore } from "../src/index.js"
import { freshSqliteFile } from "./support/databases.js"
import { dialects, postgres, storeLayer } from "./support/dialects.js"
import { encryption, newGrant } from "./support/fixtures.js"

const store = TokenStore.TokenStore

const appliedMigrations = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => sql<{ readonly migration_id: number }>`SELECT migration_id FROM hm_oauth_migrations ORDER BY migration_id`
).pipe(Effect.map((rows) => rows.map((row) => Number(row.migration_id))))

const openFailure = (layer: Layer.Layer<TokenStore.TokenStore, unknown>) =>
  Effect.flip(Effect.provide(store, layer)) as Effect.Effect<unknown>

describe("migrations", () => {
  it.live("eight PostgreSQL clients opening one fresh database at once migrate it once, and all can write", () =>
    Effect.gen(function* () {
      const url = yield* postgres.fresh
      const opened = yield* Effect.all(
        Array.from({ length: 8 }, (_, index) =>
          Effect.provide(
            Effect.flatMap(store, (tokenStore) => tokenStore.insert(newGrant(`car-${index}`))),
            storeLayer(postgres, url, { encryption })
          )
        ),
        { concurrency: "unbounded" }
      )
      expect(opened.map((record) => record.version)).toEqual(Array(8).fill(1))
      expect(yield* Effect.provide(appliedMigrations, postgres.client(url))).toEqual([1])
    })
  )

  for (const dialect of dialects) {
    it.effect(`${dialect.name}: opening again changes nothing, and verify-only opens a current database`, () =>
      Effect.gen(function* () {
        const location = yield* dialect.fresh
        const unmigrated = yield* openFailure(storeLayer(dialect, location, { encryption, migrations: "verify" }))
        expect(unmigrated).toMatchObject({ _tag: "TokenStoreError", reason: "Incompatible", operation: "open" })
        yield* Effect.provide(
          Effect.flatMap(store, (s) => s.insert(newGrant("car-1"))),
          storeLayer(dialect, location, { encryption })
        )
        const again = yield* Effect.provide(
          Effect.flatMap(store, (s) => s.get("car-1")),
          storeLayer(dialect, location, { encryption })
        )
        expect(Option.map(again, (r) => r.version)).toEqual(Option.some(1))
        const verified = yield* Effect.provide(
          Effect.flatMap(store, (s) => s.get("car-1")),
          storeLayer(dialect, location, { encryption, migrations: "verify" })
        )
        expect(Option.isSome(verified)).toBe(true)
        expect(yield* Effect.provide(appliedMigrations, dialect.client(location))).toEqual([1])
      })
    )

    it.effect(`${dialect.name}: a database migrated by a newer release is Incompatible, and untouched`, () =>
      Effect.gen(function* () {
        const location = yield* dialect.fresh
        yield* Effect.provide(
          Effect.flatMap(store, (s) => s.insert(newGrant("car-1"))),
          storeLayer(dialect, location, { encryption })
        )
        yield* Effect.provide(
          Effect.flatMap(
            SqlClient.SqlClient,
            (sql) => sql`INSERT INTO hm_oauth_migrations (migration_id, name) VALUES (2, 'from_the_future')`
          ),
          dialect.client(location)
        )
        const failure = yield* openFailure(storeLayer(dialect, location, { encryption }))
        expect(failure).toMatchObject({ reason: "Incompatible", operation: "open" })
        expect(String((failure as TokenStore.TokenStoreError).detail)).toContain("newer release (migration 2")
        const rows = yield* Effect.provide(
          Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT grant_id FROM hm_oauth_grants`),
          dialect.client(location)
        )
        expect(rows).toHaveLength(1)
      })
    )

    it.effect(`${dialect.name}: a foreign table under our name, or ours altered, is Incompatible`, () =>
      Effect.gen(function* () {
        const foreign = yield* dialect.fresh
        yield* Effect.provide(
          Effect.flatMap(SqlClient.SqlClient, (sql) => sql`CREATE TABLE hm_oauth_grants (id integer, payload text)`),
          dialect.client(foreign)
        )
        const failure = yield* openFailure(storeLayer(dialect, foreign, { encryption }))
        expect(failure).toMatchObject({ _tag: "TokenStoreError", reason: "Incompatible", operation: "open" })

        const altered = yield* dialect.fresh
        yield* Effect.provide(
          Effect.flatMap(store, (s) => s.insert(newGrant("car-1"))),
          storeLayer(dialect, altered, { encryption })
        )
        yield* Effect.provide(
          Effect.flatMap(SqlClient.SqlClient, (sql) => sql`ALTER TABLE hm_oauth_grants DROP COLUMN scopes`),
          dialect.client(altered)
        )
        const missing = yield* openFailure(storeLayer(dialect, altered, { encryption }))
        expect(missing).toMatchObject({ reason: "Incompatible", operation: "open" })
        expect(String((missing as TokenStore.TokenStoreError).detail)).toContain("not the table this release wrote")
      })
    )
  }

  it.effect("a SQLite file that is not a database is Corrupt at open, and left as it was", () =>
    Effect.gen(function* () {
      const filename = freshSqliteFile()
      const garbage = Buffer.alloc(8192, 0x5a)
      writeFileSync(filename, garbage)
      const failure = yield* openFailure(SqlTokenStore.layerSqlite({ filename, encryption }))
      expect(failure).toMatchObject({ _tag: "TokenStoreError", reason: "Corrupt", operation: "open" })
      expect(String((failure as TokenStore.TokenStoreError).detail)).toContain("SQLITE_NOTADB")
    })
  )

  it.effect("a SQLite file in a missing directory is Unavailable at open", () =>
    Effect.gen(function* () {
      const failure = yield* openFailure(
        SqlTokenStore.layerSqlite({ filename: `${freshSqliteFile()}/missing/store.db`, encryption })
      )
      expect(failure).toMatchObject({ _tag: "TokenStoreError", reason: "Unavailable", operation: "open" })
    })
  )
})
