/**
 * The conformance kit: the API's invariants as a catalogue of named checks, run against any server of this API
 * (the project's fake in memory or over HTTP, your own server, High Mobility's sandbox) through a driver that says
 * how to consent, how to move time and which clients to act as. Checks draw their inputs with fast-check from a
 * printed seed, shrink a failure to a smallest counterexample, and report it with its exchanges, secrets replaced
 * by labels.
 *
 * ```ts
 * const report = yield* Conformance.run(Conformance.catalogue, driver, { seed: 42 })
 * console.log(Conformance.text(report))
 * ```
 *
 * A module of its own, outside the package index, as `TokenStoreContract` is: `suite` imports `vitest` (an
 * optional peer dependency), which only a test run has.
 *
 * @since 0.2.0
 */

import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import type * as HttpClient from "@effect/platform/HttpClient"
import type { Effect, Layer } from "effect"
import type { FakeServer } from "./FakeServer.js"
import * as catalogue_ from "./internal/conformance/catalogue.js"
import * as check_ from "./internal/conformance/check.js"
import * as config from "./internal/conformance/config.js"
import * as driver_ from "./internal/conformance/driver.js"
import type * as exchange from "./internal/conformance/exchange.js"
import * as fake from "./internal/conformance/fake.js"
import * as property_ from "./internal/conformance/property.js"
import * as report_ from "./internal/conformance/report.js"
import * as runner from "./internal/conformance/runner.js"
import * as vitest from "./internal/conformance/vitest.js"

/**
 * Every check of the kit, area by area: code grant, refresh, revocation, client authentication, vehicle info, wire.
 *
 * @since 0.2.0
 * @category catalogue
 */
export const catalogue: ReadonlyArray<Check> = catalogue_.catalogue

/**
 * How binding a check is: "MUST", "SHOULD" or "HM quirk".
 *
 * @since 0.2.0
 * @category models
 */
export type Level = check_.Level

/**
 * The part of the API a check is about.
 *
 * @since 0.2.0
 * @category models
 */
export type Area = check_.Area

/**
 * What a check needs from the driver; unmet, the check is skipped.
 *
 * @since 0.2.0
 * @category models
 */
export type Need = check_.Need

/**
 * A named check: id, the invariant as its title, reference, level, needs and its run.
 *
 * @since 0.2.0
 * @category models
 */
export type Check = check_.Check

/**
 * What a check's run is handed.
 *
 * @since 0.2.0
 * @category models
 */
export type Context = check_.Context

/**
 * A broken invariant, with its counterexample and exchanges.
 *
 * @since 0.2.0
 * @category errors
 */
export const CheckFailure: typeof check_.CheckFailure = check_.CheckFailure

/**
 * A broken invariant, with its counterexample and exchanges.
 *
 * @since 0.2.0
 * @category errors
 */
export type CheckFailure = check_.CheckFailure

/**
 * Declares a check.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make: (check: Check) => Check = check_.make

/**
 * Fails the check with a message and, optionally, the scenario that broke it.
 *
 * @since 0.2.0
 * @category combinators
 */
export const fail: (context: Context, message: string, counterexample?: unknown) => Effect.Effect<never, CheckFailure> =
  check_.fail

/**
 * Fails the check with a message unless the condition holds.
 *
 * @since 0.2.0
 * @category combinators
 */
export const expect: (
  context: Context,
  holds: boolean,
  message: string,
  counterexample?: unknown
) => Effect.Effect<void, CheckFailure> = check_.expect

/**
 * A property over inputs drawn with fast-check from the run's seed, shrunk on failure.
 *
 * @since 0.2.0
 * @category combinators
 */
export const property: typeof property_.property = property_.property

/**
 * A request as the kit sends it, and an answer as received.
 *
 * @since 0.2.0
 * @category models
 */
export type Request = exchange.Request

/**
 * An answer as received.
 *
 * @since 0.2.0
 * @category models
 */
export type Answer = exchange.Answer

/**
 * One exchange as a report shows it, secrets replaced by labels.
 *
 * @since 0.2.0
 * @category models
 */
export type Exchange = exchange.Exchange

/**
 * How the kit reaches a server.
 *
 * @since 0.2.0
 * @category models
 */
export type Driver = driver_.Driver

/**
 * The driver's clients, consent, clock and fake control.
 *
 * @since 0.2.0
 * @category models
 */
export type Clients = driver_.Clients

/**
 * @since 0.2.0
 * @category models
 */
export type ConfidentialClient = driver_.ConfidentialClient

/**
 * @since 0.2.0
 * @category models
 */
export type PublicClient = driver_.PublicClient

/**
 * @since 0.2.0
 * @category models
 */
export type ServiceAccount = driver_.ServiceAccount

/**
 * @since 0.2.0
 * @category models
 */
export type ServiceAccountKey = driver_.ServiceAccountKey

/**
 * @since 0.2.0
 * @category models
 */
export type Consent = driver_.Consent

/**
 * @since 0.2.0
 * @category models
 */
export type ConsentRequest = driver_.ConsentRequest

/**
 * @since 0.2.0
 * @category models
 */
export type Clock = driver_.Clock

/**
 * @since 0.2.0
 * @category models
 */
export type FakeControl = driver_.FakeControl

/**
 * A driver operation failed.
 *
 * @since 0.2.0
 * @category errors
 */
export const DriverError: typeof driver_.DriverError = driver_.DriverError

