/**
 * The test server is reusable outside this run's workers: child processes find it in `HM_OAUTH_TEST_PG_URL`, and
 * `node test/support/postgres.mjs` starts one of their own (for multi-process tests and benchmarks), printing its URL.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { inject } from "vitest"

const script = fileURLToPath(new URL("./support/postgres.mjs", import.meta.url))

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

  it.live("postgres.mjs run as a program prints its URL, serves, and stops cleanly on SIGTERM", () =>
    Effect.gen(function* () {
      const child = spawn(process.execPath, [script], { stdio: ["pipe", "pipe", "inherit"] })
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve))
      const url = yield* Effect.promise(
        () =>
          new Promise<string>((resolve, reject) => {
            let output = ""
            child.stdout.on("data", (chunk) => {
              output += chunk
              const match = /^postgres ready (\S+)$/m.exec(output)
              if (match) resolve(match[1]!)
            })
            void exited.then((code) => reject(new Error(`exited ${code} before it was ready`)))
          })
      )
      expect(url).not.toBe(inject("postgresUrl"))
      expect(yield* selectOne(url)).toEqual([{ one: 1 }])
      child.kill("SIGTERM")
      expect(yield* Effect.promise(() => exited)).toBe(0)
    })
  )
})
