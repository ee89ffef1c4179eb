/**
 * What goes wrong below the store — a connection killed mid-refresh, a server out of reach, a write lock held too
 * long, a full disk — is a typed `TokenStoreError`, and loses nothing already committed.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { mkdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as SqlClient from "@effect/sql/SqlClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { describe, expect, it } from "@effect/vitest"
import { TokenStore } from "@hm-oauth/core"
import { Deferred, Effect, Fiber, Layer, Option, Redacted, Schedule } from "effect"
import { SqlTokenStore } from "../src/index.js"
import { adminLayer, freshSqliteFile } from "./support/databases.js"
import { postgres } from "./support/dialects.js"
import { encryption, lease, newGrant, tokens } from "./support/fixtures.js"

const store = TokenStore.TokenStore

/** The access token a record holds now, revealed for comparison. */
const accessTokenOf = (grantId: string) =>
  Effect.flatMap(store, (s) => s.get(grantId)).pipe(
    Effect.map(Option.map((record) => [record.version, Redacted.value(record.accessToken)] as const))
  )

/**
 * Runs `lock` in a transaction on a connection of `client`, on a fiber of its own, and holds the transaction open
 * until the returned effect is run.
 */
const holdingLock = (
  lock: (sql: SqlClient.SqlClient) => Effect.Effect<unknown, unknown>,
  client: Layer.Layer<SqlClient.SqlClient, unknown>
) =>
  Effect.gen(function* () {
    const locked = yield* Deferred.make<void>()
    const unlock = yield* Deferred.make<void>()
    const holder = yield* Effect.fork(
      Effect.provide(
        Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql.withTransaction(
            lock(sql).pipe(
              Effect.zipRight(Deferred.succeed(locked, undefined)),
              Effect.zipRight(Deferred.await(unlock))
            )
          )
        ),
        client
      )
    )
    yield* Deferred.await(locked)
    return Effect.zipRight(Deferred.succeed(unlock, undefined), Fiber.join(holder))
  })

