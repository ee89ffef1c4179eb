/**
 * A conformance check: one invariant of the API, named, referenced and levelled, and an effect that tries to break
 * it against a server through a driver. A check fails with `CheckFailure`, which carries the counterexample (the
 * shrunk input of a property, or the scenario) and the exchanges that showed the break, secrets replaced by labels.
 */
import { Data, Effect } from "effect"
import type { Driver, DriverError, Unavailable } from "./driver.js"
import type { Answer, Exchange, Request } from "./exchange.js"

/**
 * How binding the invariant is: "MUST" (RFC 2119, or the spec), "SHOULD" (a recommendation a server may skip for a
 * reason), "HM quirk" (what High Mobility does where it departs from, or fills a gap of, the RFCs).
 */
export type Level = "MUST" | "SHOULD" | "HM quirk"

/** The part of the API a check is about; the catalogue keeps one file per area. */
export type Area =
  | "codeGrant"
  | "refresh"
  | "revocation"
  | "clientAuthentication"
  | "vehicleInfo"
  | "wire"
  | "modelBased"

/**
 * What a check needs from the driver beyond the token endpoint and a confidential client. A check whose needs the
 * driver cannot meet is skipped, and listed as skipped with the missing need.
 * - `consent`: fresh authorization codes on request;
 * - `clock`: moving the server's time (without it, checks waiting for an expiry are skipped);
 * - `pendingConsent`: consents that stay pending until approved (BMW and MINI);
 * - `withdrawConsent`: withdrawing a consent as the owner would;
 * - `secondClient`, `publicClient`, `serviceAccount`, `expiredServiceAccountKey`: those clients;
 * - `fakeControl`: the project's own fake, reset and configured as the oracle model is.
 */
export type Need =
  | "consent"
  | "clock"
  | "pendingConsent"
  | "withdrawConsent"
  | "secondClient"
  | "publicClient"
  | "serviceAccount"
  | "expiredServiceAccountKey"
  | "fakeControl"

/** How much a run draws: cases per property and its seed (printed, and replayed with `--seed`). */
export interface Sizes {
  readonly seed: number
  readonly runs: number
}

/** What a check's run is handed: the driver (its client bounded to the base URL), the sizes, and the wire. */
export interface Context {
  readonly driver: Driver
  readonly sizes: Sizes
  /** Sends a request to the base URL and records the exchange (see `exchange.ts`). */
  readonly send: (request: Request) => Effect.Effect<Answer, DriverError>
  /** The exchanges since the check (or the current property case) began, secrets replaced by labels. */
  readonly exchanges: Effect.Effect<ReadonlyArray<Exchange>>
  /** Forgets the exchanges recorded so far: a property does so before each case, so a failure shows its own. */
  readonly clearExchanges: Effect.Effect<void>
}

/**
 * The invariant was broken: what broke (`message`), the input or scenario that broke it (`counterexample`, as
 * plain data), the exchanges that showed it, and, for a property, the seed and path that replay the shrunk case.
 */
export class CheckFailure extends Data.TaggedError("CheckFailure")<{
  readonly message: string
  readonly counterexample?: unknown
  readonly exchanges: ReadonlyArray<Exchange>
  readonly seed?: number | undefined
  readonly path?: string | undefined
}> {}

/** The errors a check's run may end with: a broken invariant, the driver failing, or a need found unmet late. */
export type RunError = CheckFailure | DriverError | Unavailable

/** One named check of the catalogue. */
export interface Check {
  /** Stable and unique, `area/what`: `code-grant/single-use`; what `--only` selects. */
  readonly id: string
  readonly area: Area
  /** The invariant, stated: "an authorization code is redeemed at most once". */
  readonly title: string
  /** Where it comes from: "RFC 6749 §4.1.2", "hm-oauth-rest-v1.yml L94-109". */
  readonly reference: string
  readonly level: Level
  readonly needs: ReadonlyArray<Need>
  readonly run: (context: Context) => Effect.Effect<void, RunError>
}

/** A check, its fields as given: a constructor so the catalogue reads as a list of declarations. */
export const make = (check: Check): Check => check

/** Fails the check with `message`, showing the exchanges of the run so far and the scenario that broke it. */
export const fail = (context: Context, message: string, counterexample?: unknown): Effect.Effect<never, CheckFailure> =>
  Effect.flatMap(context.exchanges, (exchanges) =>
    Effect.fail(
      new CheckFailure(counterexample === undefined ? { message, exchanges } : { message, counterexample, exchanges })
    )
  )

/** Fails with `message` unless `holds`. */
export const expect = (
  context: Context,
  holds: boolean,
  message: string,
  counterexample?: unknown
): Effect.Effect<void, CheckFailure> => (holds ? Effect.void : fail(context, message, counterexample))
