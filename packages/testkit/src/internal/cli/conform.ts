/**
 * `conform`: the conformance catalogue against a server of this API (see `internal/conformance/cli.ts` for what a
 * run does). Its HTTP client (undici, which follows no redirect: the consent page answers with one) and the
 * executor of a consent command are Node's, provided here.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as NodeCommandExecutor from "@effect/platform-node/NodeCommandExecutor"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer } from "effect"
import { conform as runConform } from "../conformance/cli.js"
import { defaultRuns } from "../conformance/runner.js"
import * as Command from "./command.js"

const flags = {
  "base-url": Command.required(Command.text("URL"), "where the server under test answers, e.g. http://127.0.0.1:4000"),
  config: Command.optional(
    Command.text("FILE"),
    "the driver: clients, car, consent, clock (see the README); without it, the project's fake"
  ),
  seed: Command.optional(
    Command.integer("N", 0, 2 ** 31 - 1),
    "seed of every generated input (default random, printed)"
  ),
  runs: Command.withDefault(Command.integer("N", 1, 100_000), "cases per property", defaultRuns),
  only: Command.repeated(Command.text("ID"), "run only this check, or the checks of an area (`refresh/`)"),
  json: Command.optional(Command.text("FILE"), "write the report as JSON there"),
  rate: Command.optional(
    Command.integer("N", 1, 100_000),
    "requests a second at most (default 20; unbounded for a loopback address)"
  )
}

/** The `conform` command. */
export const conform: Command.Command<FileSystem.FileSystem> = Command.make({
  name: "conform",
  summary: "check a server of this API against the catalogue of its rules",
  flags,
  notes: [
    "Prints a table (check, level, result, time) and every failure with its counterexample, its exchanges (secrets " +
      "replaced by labels) and the --seed and --only that replay it. Requests go to --base-url alone.",
    "Exit codes: 0 when every MUST check that ran passed; 1 when one failed, or the driver could not start; 2 for a " +
      "bad flag, URL, check id or configuration."
  ],
  run: (values) =>
    runConform({
      baseUrl: values["base-url"],
      config: values.config,
      seed: values.seed,
      runs: values.runs,
      only: values.only.flatMap((ids) => ids.split(",").filter((id) => id !== "")),
      json: values.json,
      rate: values.rate
    }).pipe(
      Effect.catchTags({
        Usage: (usage) => Effect.fail(Command.usage(usage.problem)),
        DriverError: (error) =>
          Effect.fail(new Command.CliFailure({ exitCode: 1, text: `the driver could not start: ${error.message}` }))
      }),
      Effect.flatMap((code) =>
        code === 0
          ? Effect.void
          : Effect.fail(new Command.CliFailure({ exitCode: 1, text: "a MUST check failed (see the report above)" }))
      ),
      Effect.provide(Layer.merge(NodeHttpClient.layerUndici, NodeCommandExecutor.layer))
    )
})