/**
 * A driver operation failed.
 *
 * @since 0.2.0
 * @category errors
 */
export type DriverError = driver_.DriverError

/**
 * What a check needed turned out to be unavailable: it is skipped.
 *
 * @since 0.2.0
 * @category errors
 */
export const Unavailable: typeof driver_.Unavailable = driver_.Unavailable

/**
 * What a check needed turned out to be unavailable: it is skipped.
 *
 * @since 0.2.0
 * @category errors
 */
export type Unavailable = driver_.Unavailable

/**
 * How a run goes: seed, cases per property, which checks, request rate.
 *
 * @since 0.2.0
 * @category models
 */
export type Options = runner.Options

/**
 * A run's report, one result per check.
 *
 * @since 0.2.0
 * @category models
 */
export type Report = report_.Report

/**
 * One check's result.
 *
 * @since 0.2.0
 * @category models
 */
export type Result = report_.Result

/**
 * How one check ended.
 *
 * @since 0.2.0
 * @category models
 */
export type Outcome = report_.Outcome

/**
 * Runs a catalogue against a driver, one check after another, and returns the report.
 *
 * @since 0.2.0
 * @category runs
 */
export const run: (catalogue: ReadonlyArray<Check>, driver: Driver, options?: Options) => Effect.Effect<Report> =
  runner.run

/**
 * The report as text: the table, then each failure with its counterexample, exchanges and replay.
 *
 * @since 0.2.0
 * @category reports
 */
export const text: (report: Report) => string = report_.text

/**
 * The report as JSON.
 *
 * @since 0.2.0
 * @category reports
 */
export const json: (report: Report) => string = report_.json

/**
 * Options of the served fake's driver: the policy the fake was started with, which its HTTP API does not tell.
 *
 * @since 0.2.0
 * @category models
 */
export type FakeOptions = fake.FakeOptions

/**
 * A driver for the served fake at `baseUrl` (`hm-oauth-testkit serve`, `FakeHttpServer.layer`), through `http`,
 * which must not follow redirects. It registers clients and a car of its own through the control API.
 *
 * @since 0.2.0
 * @category drivers
 */
export const servedFake: (
  baseUrl: string,
  http: HttpClient.HttpClient,
  options?: FakeOptions
) => Effect.Effect<Driver, DriverError> = fake.served

/**
 * A driver for the fake in memory (`FakeServer.layer`): its service and the client wired to it at `baseUrl`. The
 * fake's policy is read from its state.
 *
 * @since 0.2.0
 * @category drivers
 */
export const inMemoryFake: (
  server: FakeServer["Type"],
  http: HttpClient.HttpClient,
  baseUrl?: string
) => Effect.Effect<Driver, DriverError> = fake.inMemory

/**
 * How a Vitest suite runs: the run's options, the catalogue (default the whole one), each test's time limit.
 *
 * @since 0.2.0
 * @category models
 */
export type SuiteOptions = vitest.SuiteOptions

/**
 * Registers one Vitest test per check, against the driver `driver` builds over `layer` (built once per suite):
 * a check the driver cannot serve is skipped with its reason, a failure throws its counterexample and replay line.
 *
 * ```ts
 * Conformance.suite(
 *   "the served fake",
 *   Layer.merge(FakeHttpServer.layer(), NodeHttpClient.layerUndici),
 *   Effect.gen(function* () {
 *     return yield* Conformance.servedFake(yield* FakeHttpServer.baseUrl, yield* HttpClient.HttpClient)
 *   })
 * )
 * ```
 *
 * @since 0.2.0
 * @category vitest
 */
export const suite: <R, E>(
  name: string,
  layer: Layer.Layer<R, E>,
  driver: Effect.Effect<Driver, DriverError | E, R>,
  options?: SuiteOptions
) => void = vitest.suite

/**
 * The driver configuration file of `hm-oauth-testkit conform --config`, as a schema: clients, car, consent (an
 * HM-style page, a command, or pre-issued codes), the clock request, approve and withdraw requests.
 *
 * @since 0.2.0
 * @category drivers
 */
export const DriverConfig: typeof config.DriverConfig = config.DriverConfig

/**
 * The decoded driver configuration.
 *
 * @since 0.2.0
 * @category drivers
 */
export type DriverConfig = config.DriverConfig

/**
 * A configuration that cannot describe a driver: every problem by path, never a value.
 *
 * @since 0.2.0
 * @category errors
 */
export const InvalidDriverConfig: typeof config.InvalidDriverConfig = config.InvalidDriverConfig

/**
 * A configuration that cannot describe a driver.
 *
 * @since 0.2.0
 * @category errors
 */
export type InvalidDriverConfig = config.InvalidDriverConfig

/**
 * Reads a driver configuration from JSON text.
 *
 * @since 0.2.0
 * @category drivers
 */
export const parseDriverConfig: (json: string) => Effect.Effect<DriverConfig, InvalidDriverConfig> = config.parse

/**
 * The driver a configuration describes at `baseUrl` through `http`; none, or `{ "fake": true }`, is the served
 * fake. A `command` consent runs through the `CommandExecutor`.
 *
 * @since 0.2.0
 * @category drivers
 */
export const driverFromConfig: (
  config: DriverConfig | undefined,
  baseUrl: string,
  http: HttpClient.HttpClient
) => Effect.Effect<Driver, InvalidDriverConfig | DriverError, CommandExecutor.CommandExecutor> = config.toDriver
