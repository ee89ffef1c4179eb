/**
 * Property-based checks: a check draws its inputs with fast-check from the run's seed, sends each case to the
 * server, and on a failure fast-check shrinks the input to a smallest one that still breaks the invariant. The
 * failure reported is that smallest case's, with its own exchanges (they are cleared before each case).
 */
import { Cause, Effect, Exit, FastCheck as fc, Option, Runtime } from "effect"
import type { Context, RunError } from "./check.js"
import { CheckFailure } from "./check.js"

/**
 * Runs `predicate` on `context.sizes.runs` inputs drawn from `arbitrary`, seeded by `context.sizes.seed`. A driver
 * error stops the property at once (no shrinking: the server showed nothing) and is the check's error.
 */
export const property = <A>(
  context: Context,
  arbitrary: fc.Arbitrary<A>,
  predicate: (input: A) => Effect.Effect<void, RunError>
): Effect.Effect<void, RunError> =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const runCase = Runtime.runPromiseExit(runtime)
    let broken: CheckFailure | undefined
    let stopped: RunError | undefined
    const details = yield* Effect.promise(() =>
      fc.check(
        fc.asyncProperty(arbitrary, async (input) => {
          if (stopped !== undefined) return true
          const exit = await runCase(Effect.zipRight(context.clearExchanges, predicate(input)))
          if (Exit.isSuccess(exit)) return true
          const failure = Cause.failureOption(exit.cause)
          if (Option.isNone(failure)) {
            broken = undefined
            throw new Error(Cause.pretty(exit.cause))
          }
          if (failure.value._tag !== "CheckFailure") {
            stopped = failure.value
            return true
          }
          broken = failure.value
          return false
        }),
        { seed: context.sizes.seed, numRuns: context.sizes.runs }
      )
    )
    if (stopped !== undefined) return yield* Effect.fail(stopped)
    if (!details.failed) return
    if (broken === undefined) {
      return yield* Effect.dieMessage(`the property threw: ${String(details.errorInstance)}`)
    }
    return yield* Effect.fail(
      new CheckFailure({
        message: broken.message,
        counterexample: details.counterexample?.[0],
        exchanges: broken.exchanges,
        seed: details.seed,
        path: details.counterexamplePath ?? undefined
      })
    )
  })

/**
 * One of several named variants, e.g. ways of getting a value almost right: a counterexample shows the variant's
 * name (a function would print as nothing).
 */
export const variant = <F>(
  variants: Readonly<Record<string, F>>
): fc.Arbitrary<{ readonly name: string; readonly apply: F }> =>
  fc.constantFrom(...Object.entries(variants).map(([name, apply]) => ({ name, apply })))
