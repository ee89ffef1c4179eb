/**
 * `hm-oauth-testkit conform --base-url URL [--config FILE] [--seed N] [--runs N] [--only ID…] [--json FILE]
 * [--rate N]`: runs the catalogue against the server at URL and prints the table and every failure. Exit 0 when
 * every MUST check that ran passed, 1 when one failed (or the driver could not start), 2 for bad usage (a flag, a
 * URL or a configuration, the problem named). Requests go to URL alone, at most `--rate` a second (default 20, none
 * for a loopback address: the project's fake on this machine).
 */

import { parseArgs } from "node:util"
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import { Console, Data, Effect, Either } from "effect"
import { catalogue } from "./catalogue.js"
import { parse as parseConfig, toDriver } from "./config.js"
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

const wholeNumber = (
  flag: string,
  given: string | undefined,
  min: number
): Either.Either<number | undefined, string> => {
  if (given === undefined) return Either.right(undefined)
  const value = Number(given)
  return /^\d+$/.test(given) && value >= min && value <= 2 ** 31 - 1
    ? Either.right(value)
    : Either.left(`--${flag}: expected a whole number from ${min}, got ${JSON.stringify(given)}`)
}

/** Reads the arguments after `conform`: every problem named, or what they ask for. */
export const parseArguments = (argv: ReadonlyArray<string>): Either.Either<Arguments, Usage> => {
  let parsed: ReturnType<typeof read>
  try {
    parsed = read(argv)
  } catch (error) {
    return Either.left(new Usage({ problem: error instanceof Error ? error.message : String(error) }))
  }
  const { values } = parsed
  const numbers = {
    seed: wholeNumber("seed", values.seed, 0),
    runs: wholeNumber("runs", values.runs, 1),
    rate: wholeNumber("rate", values.rate, 1)
  }
  const problems = [
    ...(values["base-url"] === undefined ? ["--base-url: required"] : []),
    ...Object.values(numbers).flatMap((number) => (Either.isLeft(number) ? [number.left] : []))
  ]
  if (problems.length > 0 || values["base-url"] === undefined) {
    return Either.left(new Usage({ problem: problems.join("\n") }))
  }
  const number = (read: Either.Either<number | undefined, string>) => Either.getOrUndefined(read)
  return Either.right({
    baseUrl: values["base-url"],
    config: values.config,
    seed: number(numbers.seed),
    runs: number(numbers.runs),
    rate: number(numbers.rate),
    only: (values.only ?? []).flatMap((ids) => ids.split(",").filter((id) => id !== "")),
    json: values.json
  })
}

const read = (argv: ReadonlyArray<string>) =>
  parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      "base-url": { type: "string" },
      config: { type: "string" },
      seed: { type: "string" },
      runs: { type: "string" },
      only: { type: "string", multiple: true },
      json: { type: "string" },
      rate: { type: "string" }
    }
  })

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
): Effect.Effect<0 | 1, Usage, HttpClient.HttpClient | FileSystem.FileSystem | CommandExecutor.CommandExecutor> =>
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
    const built = yield* Effect.either(toDriver(config, baseUrl, http))
    if (built._tag === "Left") {
      if (built.left._tag === "InvalidDriverConfig") return yield* new Usage({ problem: built.left.message })
      yield* Console.error(`the driver could not start: ${built.left.message}`)
      return 1
    }
    const report = yield* run(catalogue, built.right, { seed: args.seed, runs: args.runs, only: args.only })
    yield* Console.log(text(report))
    if (args.json !== undefined) {
      yield* fs
        .writeFileString(args.json, json(report))
        .pipe(Effect.mapError((error) => new Usage({ problem: `--json: ${error.message}` })))
    }
    return report.ok ? 0 : 1
  })
