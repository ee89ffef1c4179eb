/**
 * `npm run bench -- [name…] [--smoke] [--rounds N] [--warmup N] [--per-round N] [--only CONTENDER…]`: runs the named
 * benchmarks, or all, prints a table for each and writes its figures to `bench/results/`. `--smoke` (or
 * `BENCH_SMOKE=1`) runs tiny counts, only to prove that every benchmark still runs. `--only` runs some contenders,
 * e.g. under a profiler, and writes nothing: its figures do not compare with a full run's.
 */
import { parseArgs } from "node:util"
import type { Benchmark, Settings } from "./harness.js"
import { machine, table, writeResult } from "./report.js"

/** Every benchmark, by name, loaded only when it runs. */
const benchmarks: Readonly<Record<string, () => Promise<Benchmark>>> = {
  "client-overhead": async () => (await import("./client-overhead.js")).benchmark,
  "in-memory": async () => (await import("./in-memory.js")).benchmark,
  served: async () => (await import("./served.js")).benchmark,
  "property-suite": async () => (await import("./property-suite.js")).benchmark,
  "token-manager": async () => (await import("./token-manager.js")).benchmark,
  "token-memory": async () => (await import("./token-memory.js")).benchmark,
  "fake-memory": async () => (await import("./fake-memory.js")).benchmark,
  "sql-store": async () => (await import("./sql-store.js")).benchmark
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    smoke: { type: "boolean", default: process.env.BENCH_SMOKE === "1" },
    rounds: { type: "string" },
    warmup: { type: "string" },
    "per-round": { type: "string" },
    only: { type: "string", multiple: true }
  }
})

const count = (flag: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < (flag === "warmup" ? 0 : 1))
    throw new Error(`--${flag} ${value}: not a count`)
  return parsed
}

const overrides = {
  rounds: count("rounds", values.rounds),
  warmupRounds: count("warmup", values.warmup),
  perRound: count("per-round", values["per-round"])
}

const settingsOf = (benchmark: Benchmark): Settings => {
  const defaults = values.smoke ? benchmark.settings.smoke : benchmark.settings.full
  return {
    rounds: overrides.rounds ?? defaults.rounds,
    warmupRounds: overrides.warmupRounds ?? defaults.warmupRounds,
    perRound: overrides.perRound ?? defaults.perRound
  }
}

const names = positionals.length > 0 ? positionals : Object.keys(benchmarks)
const unknown = names.filter((name) => !(name in benchmarks))
if (unknown.length > 0) {
  console.error(`unknown benchmark: ${unknown.join(", ")}; known: ${Object.keys(benchmarks).join(", ")}`)
  process.exit(2)
}

for (const name of names) {
  const benchmark = await benchmarks[name]!()
  const comparison = await benchmark.run({ settings: settingsOf(benchmark), only: values.only })
  const facts = machine()
  console.log(`${table(benchmark, comparison, facts)}\n`)
  if (values.only === undefined)
    console.log(`written to ${await writeResult(benchmark, comparison, facts, values.smoke)}\n`)
}
