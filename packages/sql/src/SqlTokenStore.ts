/**
 * A durable `TokenStore` over `@effect/sql`: SQLite, a file on one machine (the embedded default), or PostgreSQL,
 * one store shared by many machines. Tokens are encrypted at rest (`StoreEncryption`); coordination is
 * compare-and-set on each grant's version, one statement per operation, never a lock held across an HTTP call.
 *
 * @since 0.2.0
 */

import * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { TokenStore } from "@hm-oauth/core"
import { Cause, Config, ConfigError, Duration, Effect, Either, Layer, Redacted } from "effect"
import * as Cipher from "./internal/cipher.js"
import { classify, fromSqlError } from "./internal/errors.js"
import * as Migrate from "./internal/migrate.js"
import * as Store from "./internal/store.js"
import * as StoreEncryption from "./StoreEncryption.js"

/**
 * What every SQL store is given: how tokens are kept at rest, and whether opening the store migrates the schema
 * (`"run"`, the default: the first process to start on a fresh database creates it, the others wait for it) or only
 * checks that it is current (`"verify"`, for databases whose schema is changed by a separate deploy step running
 * `SqlTokenStore.migrate`).
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  readonly encryption: StoreEncryption.StoreEncryption
  readonly migrations?: "run" | "verify" | undefined
}

/**
 * Applies the migrations this release lacks, as the layers do on start: for a deploy step that migrates before the
 * new release rolls out (then open the stores with `migrations: "verify"`).
 *
 * @since 0.2.0
 * @category migrations
 */
export const migrate: Effect.Effect<void, TokenStore.TokenStoreError, SqlClient.SqlClient> = Migrate.migrate

/**
 * The store over the `SqlClient` in context, once the schema is current.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<TokenStore.Service, TokenStore.TokenStoreError, SqlClient.SqlClient> =>
  Effect.zipRight(
    options.migrations === "verify" ? Migrate.verify : Migrate.migrate,
    Store.make(Cipher.make(options.encryption))
  )

/**
 * The store over any `SqlClient` (a SQLite or PostgreSQL client the application already has).
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<TokenStore.TokenStore, TokenStore.TokenStoreError, SqlClient.SqlClient> =>
  Layer.effect(TokenStore.TokenStore, make(options))

const openFailure = (cause: unknown) => {
  const { detail, reason } = classify(cause)
  return new TokenStore.TokenStoreError({ reason: reason ?? "Unavailable", operation: "open", detail })
}

/**
 * The SQLite client `layerSqlite` opens, for an application that keeps tables of its own in the same file (then
 * `layer` over it): WAL mode, so several processes on one machine share the file; a busy timeout, each statement
 * waiting that long for the write lock; and `synchronous = FULL` (better-sqlite3 reopens WAL files at `NORMAL`), so a
 * commit that returned survives a power loss, not only a crash. better-sqlite3 throws from its constructor (a missing
 * directory, a file that is not a database): that defect is read back here as a `TokenStoreError` of `open`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerSqliteClient = (
  filename: string,
  busyTimeout: Duration.DurationInput = "5 seconds"
): Layer.Layer<SqliteClient.SqliteClient | SqlClient.SqlClient, TokenStore.TokenStoreError> =>
  Layer.provideMerge(
    Layer.effectDiscard(
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        Effect.mapError(
          Effect.zipRight(
            sql`PRAGMA busy_timeout = ${sql.literal(String(Duration.toMillis(busyTimeout)))}`,
            sql`PRAGMA synchronous = FULL`
          ),
          fromSqlError("open")
        )
      )
    ),
    Layer.catchAllCause(SqliteClient.layer({ filename }), (cause) => Layer.fail(openFailure(Cause.squash(cause))))
  )

/**
 * SQLite, the embedded default: one file (created if missing), shared by the processes of one machine through WAL
 * mode, each statement waiting up to `busyTimeout` (5 seconds by default) for the write lock before failing
 * `Unavailable`. `synchronous` is `FULL` (see `layerSqliteClient`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layerSqlite = (
  options: Options & { readonly filename: string; readonly busyTimeout?: Duration.DurationInput | undefined }
): Layer.Layer<TokenStore.TokenStore, TokenStore.TokenStoreError> =>
  layer(options).pipe(Layer.provide(layerSqliteClient(options.filename, options.busyTimeout)))

/**
 * PostgreSQL, for a fleet of machines sharing one store. Takes `@effect/sql-pg`'s client options (`url`, or host,
 * port, database, username, password; `maxConnections`, 10 by default, per process).
 *
 * @since 0.2.0
 * @category layers
 */
