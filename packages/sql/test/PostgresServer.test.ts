/**
 * The test server is reusable outside this run's workers: child processes find it in `HM_OAUTH_TEST_PG_URL`, and
 * `spawnPostgres` (or `node test/support/postgres.mjs`) starts one of their own, for multi-process tests and
 * benchmarks.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { inject } from "vitest"
import { spawnPostgres } from "./support/postgres.mjs"

const selectOne = (url: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly one: number }>`SELECT 1 AS one`).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 }))
  )

describe("the PostgreSQL test server", () => {
  it.effect("is in HM_OAUTH_TEST_PG_URL for the workers and their children", () =>
    Effect.gen(function* () {
      expect(process.env.HM_OAUTH_TEST_PG_URL).toBe(inject("postgresUrl"))
      expect(yield* selectOne(process.env.HM_OAUTH_TEST_PG_URL!)).toEqual([{ one: 1 }])
    })
  )

  it.live("spawnPostgres runs one in a child process that serves, and stops with its data when stdin closes", () =>
    Effect.gen(function* () {
      const server = yield* Effect.promise(() => spawnPostgres())
      expect(server.url).not.toBe(inject("postgresUrl"))
      expect(yield* selectOne(server.url)).toEqual([{ one: 1 }])
      expect(yield* Effect.promise(() => server.stop())).toBe(0)
      const gone = yield* Effect.flip(selectOne(server.url))
      expect(gone._tag).toBe("SqlError")
    })
  )
})
