/**
 * What `hm-oauth-testkit conform` does once its flags are read (`internal/cli/conform.ts` declares them): runs the
 * catalogue against the server at the base URL, prints the table and every failure, writes the JSON report. The
 * exit code is 0 when every MUST check that ran passed, else 1; bad usage (a URL, a check id, a configuration, an
 * unwritable report file) fails with `Usage`, a driver that cannot start with its `DriverError`. Requests go to the
 * base URL alone, at most `rate` a second (default 20, none for a loopback address: the project's fake here).
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import { Console, Data, Effect } from "effect"
import { catalogue } from "./catalogue.js"
import { parse as parseConfig, toDriver } from "./config.js"
import type { DriverError } from "./driver.js"
import { bounded } from "./exchange.js"
import { json, text } from "./report.js"
import { run, selects } from "./runner.js"

/** What the command line asks for. */
export interface Arguments {
  readonly baseUrl: string
  readonly config?: string | undefined
  readonly seed?: number | undefined
  readonly runs?: number | undefined
  readonly only: ReadonlyArray<string>
  readonly json?: string | undefined
  readonly rate?: number | undefined
}

/** Wrong usage: exit 2, with the problem named. */
export class Usage extends Data.TaggedError("Usage")<{ readonly problem: string }> {
  override get message() {
    return this.problem
  }
}

/** The request rate unless `--rate` says otherwise: unbounded for this machine's loopback, gentle elsewhere. */
const defaultRate = (baseUrl: URL): number | undefined =>
  ["127.0.0.1", "localhost", "[::1]"].includes(baseUrl.hostname) ? undefined : 20

/** `--base-url`, checked: http or https, nothing after the path; the trailing slash dropped. */
export const baseUrlOf = (given: string): Effect.Effect<URL, Usage> =>
  Effect.try({
    try: () => new URL(given),
    catch: () => new Usage({ problem: `--base-url: not a URL: ${JSON.stringify(given)}` })
  }).pipe(
    Effect.filterOrFail(
      (url) => (url.protocol === "http:" || url.protocol === "https:") && url.search === "" && url.hash === "",
      () => new Usage({ problem: "--base-url: an http or https URL without query or fragment" })
    )
  )

/** Runs the command: the exit code, 0 or 1; bad usage fails with `Usage`. */
export const conform = (
  args: Arguments
): Effect.Effect<
  0 | 1,
  Usage | DriverError,
  HttpClient.HttpClient | FileSystem.FileSystem | CommandExecutor.CommandExecutor
> =>
  Effect.gen(function* () {
    const url = yield* baseUrlOf(args.baseUrl)
    const baseUrl = `${url.origin}${url.pathname.replace(/\/+$/, "")}`
    const unknown = args.only.filter((id) => !catalogue.some((check) => selects([id], check)))
    if (unknown.length > 0) return yield* new Usage({ problem: `--only: no check ${unknown.join(", ")}` })
    const fs = yield* FileSystem.FileSystem
    const config =
      args.config === undefined
        ? undefined
        : yield* fs.readFileString(args.config).pipe(
            Effect.mapError((error) => new Usage({ problem: `--config: ${error.message}` })),
            Effect.flatMap(parseConfig),
            Effect.mapError((error) => (error._tag === "Usage" ? error : new Usage({ problem: error.message })))
          )
    // bounded before the driver is built, so its consent and clock requests count against the rate too
    const http = yield* bounded(yield* HttpClient.HttpClient, baseUrl, args.rate ?? defaultRate(url))
    const driver = yield* toDriver(config, baseUrl, http).pipe(
      Effect.catchTag("InvalidDriverConfig", (invalid) => Effect.fail(new Usage({ problem: invalid.message })))
    )
    const report = yield* run(catalogue, driver, { seed: args.seed, runs: args.runs, only: args.only })
    yield* Console.log(text(report))
    if (args.json !== undefined) {
      yield* fs
        .writeFileString(args.json, json(report))
        .pipe(Effect.mapError((error) => new Usage({ problem: `--json: ${error.message}` })))
    }
    return report.ok ? 0 : 1
  })
