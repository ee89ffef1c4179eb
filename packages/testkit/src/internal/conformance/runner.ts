/**
 * Runs a catalogue against one driver, one check after another (a check may move the server's clock, which every
 * other check would see), and gathers a report. A check whose needs the driver cannot meet is skipped with the
 * missing need named; a check that ends with the driver failing is an error, not a failure of the server.
 */
import { Clock, Effect, Random, type Redacted, Ref } from "effect"
import type { Check, Context, Need } from "./check.js"
import type { Driver } from "./driver.js"
import { bounded, type Recorder, recorder, send } from "./exchange.js"
import type { Outcome, Report, Result } from "./report.js"

/** How a run goes: its seed (random unless given), cases per property, which checks, and a request rate. */
export interface Options {
  /** Seeds every check's generated input; the report prints it, and the same seed replays the run. */
  readonly seed?: number | undefined
  /** Cases per property (default 20). */
  readonly runs?: number | undefined
  /** Ids of the checks to run (default all); an id ending in `/` selects an area's prefix. */
  readonly only?: ReadonlyArray<string> | undefined
  /** At most this many requests a second (default unbounded). */
  readonly rate?: number | undefined
  /** Called with each result as it is known, e.g. to print a line. */
  readonly onResult?: ((result: Result) => Effect.Effect<void>) | undefined
}

/** Cases per property unless told otherwise: what runs the whole catalogue against the served fake in seconds. */
export const defaultRuns = 20

/** Whether the driver can do what `need` asks. */
const meets = (driver: Driver, need: Need): boolean => {
  switch (need) {
    case "consent":
      return driver.consent !== undefined
    case "clock":
      return driver.clock !== undefined
    case "pendingConsent":
      return driver.consent?.pending === true && driver.consent.approve !== undefined
    case "withdrawConsent":
      return driver.consent?.withdraw !== undefined
    case "secondClient":
      return driver.clients.second !== undefined
    case "publicClient":
      return driver.clients.public !== undefined
    case "serviceAccount":
      return driver.clients.serviceAccount !== undefined
    case "expiredServiceAccountKey":
      return driver.clients.serviceAccount?.expiredKey !== undefined
    case "fakeControl":
      return driver.fake !== undefined
  }
}

const missing: Record<Need, string> = {
  consent: "a way to obtain codes",
  clock: "a clock the kit can move (real time: the wait would be too long)",
  pendingConsent: "pending consents and a way to approve them",
  withdrawConsent: "a way to withdraw a consent",
  secondClient: "a second confidential client",
  publicClient: "a public (PKCE) client",
  serviceAccount: "a service-account key",
  expiredServiceAccountKey: "an expired service-account key",
  fakeControl: "the project's own fake (its control API)"
}

/** A 32-bit seed for one check, from the run's seed and the check's id: `--only` replays what the full run drew. */
export const checkSeed = (seed: number, id: string): number => {
  let hash = seed | 0
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193)
  return hash | 0
}

/** Whether `check` is among those `only` selects. */
export const selects = (only: ReadonlyArray<string> | undefined, check: Check): boolean =>
  only === undefined ||
  only.length === 0 ||
  only.some((id) => (id.endsWith("/") ? check.id.startsWith(id) : check.id === id))

/** The secrets the driver holds, so the report labels them from the first exchange on. */
const driverSecrets = (driver: Driver): ReadonlyArray<readonly [string, Redacted.Redacted<string>]> => [
  ["client_secret", driver.clients.confidential.secret],
  ...(driver.clients.second === undefined ? [] : [["client_secret", driver.clients.second.secret] as const])
]

const context = (driver: Driver, seed: number, runs: number, kept: Recorder): Context => ({
  driver,
  sizes: { seed, runs },
  send: (request) => send(driver.http, driver.baseUrl, kept, request),
  exchanges: Ref.get(kept.exchanges),
  clearExchanges: kept.clear
})

const outcomeOf = (driver: Driver, check: Check, seed: number, runs: number): Effect.Effect<Outcome> => {
  const unmet = check.needs.filter((need) => !meets(driver, need))
  if (unmet.length > 0) {
    return Effect.succeed({ _tag: "Skipped", reason: `needs ${unmet.map((need) => missing[need]).join(", ")}` })
  }
  return Effect.flatMap(recorder(driverSecrets(driver)), (kept) =>
    check.run(context(driver, seed, runs, kept)).pipe(
      Effect.as<Outcome>({ _tag: "Passed" }),
      Effect.catchTags({
        CheckFailure: (failure) =>
          Effect.succeed<Outcome>({
            _tag: "Failed",
            message: failure.message,
            counterexample: failure.counterexample,
            exchanges: failure.exchanges,
            seed: failure.seed,
            path: failure.path
          }),
        DriverError: (error) => Effect.succeed<Outcome>({ _tag: "Errored", problem: error.message }),
        Unavailable: (unavailable) => Effect.succeed<Outcome>({ _tag: "Skipped", reason: unavailable.reason })
      }),
      Effect.catchAllDefect((defect) =>
        Effect.succeed<Outcome>({ _tag: "Errored", problem: `the check itself failed: ${String(defect)}` })
      )
    )
  )
}

/** Runs one check against `driver` (its client already bounded) with the run's seed, and times it. */
export const runCheck = (check: Check, driver: Driver, seed: number, runs: number): Effect.Effect<Result> =>
  Effect.gen(function* () {
    const started = yield* Clock.currentTimeMillis
    const outcome = yield* outcomeOf(driver, check, checkSeed(seed, check.id), runs)
    return {
      id: check.id,
      area: check.area,
      title: check.title,
      reference: check.reference,
      level: check.level,
      outcome,
      millis: (yield* Clock.currentTimeMillis) - started
    }
  })

/** The run's seed: the one given, or a fresh one to print. */
export const seedOf = (options: Options): Effect.Effect<number> =>
  options.seed === undefined ? Random.nextIntBetween(0, 2 ** 31 - 1) : Effect.succeed(options.seed)

/** `driver` with its client bounded to its base URL and `rate`. */
export const guard = (driver: Driver, rate: number | undefined): Effect.Effect<Driver> =>
  Effect.map(bounded(driver.http, driver.baseUrl, rate), (http) => ({ ...driver, http }))

/**
 * One turn of the event loop. A check against the fake in memory never waits on I/O, so a catalogue would hold the
 * loop for its whole run; a server or a test runner in the same process needs turns between checks.
 */
const breathe = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** Runs the checks of `catalogue` that `options.only` selects against `driver`, one at a time. */
export const run = (catalogue: ReadonlyArray<Check>, driver: Driver, options: Options = {}): Effect.Effect<Report> =>
  Effect.gen(function* () {
    const seed = yield* seedOf(options)
    const runs = options.runs ?? defaultRuns
    const guarded = yield* guard(driver, options.rate)
    const results: Array<Result> = []
    for (const check of catalogue.filter((candidate) => selects(options.only, candidate))) {
      yield* breathe
      const result = yield* runCheck(check, guarded, seed, runs)
      results.push(result)
      if (options.onResult !== undefined) yield* options.onResult(result)
    }
    return { seed, runs, baseUrl: driver.baseUrl, results, ok: mustsHeld(results) }
  })

/** Whether every MUST check that ran passed: what the CLI's exit code says. */
export const mustsHeld = (results: ReadonlyArray<Result>): boolean =>
  results.every(
    (result) => result.level !== "MUST" || result.outcome._tag === "Passed" || result.outcome._tag === "Skipped"
  )