describe("PostgreSQL failures", () => {
  it.live("a connection killed mid-commit (pg_terminate_backend) fails Unavailable; the retried commit lands", () =>
    Effect.gen(function* () {
      const url = yield* postgres.fresh
      const applicationName = `store-${Math.random().toString(36).slice(2)}`
      const storeLive = SqlTokenStore.layerPg({ url: Redacted.make(url), applicationName, encryption })
      const admin = adminLayer(url)
      yield* Effect.gen(function* () {
        const tokenStore = yield* store
        const inserted = yield* tokenStore.insert(newGrant("car-1"))
        const claimed = yield* tokenStore.claim("car-1", lease("node-a", Date.now() + 60_000))
        if (claimed._tag !== "Claimed") return expect.fail(claimed._tag)

        // Another session locks the row, so the commit is in flight inside the server when its backend is killed.
        const unlock = yield* holdingLock(
          (sql) => sql`SELECT grant_id FROM hm_oauth_grants WHERE grant_id = 'car-1' FOR UPDATE`,
          admin
        )
        const refreshed = tokens()
        const commit = yield* Effect.fork(tokenStore.commit("car-1", claimed.record.version, refreshed))
        yield* Effect.provide(
          Effect.flatMap(SqlClient.SqlClient, (sql) =>
            sql<{ readonly pid: number }>`SELECT pid FROM pg_stat_activity
              WHERE application_name = ${applicationName} AND wait_event_type = 'Lock'`.pipe(
              Effect.filterOrFail((waiting) => waiting.length > 0),
              Effect.retry(Schedule.spaced("20 millis").pipe(Schedule.upTo("10 seconds"))),
              // the commit's own backend: the store's other connections live on, as after a network blip
              Effect.flatMap((waiting) => sql`SELECT pg_terminate_backend(${waiting[0]!.pid})`)
            )
          ),
          admin
        )
        const lost = yield* Effect.flip(Fiber.join(commit))
        expect(lost).toMatchObject({ _tag: "TokenStoreError", reason: "Unavailable", operation: "commit" })
        expect(lost.grantId).toBe("car-1")
        yield* unlock

        // Nothing was lost: the grant is as claimed, and the same commit lands on a new connection. The pool may
        // hand out the killed connection once more before it notices: Unavailable is worth one retry.
        const retry = { while: (e: TokenStore.TokenStoreError) => e.reason === "Unavailable", times: 2 }
        expect(yield* Effect.retry(accessTokenOf("car-1"), retry)).toEqual(
          Option.some([claimed.record.version, Redacted.value(inserted.accessToken)])
        )
        const retried = yield* Effect.retry(tokenStore.commit("car-1", claimed.record.version, refreshed), retry)
        expect(retried._tag).toBe("Written")
        expect(yield* accessTokenOf("car-1")).toEqual(
          Option.some([claimed.record.version + 1, Redacted.value(refreshed.accessToken)])
        )
      }).pipe(Effect.provide(storeLive))
    })
  )

  it.live("a store operation inside a caller's transaction stays outside it: a rollback loses no commit", () =>
    Effect.gen(function* () {
      const url = yield* postgres.fresh
      const storeLive = SqlTokenStore.layer({ encryption }).pipe(Layer.provideMerge(postgres.client(url)))
      yield* Effect.gen(function* () {
        const tokenStore = yield* store
        const sql = yield* SqlClient.SqlClient
        yield* tokenStore.insert(newGrant("car-1"))
        const claimed = yield* tokenStore.claim("car-1", lease("node-a", Date.now() + 60_000))
        if (claimed._tag !== "Claimed") return expect.fail(claimed._tag)
        const refreshed = tokens()
        const rolledBack = yield* sql
          .withTransaction(
            Effect.zipRight(
              tokenStore.commit("car-1", claimed.record.version, refreshed),
              Effect.fail("the caller's own failure")
            )
          )
          .pipe(Effect.flip)
        expect(rolledBack).toBe("the caller's own failure")
        expect(yield* accessTokenOf("car-1")).toEqual(
          Option.some([claimed.record.version + 1, Redacted.value(refreshed.accessToken)])
        )
      }).pipe(Effect.provide(storeLive))
    })
  )

  it.live("a server out of reach is Unavailable at open", () =>
    Effect.gen(function* () {
      // a port that was free a moment ago: nothing listens there
      const url = new URL(yield* postgres.fresh)
      url.port = "1"
      const failure = yield* Effect.flip(
        Effect.provide(store, SqlTokenStore.layerPg({ url: Redacted.make(url.href), encryption }))
      )
      expect(failure).toMatchObject({ _tag: "TokenStoreError", reason: "Unavailable", operation: "open" })
    })
  )

  // A tablespace on a 1 MiB tmpfs is a disk that fills up; mounting one needs root, which CI has.
  it.live.runIf(process.getuid?.() === 0 || process.env.CI === "true")(
    "a full tablespace fails Full; what was committed stays readable",
    () =>
      Effect.gen(function* () {
        const url = yield* postgres.fresh
        const mount = join(tmpdir(), `hm-oauth-tiny-${process.pid}-${Date.now()}`)
        const space = `tiny_${Date.now()}`
        mkdirSync(mount)
        execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mount])
        yield* Effect.addFinalizer(() =>
          Effect.sync(() => {
            execFileSync("umount", ["-l", mount])
            rmSync(mount, { recursive: true, force: true })
          })
        )
        mkdirSync(`${mount}/pg`)
        execFileSync("chown", ["-R", "postgres:postgres", mount])
        const storeLive = SqlTokenStore.layerPg({ url: Redacted.make(url), encryption, maxConnections: 2 })
        yield* Effect.gen(function* () {
          const tokenStore = yield* store
          yield* Effect.provide(
            Effect.flatMap(
              SqlClient.SqlClient,
              (sql) => sql`CREATE TABLESPACE ${sql.literal(space)} LOCATION ${sql.literal(`'${mount}/pg'`)}`
            ),
            adminLayer()
          )
          yield* Effect.provide(
            Effect.flatMap(SqlClient.SqlClient, (sql) =>
              Effect.zipRight(
                sql`ALTER TABLE hm_oauth_grants SET TABLESPACE ${sql.literal(space)}`,
                sql`ALTER INDEX hm_oauth_grants_expiry SET TABLESPACE ${sql.literal(space)}`
              )
            ),
            adminLayer(url)
          )
          const written: Array<string> = []
          const failure = yield* Effect.gen(function* () {
            for (let i = 0; i < 100_000; i++) {
              // incompressible, so PostgreSQL cannot squeeze it below the page it fills
              const grant = newGrant(`car-${i}`, { clientId: randomBytes(1000).toString("hex") })
              yield* tokenStore.insert(grant)
              written.push(grant.grantId)
            }
            return yield* Effect.die("the tablespace never filled")
          }).pipe(Effect.flip)
          expect(failure).toMatchObject({ _tag: "TokenStoreError", reason: "Full", operation: "insert" })
          expect(written.length).toBeGreaterThan(10)
          const first = yield* tokenStore.get(written[0]!)
          const last = yield* tokenStore.get(written[written.length - 1]!)
          expect([Option.isSome(first), Option.isSome(last)]).toEqual([true, true])
        }).pipe(Effect.provide(storeLive))
        // the database goes first: a tablespace is dropped only once empty
        yield* Effect.provide(
          Effect.flatMap(SqlClient.SqlClient, (sql) =>
            Effect.zipRight(
              sql`DROP DATABASE ${sql.literal(new URL(url).pathname.slice(1))} WITH (FORCE)`,
              sql`DROP TABLESPACE ${sql.literal(space)}`
            )
          ),
          adminLayer()
        )
      }).pipe(Effect.scoped)
  )
})