export const layerPg = (
  options: Options & PgClient.PgClientConfig
): Layer.Layer<TokenStore.TokenStore, TokenStore.TokenStoreError> => {
  // the client is given its own options only: the store's keys stay out of the client's `config`
  const { encryption, migrations, ...client } = options
  return layer({ encryption, migrations }).pipe(
    Layer.provide(
      Layer.mapError(PgClient.layer({ applicationName: "hm-oauth", ...client }), (error) =>
        error._tag === "SqlError" ? fromSqlError("open")(error) : openFailure(error)
      )
    )
  )
}

/**
 * Where the store lives, as `HM_OAUTH_STORE_URL` gives it.
 *
 * @since 0.2.0
 * @category models
 */
export type Location =
  | { readonly _tag: "Sqlite"; readonly filename: string }
  | { readonly _tag: "Postgres"; readonly url: Redacted.Redacted<string> }

/**
 * Reads `HM_OAUTH_STORE_URL`: `sqlite:PATH` (a file, created if missing) or `postgres://…` (`postgresql://` too).
 * The URL is read as a secret: it may hold a password.
 *
 * @since 0.2.0
 * @category config
 */
export const locationConfig: Config.Config<Location> = Config.redacted("HM_OAUTH_STORE_URL").pipe(
  Config.mapOrFail((url): Either.Either<Location, ConfigError.ConfigError> => {
    const value = Redacted.value(url).trim()
    if (value.startsWith("sqlite:")) {
      const filename = value.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "")
      return filename.length === 0
        ? Either.left(ConfigError.InvalidData(["HM_OAUTH_STORE_URL"], "HM_OAUTH_STORE_URL: sqlite: needs a file path"))
        : Either.right({ _tag: "Sqlite", filename })
    }
    if (/^postgres(ql)?:\/\//.test(value)) return Either.right({ _tag: "Postgres", url })
    return Either.left(
      ConfigError.InvalidData(
        ["HM_OAUTH_STORE_URL"],
        "HM_OAUTH_STORE_URL: expected sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE"
      )
    )
  })
)

/**
 * The store `HM_OAUTH_STORE_URL` names, encrypted as `StoreEncryption.config` reads it (`HM_OAUTH_STORE_KEY`,
 * `HM_OAUTH_STORE_PREVIOUS_KEYS`, `HM_OAUTH_STORE_PLAINTEXT`). `HM_OAUTH_STORE_MIGRATIONS=verify` opens without
 * migrating.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig: Layer.Layer<TokenStore.TokenStore, TokenStore.TokenStoreError | ConfigError.ConfigError> =
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const location = yield* locationConfig
      const encryption = yield* StoreEncryption.config
      const migrations = yield* Config.literal(
        "run",
        "verify"
      )("HM_OAUTH_STORE_MIGRATIONS").pipe(Config.withDefault("run" as const))
      return location._tag === "Sqlite"
        ? layerSqlite({ filename: location.filename, encryption, migrations })
        : layerPg({ url: location.url, encryption, migrations })
    })
  )

/**
 * Rewrites every token stored under a previous key under the current one, a page at a time, so the previous keys can
 * then be dropped. Each row is rewritten by a compare-and-set on its version (which it leaves as it is: the tokens do
 * not change); a row written meanwhile already used the current key. Safe to run while the fleet serves.
 *
 * @since 0.2.0
 * @category migrations
 */
export const reencrypt = (
  encryption: StoreEncryption.StoreEncryption
): Effect.Effect<{ readonly rewritten: number }, TokenStore.TokenStoreError, SqlClient.SqlClient> =>
  Store.reencrypt(Cipher.make(encryption))
