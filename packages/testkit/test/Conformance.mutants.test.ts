/**
 * Proof that the conformance kit finds bugs: the model-based check passes against the faithful fake (in memory and
 * served) and catches every mutant of `support/mutants.ts`, a server breaking one rule. The whole matrix, every
 * mutant against the whole catalogue with a table and a score, runs with HM_OAUTH_CONFORMANCE_MATRIX=1
 * (`npm run conformance:matrix`); the test run keeps the model-based check alone against each mutant, in memory.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Conformance from "../src/Conformance.js"
import * as FakeHttpServer from "../src/FakeHttpServer.js"
import * as FakeServer from "../src/FakeServer.js"
import { modelBased } from "../src/internal/conformance/modelBased.js"
import type * as Model from "../src/Model.js"
import { broken } from "./conformance/policies.js"
import { type Mutant, mutants } from "./support/mutants.js"

/** The catalogue's default size: what "caught at default sizes" means. */
const runs = 20
const seed = 20261202

const quick = [
  "code-replay-keeps-tokens",
  "expired-code-accepted",
  "redirect-uri-unchecked",
  "no-rotation",
  "reuse-keeps-family",
  "superseded-token-refreshes",
  "unknown-token-revocation-refused",
  "expired-access-token-accepted",
  "stale-assertion-accepted",
  "no-store-missing"
]

/** Runs `catalogue` against a fresh in-memory fake answering through `step`. */
const against = (catalogue: ReadonlyArray<Conformance.Check>, step?: typeof Model.step) =>
  Effect.gen(function* () {
    const driver = yield* Conformance.inMemoryFake(yield* FakeServer.FakeServer, yield* HttpClient.HttpClient)
    return yield* Conformance.run(catalogue, driver, { seed, runs })
  }).pipe(Effect.provide(FakeServer.layer(step === undefined ? {} : { step })))

describe("the model-based check", () => {
  it.effect("passes against the faithful fake in memory", () =>
    Effect.gen(function* () {
      const report = yield* against([modelBased])
      expect(broken(report.results), Conformance.text(report)).toEqual([])
    })
  )

  it.live(
    "passes against the faithful fake served over HTTP",
    () =>
      Effect.gen(function* () {
        const driver = yield* Conformance.servedFake(yield* FakeHttpServer.baseUrl, yield* HttpClient.HttpClient)
        const report = yield* Conformance.run([modelBased], driver, { seed, runs: 5 })
        expect(broken(report.results), Conformance.text(report)).toEqual([])
      }).pipe(Effect.provide(Layer.merge(FakeHttpServer.layer(), NodeHttpClient.layerUndici))),
    60_000
  )

  it.effect("reports a divergence with its shrunk sequence, both answers, and the seed and path that replay it", () =>
    Effect.gen(function* () {
      const noStore = mutants.find((mutant) => mutant.name === "no-store-missing")!
      const report = yield* against([modelBased], noStore.step)
      const outcome = report.results[0]!.outcome
      if (outcome._tag !== "Failed") return expect.fail(Conformance.text(report))
      expect(outcome.message).toMatch(/the server answered .* the model .*"cache-control":"no-store"/)
      // shrunk to the login whose answer lacks the header, and at most one command beside it
      expect(outcome.counterexample).toContainEqual(expect.objectContaining({ op: "login" }))
      expect(outcome.counterexample).toHaveLength(2)
      expect(outcome.exchanges.length).toBeGreaterThan(0)
      expect(outcome.seed).toBeTypeOf("number")
      expect(outcome.path).toBeTypeOf("string")
    })
  )

  // the test run's share of the matrix: the mutants this check catches in a second or so; the rest it catches too,
  // but shrinking a long sequence takes longer (`npm run conformance:matrix` runs them all)
  describe("catches mutants at the catalogue's default size", () => {
    for (const mutant of mutants.filter((candidate) => quick.includes(candidate.name))) {
      it.effect(
        `${mutant.name}: ${mutant.breaks}`,
        () =>
          Effect.gen(function* () {
            const report = yield* against([modelBased], mutant.step)
            expect(broken(report.results), Conformance.text(report)).toEqual([modelBased.id])
          }),
        30_000
      )
    }
  })
})

// ---------------------------------------------------------------------------------------------------------
// The whole matrix: every mutant against the whole catalogue, every check against the faithful fake
// ---------------------------------------------------------------------------------------------------------

interface Row {
  readonly mutant: Mutant
  readonly caughtBy: ReadonlyArray<string>
  readonly millis: number
}

const table = (rows: ReadonlyArray<Row>, faithful: ReadonlyArray<string>, total: number): string => {
  const caught = rows.filter((row) => row.caughtBy.length > 0).length
  const lines = rows.map(
    (row) =>
      `| ${row.mutant.name} | ${row.mutant.breaks} | ${row.caughtBy.length === 0 ? "**not caught**" : row.caughtBy.join(", ")} | ${(row.millis / 1000).toFixed(1)} s |`
  )
  return [
    "| mutant | rule broken | caught by | time |",
    "| --- | --- | --- | --- |",
    ...lines,
    "",
    `score: ${caught}/${rows.length} mutants caught; ${Conformance.catalogue.length} checks, ${runs} cases a property, seed ${seed}; ` +
      `total ${(total / 1000).toFixed(1)} s`,
    `faithful fake: ${faithful.length === 0 ? "every check passes" : `broken ${faithful.join(", ")}`}`
  ].join("\n")
}

describe.runIf(process.env.HM_OAUTH_CONFORMANCE_MATRIX === "1")("the whole matrix", () => {
  it.effect(
    "every mutant is caught by the catalogue, and the faithful fake passes it",
    () =>
      Effect.gen(function* () {
        const started = Date.now()
        const faithful = broken((yield* against(Conformance.catalogue)).results)
        console.log(
          `faithful fake: ${faithful.join(", ") || "every check passes"} (${((Date.now() - started) / 1000).toFixed(1)} s)`
        )
        const rows: Array<Row> = []
        for (const mutant of mutants) {
          const begun = Date.now()
          const report = yield* against(Conformance.catalogue, mutant.step)
          const row = { mutant, caughtBy: broken(report.results), millis: Date.now() - begun }
          rows.push(row)
          // each row as it is known: a long matrix shows its progress
          console.log(
            `${mutant.name}: ${row.caughtBy.join(", ") || "not caught"} (${(row.millis / 1000).toFixed(1)} s)`
          )
        }
        const printed = table(rows, faithful, Date.now() - started)
        console.log(printed)
        expect(faithful).toEqual([])
        expect(
          rows.filter((row) => row.caughtBy.length === 0).map((row) => row.mutant.name),
          printed
        ).toEqual([])
      }),
    1_800_000
  )
})