describe("SQLite failures", () => {
  it.live("a write lock held past the busy timeout fails Unavailable; the retried commit lands", () =>
    Effect.gen(function* () {
      const filename = freshSqliteFile()
      const storeLive = SqlTokenStore.layerSqlite({ filename, encryption, busyTimeout: "100 millis" })
      yield* Effect.gen(function* () {
        const tokenStore = yield* store
        yield* tokenStore.insert(newGrant("car-1"))
        const claimed = yield* tokenStore.claim("car-1", lease("node-a", Date.now() + 60_000))
        if (claimed._tag !== "Claimed") return expect.fail(claimed._tag)
        const refreshed = tokens()
        // another connection (another process, in production) holds the write lock
        const unlock = yield* holdingLock(
          (sql) => sql`UPDATE hm_oauth_grants SET updated_at = updated_at`,
          SqliteClient.layer({ filename })
        )
        const busy = yield* Effect.flip(tokenStore.commit("car-1", claimed.record.version, refreshed))
        yield* unlock
        expect(busy).toMatchObject({ _tag: "TokenStoreError", reason: "Unavailable", operation: "commit" })
        expect(busy.detail).toContain("SQLITE_BUSY")
        expect((yield* tokenStore.commit("car-1", claimed.record.version, refreshed))._tag).toBe("Written")
        expect(yield* accessTokenOf("car-1")).toEqual(
          Option.some([claimed.record.version + 1, Redacted.value(refreshed.accessToken)])
        )
      }).pipe(Effect.provide(storeLive))
    })
  )

  it.effect("a full disk (max_page_count) fails Full with nothing written; what was committed stays", () =>
    Effect.gen(function* () {
      const filename = freshSqliteFile()
      // the store over a client of its own, so the test can cap the file's pages on the store's own connection
      const client = SqliteClient.layer({ filename })
      const storeLive = SqlTokenStore.layer({ encryption }).pipe(Layer.provideMerge(client))
      yield* Effect.gen(function* () {
        const tokenStore = yield* store
        const sql = yield* SqlClient.SqlClient
        const [{ page_count }] = (yield* sql<{ readonly page_count: number }>`PRAGMA page_count`) as [
          { readonly page_count: number }
        ]
        yield* sql`PRAGMA max_page_count = ${sql.literal(String(page_count + 8))}`
        const written: Array<TokenStore.GrantRecord> = []
        const failure = yield* Effect.gen(function* () {
          for (let i = 0; i < 10_000; i++) written.push(yield* tokenStore.insert(newGrant(`car-${i}`)))
          return yield* Effect.die("the file never filled")
        }).pipe(Effect.flip)
        expect(failure).toMatchObject({ _tag: "TokenStoreError", reason: "Full", operation: "insert" })
        expect(failure.grantId).toBe(`car-${written.length}`)
        expect(yield* tokenStore.get(`car-${written.length}`)).toEqual(Option.none())
        for (const record of written) {
          expect(yield* accessTokenOf(record.grantId)).toEqual(Option.some([1, Redacted.value(record.accessToken)]))
        }
        // a refresh of a stored grant rewrites its row in place: a full file still takes it
        const claimed = yield* tokenStore.claim("car-0", lease("n", 60_000))
        expect(claimed._tag).toBe("Claimed")
      }).pipe(Effect.provide(storeLive))
    })
  )
})
