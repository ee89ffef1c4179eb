/**
 * Property-suite throughput: how many generated commands per second the model-based test
 * (`packages/testkit/test/Invariants.modelBased.test.ts`) runs, in memory and over HTTP. Each round runs the real
 * test file once per transport in a fresh Vitest process, with the same seed for both, so both transports meet the
 * same sequences; the test reports the commands it ran and the time spent running them (runtime set-up and
 * Vitest's start-up excluded) through `HM_OAUTH_MODEL_STATS`.
 */
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { type Benchmark, type Contender, compare } from "./harness.js"

const root = fileURLToPath(new URL("../..", import.meta.url))
const vitest = join(root, "node_modules", "vitest", "vitest.mjs")
const testFile = "packages/testkit/test/Invariants.modelBased.test.ts"

interface Stats {
  readonly transport: string
  readonly sequences: number
  readonly commands: number
  readonly millis: number
}

/** Runs the model-based property over `transport` with the suite's sizes times `scale` / 100 and `seed`. */
const runSuite = async (transport: string, scale: number, seed: number, scratch: string): Promise<Stats> => {
  const statsFile = join(scratch, `${transport}-${seed}.jsonl`)
  await promisify(execFile)(
    process.execPath,
    [vitest, "run", "--project", "testkit", testFile, "-t", `model-based over ${transport} `],
    {
      cwd: root,
      env: {
        ...process.env,
        HM_OAUTH_MODEL_STATS: statsFile,
        HM_OAUTH_PROPERTY_RUNS: String(scale),
        HM_OAUTH_PROPERTY_SEED: String(seed)
      }
    }
  )
  const [line] = readFileSync(statsFile, "utf8").trim().split("\n")
  const stats: Stats = JSON.parse(line ?? "{}")
  if (stats.transport !== transport || !(stats.commands > 0)) throw new Error(`no run over ${transport}: ${line}`)
  return stats
}

/** µs per command over one run of the suite; the k-th round of every contender uses seed k. */
const contender = (transport: string, scratch: string, log: Array<Stats>): Contender => {
  let seed = 0
  return {
    name: transport,
    round: async (scale) => {
      seed += 1
      const stats = await runSuite(transport, scale, seed, scratch)
      log.push(stats)
      return (stats.millis * 1000) / stats.commands
    }
  }
}

export const benchmark: Benchmark = {
  name: "property-suite",
  title: "commands per second of the model-based property test, a fresh Vitest process per round and transport",
  unit: "µs/command",
  rate: "commands/s",
  perRoundUnit: "% of the suite's default size",
  settings: {
    full: { rounds: 5, warmupRounds: 1, perRound: 250 },
    smoke: { rounds: 1, warmupRounds: 0, perRound: 5 }
  },
  run: async (options) => {
    const scratch = mkdtempSync(join(tmpdir(), "hm-oauth-property-suite-"))
    const log: Array<Stats> = []
    try {
      const comparison = await compare(
        [contender("in-memory", scratch, log), contender("http", scratch, log)],
        options,
        ["in-memory"]
      )
      const total = (transport: string) =>
        log
          .filter((stats) => stats.transport === transport)
          .reduce(
            (sum, stats) => ({ sequences: sum.sequences + stats.sequences, commands: sum.commands + stats.commands }),
            {
              sequences: 0,
              commands: 0
            }
          )
      return {
        ...comparison,
        notes: ["in-memory", "http"].map((transport) => {
          const { commands, sequences } = total(transport)
          return `${transport}: ${commands} commands in ${sequences} sequences, warm-up included`
        })
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true })
    }
  }
}
