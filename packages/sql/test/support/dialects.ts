/**
 * The two dialects as the tests open them: a store over a fresh SQLite file or a fresh PostgreSQL database, with the
 * `SqlClient` beside it so a test can look behind the store's back.
 */

import type * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import type { TokenStore } from "@hm-oauth/core"
import { Effect, Layer, Redacted } from "effect"
import { SqlTokenStore } from "../../src/index.js"
import { freshPgUrl, freshSqliteFile } from "./databases.js"

export interface Dialect {
  readonly name: "sqlite" | "postgres"
  /** A new empty database: its location (a file name or a URL). */
  readonly fresh: Effect.Effect<string>
  /** A client of that database. */
  readonly client: (location: string) => Layer.Layer<SqlClient.SqlClient, unknown>
}

export const sqlite: Dialect = {
  name: "sqlite",
  fresh: Effect.sync(freshSqliteFile),
  client: (filename) => SqliteClient.layer({ filename })
}

export const postgres: Dialect = {
  name: "postgres",
  fresh: freshPgUrl,
  client: (url) => PgClient.layer({ url: Redacted.make(url), maxConnections: 4 })
}

export const dialects: ReadonlyArray<Dialect> = [sqlite, postgres]

/** The store and its client over one database. */
export const storeLayer = (
  dialect: Dialect,
  location: string,
  options: SqlTokenStore.Options
): Layer.Layer<TokenStore.TokenStore | SqlClient.SqlClient, unknown> =>
  SqlTokenStore.layer(options).pipe(Layer.provideMerge(dialect.client(location)))
