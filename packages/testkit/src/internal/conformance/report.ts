/**
 * A run's report: one result per check, as data (the JSON written by `--json`), and as text for a terminal (a
 * table of id, level, result and time, then each failure with its counterexample, its exchanges and the seed that
 * replays it).
 */
import type { Area, Level } from "./check.js"
import type { Exchange } from "./exchange.js"

/** How one check ended. */
export type Outcome =
  | { readonly _tag: "Passed" }
  | {
      readonly _tag: "Failed"
      readonly message: string
      readonly counterexample?: unknown
      readonly exchanges: ReadonlyArray<Exchange>
      /** For a property: fast-check's seed and path, which replay the shrunk case alone. */
      readonly seed?: number | undefined
      readonly path?: string | undefined
    }
  | { readonly _tag: "Skipped"; readonly reason: string }
  /** The driver failed (a consent, the clock, the network): the server was not shown to break anything. */
  | { readonly _tag: "Errored"; readonly problem: string }

/** One check's result. */
export interface Result {
  readonly id: string
  readonly area: Area
  readonly title: string
  readonly reference: string
  readonly level: Level
  readonly outcome: Outcome
  readonly millis: number
}

/** A whole run. */
export interface Report {
  /** The run's seed: `--seed` with it replays every check's generated input. */
  readonly seed: number
  readonly runs: number
  readonly baseUrl: string
  readonly results: ReadonlyArray<Result>
  /** Every MUST check that ran passed. */
  readonly ok: boolean
}

const word: Record<Outcome["_tag"], string> = { Passed: "pass", Failed: "FAIL", Skipped: "skip", Errored: "error" }

const pad = (text: string, width: number) => text + " ".repeat(Math.max(0, width - text.length))

const seconds = (millis: number) => `${(millis / 1000).toFixed(2)} s`

/** The table's line for one result, in columns as wide as `widths`. */
const line = (result: Result, idWidth: number) =>
  `${pad(result.id, idWidth)}  ${pad(result.level, 8)}  ${pad(word[result.outcome._tag], 5)}  ${seconds(result.millis)}` +
  (result.outcome._tag === "Skipped"
    ? `  (${result.outcome.reason})`
    : result.outcome._tag === "Errored"
      ? `  (${result.outcome.problem})`
      : "")

const indent = (text: string, by: string) =>
  text
    .split("\n")
    .map((part) => `${by}${part}`)
    .join("\n")

// what the connection adds, the same in every answer: left out of the text (the JSON keeps it)
const transportHeaders = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"])

const headersText = (headers: Readonly<Record<string, string>> | undefined) =>
  Object.entries(headers ?? {})
    .filter(([name]) => !transportHeaders.has(name.toLowerCase()))
    .map(([name, value]) => `${name}: ${value}\n`)
    .join("")

/** An exchange as a reader of HTTP expects it: request line, headers, body; then the status line. */
export const exchangeText = (exchange: Exchange): string =>
  `${exchange.request.method} ${exchange.request.path}\n${headersText(exchange.request.headers)}` +
  (exchange.request.body ? `\n${exchange.request.body}\n` : "") +
  `→ ${exchange.answer.status}\n${headersText(exchange.answer.headers)}` +
  (exchange.answer.body ? `\n${exchange.answer.body}\n` : "")

/** One failure in full: the invariant, what broke it, the counterexample, the exchanges and how to replay it. */
export const failureText = (seed: number, result: Result): string => {
  if (result.outcome._tag !== "Failed") return ""
  const failure = result.outcome
  const parts = [
    `✗ ${result.id} [${result.level}] ${result.title} (${result.reference})`,
    indent(failure.message, "  "),
    ...(failure.counterexample === undefined
      ? []
      : [`  counterexample: ${JSON.stringify(failure.counterexample, null, 2).split("\n").join("\n  ")}`]),
    ...failure.exchanges.map(
      (exchange, i) => `  exchange ${i + 1}:\n${indent(exchangeText(exchange).trimEnd(), "    ")}`
    ),
    `  replay: --seed ${seed} --only ${result.id}`
  ]
  return parts.join("\n")
}

/** The report as text: the table, a summary line, then every failure in full. */
export const text = (report: Report): string => {
  const idWidth = Math.max(5, ...report.results.map((result) => result.id.length))
  const count = (tag: Outcome["_tag"]) => report.results.filter((result) => result.outcome._tag === tag).length
  const header = `${pad("check", idWidth)}  ${pad("level", 8)}  ${pad("result", 5)}  time`
  const failures = report.results.filter((result) => result.outcome._tag === "Failed")
  return [
    header,
    ...report.results.map((result) => line(result, idWidth)),
    "",
    `${count("Passed")} passed, ${count("Failed")} failed, ${count("Skipped")} skipped, ${count("Errored")} errors ` +
      `against ${report.baseUrl}; seed ${report.seed}, ${report.runs} cases per property; ` +
      (report.ok ? "every MUST held" : "a MUST was broken"),
    ...failures.flatMap((result) => ["", failureText(report.seed, result)])
  ].join("\n")
}

/** The report as JSON text, for `--json`. */
export const json = (report: Report): string => `${JSON.stringify(report, null, 2)}\n`
