/** The fleet walkthrough's closing table, and the percentiles it quotes. */
import { count } from "./progress.js"

/** The `p`-th percentile (0–100) of `values`, nearest rank; `NaN` for none. */
export const percentile = (values: ReadonlyArray<number>, p: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/** Milliseconds, to a precision that reads well from microseconds to seconds. */
export const millis = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`)

const latency = (values: ReadonlyArray<number>, what: string) =>
  `p50 ${millis(percentile(values, 50))}, p99 ${millis(percentile(values, 99))} over ${count(values.length)} ${what}`

/** What the walkthrough measured. */
export interface Facts {
  readonly cars: number
  readonly readsServed: number
  readonly renewalsNeeded: number
  readonly refreshAnswered: number
  readonly refreshRefused: number
  readonly recovered: number
  readonly dead: ReadonlyArray<{ readonly grantId: string; readonly reason: string }>
  readonly pendingApproved: boolean
  readonly lost: number
  readonly revokedByReuse: number
  readonly latencies: ReadonlyArray<number>
  readonly fromMemory: ReadonlyArray<number>
  readonly seconds: number
}

/** The table, one fact a row, each with the words that say what it means. */
export const table = (facts: Facts): ReadonlyArray<string> => {
  const reasons = new Map<string, number>()
  for (const { reason } of facts.dead) reasons.set(reason, (reasons.get(reason) ?? 0) + 1)
  const rows: ReadonlyArray<readonly [string, string]> = [
    ["cars onboarded", count(facts.cars)],
    ["vehicle-info reads served", `${count(facts.readsServed)}, each with a valid token`],
    ["renewals needed", `${count(facts.renewalsNeeded)} (every live grant, once per expiry cycle)`],
    [
      "refresh requests",
      `${count(facts.refreshAnswered + facts.refreshRefused)}: ${count(facts.refreshAnswered)} answered, ${count(facts.refreshRefused)} refused`
    ],
    [
      "  beyond the renewals",
      `${count(facts.refreshAnswered - facts.renewalsNeeded)} (answers lost in the crash, retried)`
    ],
    ["leases taken over", `${count(facts.recovered)} (held by the killed node, refreshed by the new one)`],
    [
      "dead grants",
      facts.dead.length === 0
        ? "none"
        : [...reasons].map(([reason, n]) => `${reason} ${count(n)}`).join(", ") +
          ` (${facts.dead.map((d) => d.grantId).join(", ")})`
    ],
    ["pending consent", facts.pendingApproved ? "approved, then active" : "NOT approved"],
    ["tokens lost in the crash", count(facts.lost)],
    ["families revoked by reuse", count(facts.revokedByReuse)],
    ["accessToken, token expired", latency(facts.latencies, "calls, each waiting for its grant's one refresh")],
    ["accessToken, from memory", latency(facts.fromMemory, "calls")],
    ["wall time", `${facts.seconds.toFixed(1)} s`]
  ]
  const width = Math.max(...rows.map(([label]) => label.length))
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)
}
