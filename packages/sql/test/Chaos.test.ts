/**
 * Multi-process chaos (support/chaos.ts): node processes, each a TokenManager over one store — PostgreSQL, or one
 * SQLite file — against the served fake with rotation and reuse detection on (reuse grace 0), through several expiry
 * cycles, while processes are killed with SIGKILL at seeded moments, some in the middle of a refresh, and restarted.
 *
 * CI-sized by default; `HM_OAUTH_CHAOS_SCALE=full` runs 1,000 grants through more cycles and kills. The seed is
 * printed; `HM_OAUTH_CHAOS_SEED=N` replays its kill plan (the processes' scheduling is the machine's).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { type ChaosReport, run, scaleFromEnv, seedFromEnv } from "./support/chaos.js"
import { dialects } from "./support/dialects.js"

const scale = scaleFromEnv()
const seed = seedFromEnv()

const print = (report: ChaosReport) => {
  const kinds = (kind: string) => report.kills.filter((kill) => kill.kind === kind).length
  const lines = [
    `chaos on ${report.dialect}: ${report.scale.nodes} processes, ${report.scale.grants} grants, ${report.scale.cycles} expiry cycles, seed ${report.seed} (HM_OAUTH_CHAOS_SEED=${report.seed} HM_OAUTH_CHAOS_SCALE=${report.scale.name}), ${report.seconds.toFixed(1)} s`,
    `  kills (SIGKILL, then restart): ${report.kills.length}: ${kinds("answer")} between the server's answer and the commit, ${kinds("request")} with a refresh about to leave, ${kinds("moment")} at a random moment; lease-time clock steps: ${report.leaseSteps}`,
    `  refresh requests at the fake: ${report.refreshRequests} (${report.refreshesAnswered} answered, ${report.refreshesRefused} refused) vs renewals needed: ${report.renewalsNeeded}`,
    `  families revoked by reuse: ${report.familiesRevokedByReuse.length}; RotationLost: ${report.rotationLost.length}; rotations the history shows lost: ${report.lostRotations.length}`,
    `  grants lost: ${report.grantsLost.length}; other deaths: ${report.otherDeaths.length}; leases lost: ${report.leaseLost}; refresh answers lost without a kill: ${report.answersLost.length}`,
    `  tokens handed out: ${report.handouts} (${report.handoutsAcrossMoves} across a clock move); expired or revoked: ${report.badHandouts.length}; old tokens of RotationLost grants in the crash window: ${report.crashWindowHandouts}`
  ]
  console.log(lines.join("\n"))
}

describe("chaos: SIGKILLed processes over one store", () => {
  for (const dialect of dialects) {
    it.live(
      `${dialect.name}: no grant lost, no reuse but of answers a kill lost (RotationLost, as the history shows), no expired or revoked token handed out`,
      () =>
        Effect.gen(function* () {
          const report = yield* run(dialect, scale, seed)
          print(report)
          // an answer lost in flight: to a kill, or to a connection lost under a live node (the same window)
          const lostInFlight = new Set([...report.kills.flatMap((kill) => kill.inFlight), ...report.answersLost])
          expect(report.grantsLost).toEqual([])
          expect(report.otherDeaths).toEqual([])
          expect(report.badHandouts).toEqual([])
          expect(report.leaseLost).toBe(0)
          // reuse only where an answer was lost in flight, each reported RotationLost, exactly as the history shows
          expect(report.familiesRevokedByReuse).toEqual(report.rotationLost)
          expect(report.lostRotations).toEqual(report.rotationLost)
          expect(report.rotationLost.filter((grantId) => !lostInFlight.has(grantId))).toEqual([])
          const heldAnswers = report.kills.flatMap((kill) => (kill.kind === "answer" ? [kill.stalled!] : []))
          expect(heldAnswers.filter((grantId) => !report.rotationLost.includes(grantId))).toEqual([])
          // a refresh killed before it left is retried by the next holder, and the grant lives
          const heldRequests = report.kills.flatMap((kill) => (kill.kind === "request" ? [kill.stalled!] : []))
          expect(heldRequests.filter((grantId) => report.rotationLost.includes(grantId))).toEqual([])
          // one refresh per renewal needed; a lost answer costs one refused retry
          expect(report.refreshesAnswered).toBe(report.renewalsNeeded)
          expect(report.refreshesRefused).toBe(report.rotationLost.length)
          expect(report.refreshRequests).toBe(report.renewalsNeeded + report.rotationLost.length)
          // the run did what it claims: kills in both windows of a refresh
          expect(heldAnswers.length).toBeGreaterThan(0)
          expect(heldRequests.length).toBeGreaterThan(0)
        }),
      scale.name === "full" ? 600_000 : 120_000
    )
  }
})
