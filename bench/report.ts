/**
 * Shows a comparison as a table of medians and ratios, and keeps it as JSON in `bench/results/` with the facts
 * of the machine it ran on, since figures from another machine are not comparable.
 */
import { mkdir, writeFile } from "node:fs/promises"
import { cpus } from "node:os"
import { type Benchmark, type Comparison, label } from "./harness.js"

/** The facts that decide whether two results can be compared. */
export interface Machine {
  readonly node: string
  readonly cpu: string
  readonly cores: number
  readonly platform: string
  readonly date: string
}

/** This machine, now. */
export const machine = (): Machine => ({
  node: process.version,
  cpu: cpus()[0]?.model.trim() ?? "unknown",
  cores: cpus().length,
  platform: `${process.platform}-${process.arch}`,
  date: new Date().toISOString()
})

/** The table of one comparison, with its machine line. */
export const table = (benchmark: Benchmark, comparison: Comparison, facts: Machine): string => {
  const { baselines, contenders, settings, notes = [] } = comparison
  const { rate } = benchmark
  const header = [
    "contender",
    `median ${benchmark.unit}`,
    `p90 ${benchmark.unit}`,
    ...(rate === undefined ? [] : [`median ${rate}`]),
    ...baselines.map((baseline) => `× ${baseline}`)
  ]
  const rows = contenders.map((contender) => [
    label(contender),
    contender.median.toFixed(1),
    contender.p90.toFixed(1),
    ...(rate === undefined ? [] : [(1e6 / contender.median).toFixed(0)]),
    // a baseline of another group does other work: no ratio
    ...baselines.map((baseline) => contender.ratios[baseline]?.toFixed(2) ?? "–")
  ])
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column]!.length)))
  // Names read left-aligned, figures right-aligned so their decimal points line up.
  const line = (row: ReadonlyArray<string>) =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ")
  return [
    `${benchmark.name}: ${benchmark.title}`,
    `${settings.rounds} rounds × ${settings.perRound} ${benchmark.perRoundUnit}, after warm-up rounds: ${settings.warmupRounds}`,
    `${facts.node} · ${facts.cpu} · ${facts.cores} cores · ${facts.platform} · ${facts.date}`,
    "",
    line(header),
    ...rows.map(line),
    ...(notes.length === 0 ? [] : ["", ...notes])
  ].join("\n")
}

/** Writes `bench/results/<name>.json` (`<name>.smoke.json` for a smoke run, so it never replaces real figures). */
export const writeResult = async (
  benchmark: Benchmark,
  comparison: Comparison,
  facts: Machine,
  smoke: boolean
): Promise<string> => {
  const directory = new URL("../results/", import.meta.url)
  const file = new URL(`${benchmark.name}${smoke ? ".smoke" : ""}.json`, directory)
  const result = {
    benchmark: benchmark.name,
    title: benchmark.title,
    unit: benchmark.unit,
    perRoundUnit: benchmark.perRoundUnit,
    machine: facts,
    ...comparison
  }
  await mkdir(directory, { recursive: true })
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`)
  return file.pathname
}
