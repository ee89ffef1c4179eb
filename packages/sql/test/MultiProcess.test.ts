/**
 * Several processes sharing one SQLite file, as on one machine: WAL mode and the busy timeout let them all write,
 * migrations run once however many open a fresh file together, and every claim has exactly one winner.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import * as SqlClient from "@effect/sql/SqlClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { describe, expect, it } from "@effect/vitest"
import { TokenStore } from "@hm-oauth/core"
import { Effect, Option } from "effect"
import { SqlTokenStore, StoreEncryption } from "../src/index.js"
import { freshSqliteFile } from "./support/databases.js"
import { keyText, newGrant, testKey } from "./support/fixtures.js"

const script = fileURLToPath(new URL("./fixtures/sqlite-process.mjs", import.meta.url))
const built = fileURLToPath(new URL("../dist/index.js", import.meta.url))

const key = testKey("k1")
const storeKey = keyText(key)

interface Child {
  readonly process: ChildProcessWithoutNullStreams
  readonly stdout: () => string
  readonly exited: Promise<number | null>
}

const run = (args: ReadonlyArray<string>): Child => {
  if (!existsSync(built)) throw new Error(`${built} is missing: build first (npx tsc -b)`)
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, STORE_KEY: storeKey } })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (chunk) => (stdout += chunk))
  child.stderr.on("data", (chunk) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      if (code !== 0) process.stderr.write(stderr)
      resolve(code)
    })
  )
  return { process: child, stdout: () => stdout, exited }
}

const lineOf = (child: Child, pattern: RegExp) =>
  new Promise<string>((resolve, reject) => {
    const check = setInterval(() => {
      const line = child
        .stdout()
        .split("\n")
        .find((l) => pattern.test(l))
      if (line !== undefined) {
        clearInterval(check)
        resolve(line)
      }
    }, 10)
    void child.exited.then((code) => {
      clearInterval(check)
      const line = child
        .stdout()
        .split("\n")
        .find((l) => pattern.test(l))
      if (line === undefined) reject(new Error(`the process exited (${code}) before printing ${pattern}`))
      else resolve(line)
    })
  })

describe("several processes over one SQLite file", () => {
  it.live("four processes opening a fresh file at once migrate it once, and each onboards its grant", () =>
    Effect.gen(function* () {
      const filename = freshSqliteFile()
      const children = ["p0", "p1", "p2", "p3"].map((name) => run(["open", filename, name]))
      yield* Effect.promise(() => Promise.all(children.map((child) => lineOf(child, /^ready$/))))
      for (const child of children) child.process.stdin.end("go 0\n")
      const codes = yield* Effect.promise(() => Promise.all(children.map((child) => child.exited)))
      expect(codes).toEqual([0, 0, 0, 0])
      const { grants, migrations } = yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        return {
          grants: yield* sql<{ readonly grant_id: string }>`SELECT grant_id FROM hm_oauth_grants ORDER BY grant_id`,
          migrations: yield* sql<{ readonly migration_id: number }>`SELECT migration_id FROM hm_oauth_migrations`
        }
      }).pipe(Effect.provide(SqliteClient.layer({ filename })))
      expect(grants.map((row) => row.grant_id)).toEqual(["p0", "p1", "p2", "p3"])
      expect(migrations.map((row) => row.migration_id)).toEqual([1])
    })
  )

  it.live("three processes claiming the same grants: exactly one wins each", () =>
    Effect.gen(function* () {
      const filename = freshSqliteFile()
      const count = 300
      yield* Effect.flatMap(TokenStore.TokenStore, (tokenStore) =>
        Effect.forEach(
          Array.from({ length: count }, (_, i) => `g${i}`),
          (id) => tokenStore.insert(newGrant(id)),
          {
            discard: true
          }
        )
      ).pipe(Effect.provide(SqlTokenStore.layerSqlite({ filename, encryption: StoreEncryption.keys(key) })))
      const children = [
        run(["claim", filename, "a", "forward"]),
        run(["claim", filename, "b", "forward"]),
        run(["claim", filename, "c", "backward"])
      ]
      yield* Effect.promise(() => Promise.all(children.map((child) => lineOf(child, /^ready$/))))
      for (const child of children) child.process.stdin.end(`go ${count}\n`)
      const won = yield* Effect.promise(() =>
        Promise.all(children.map((child) => lineOf(child, /^\[/).then((line) => JSON.parse(line) as Array<string>)))
      )
      expect(yield* Effect.promise(() => Promise.all(children.map((child) => child.exited)))).toEqual([0, 0, 0])
      const all = won.flat()
      expect(all).toHaveLength(count)
      expect(new Set(all).size).toBe(count)
      // (how the wins split depends on how the processes were scheduled: a process that starts late may win none,
      // and a claim that let a leased grant be claimed again would show as a grant won twice, overlap or not)
      // and the store agrees: each grant is leased to the process that says it won it
      const owners = yield* Effect.flatMap(TokenStore.TokenStore, (tokenStore) =>
        Effect.forEach(all, (id) =>
          Effect.map(
            tokenStore.get(id),
            Option.flatMap((record) => record.lease)
          )
        )
      ).pipe(Effect.provide(SqlTokenStore.layerSqlite({ filename, encryption: StoreEncryption.keys(key) })))
      const expected = won.flatMap((ids, index) => ids.map(() => ["a", "b", "c"][index]))
      expect(owners.map((lease) => Option.getOrThrow(lease).owner)).toEqual(expected)
    })
  )
})

describe("SqlTokenStore.layerSqliteClient", () => {
  it.effect(
    "opens every connection, a reopened WAL file too, in WAL mode, synchronous FULL, with the busy timeout",
    () =>
      Effect.gen(function* () {
        const filename = freshSqliteFile()
        const pragmas = Effect.flatMap(SqlClient.SqlClient, (sql) =>
          Effect.all([sql`PRAGMA journal_mode`, sql`PRAGMA synchronous`, sql`PRAGMA busy_timeout`])
        ).pipe(Effect.map((rows) => rows.map((row) => Object.values(row[0]!)[0])))
        const expected = ["wal", 2, 1234]
        expect(yield* Effect.provide(pragmas, SqlTokenStore.layerSqliteClient(filename, "1234 millis"))).toEqual(
          expected
        )
        expect(yield* Effect.provide(pragmas, SqlTokenStore.layerSqliteClient(filename, "1234 millis"))).toEqual(
          expected
        )
      })
  )
})
