/**
 * Keeps the benchmarks from rotting: every one of them runs with tiny counts (`--smoke`), as built by `npm test`'s
 * `tsc -b`, and prints its table. Loopback only; a few seconds.
 */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { describe, expect, it } from "@effect/vitest"

const main = fileURLToPath(new URL("./dist/main.js", import.meta.url))
const benchmarks = [
  "client-overhead",
  "in-memory",
  "served",
  "property-suite",
  "token-manager",
  "token-memory",
  "fake-memory",
  "sql-store"
]

describe("benchmarks", () => {
  it("each runs with tiny counts and prints its table", { timeout: 120_000 }, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [main, "--smoke"])
    for (const name of benchmarks) {
      expect(stdout).toMatch(new RegExp(`^${name}: .+\\n.+\\n.+\\n\\ncontender +median `, "m"))
    }
  })
})
