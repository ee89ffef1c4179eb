/**
 * The catalogue as a Vitest suite: one test per check, against one driver built once for the suite (it registers
 * its clients once). A check the driver cannot serve is reported as skipped, with the reason in the test's note; a
 * failure throws the report's full text of it (counterexample, exchanges, replay line). The suite's name carries
 * the seed, so a failing CI run can be replayed with `seed`.
 */
import { Effect, FastCheck as fc, type Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, it } from "vitest"
import { catalogue } from "./catalogue.js"
import type { Check } from "./check.js"
import type { Driver, DriverError } from "./driver.js"
import { failureText } from "./report.js"
import { defaultRuns, guard, type Options, runCheck, selects } from "./runner.js"

/** How the suite runs: the run's options, the catalogue (default the whole one), and each test's time limit. */
export interface SuiteOptions extends Omit<Options, "onResult"> {
  readonly catalogue?: ReadonlyArray<Check> | undefined
  /** Milliseconds per check; default 60 seconds. */
  readonly timeout?: number | undefined
}

/** Registers one test per check of the catalogue, in a `describe` block named `name`, against `driver` over `layer`. */
export const suite = <R, E>(
  name: string,
  layer: Layer.Layer<R, E>,
  driver: Effect.Effect<Driver, DriverError | E, R>,
  options: SuiteOptions = {}
): void => {
  const seed = options.seed ?? fc.readConfigureGlobal().seed ?? Math.floor(Math.random() * 2 ** 31)
  const runs = options.runs ?? defaultRuns
  describe(`${name} (seed ${seed})`, () => {
    const runtime = ManagedRuntime.make(layer)
    let built: Driver | undefined
    beforeAll(async () => {
      built = await runtime.runPromise(Effect.flatMap(driver, (made) => guard(made, options.rate)))
    }, options.timeout ?? 60_000)
    afterAll(() => runtime.dispose())
    for (const check of (options.catalogue ?? catalogue).filter((candidate) => selects(options.only, candidate))) {
      it(
        `${check.id} [${check.level}]: ${check.title}`,
        async (test) => {
          if (built === undefined) throw new Error("the driver was not built")
          const result = await runtime.runPromise(runCheck(check, built, seed, runs))
          switch (result.outcome._tag) {
            case "Passed":
              return
            case "Skipped":
              return test.skip(result.outcome.reason)
            case "Errored":
              throw new Error(`${check.id}: ${result.outcome.problem}`)
            case "Failed":
              throw new Error(failureText(seed, result))
          }
        },
        options.timeout ?? 60_000
      )
    }
  })
}
