/**
 * The `hm-oauth-testkit` command line: `hm-oauth-testkit serve [--host 127.0.0.1] [--port 4000] [--config FILE]
 * [--demo] [--seed N] [--key-file FILE]` serves the fake over HTTP until SIGINT or SIGTERM;
 * `hm-oauth-testkit conform --base-url URL [--config FILE] [--seed N] [--runs N] [--only ID…] [--json FILE]
 * [--rate N]` checks a server against the conformance catalogue (see `--help`).
 *
 * A command is declared once, in a module of `internal/cli/` (`Command.make({ name, summary, flags, notes, run })`,
 * its flags built from `Command.required`, `optional`, `withDefault`, `repeated` or `toggle` over a `Command.text`
 * or `Command.integer` value), and listed in `commands`: dispatch, parsing, the problems of a bad command line and
 * the help all follow from that declaration. Exit codes: 0 on success (and `--help`), 2 for wrong usage (a bad flag,
 * configuration or address; the help on stderr when no command is given), 1 for a failure of the work itself
 * (`CliFailure` with `exitCode: 1`), or a defect.
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type { Effect } from "effect"
import * as Command from "./internal/cli/command.js"
import { conform } from "./internal/cli/conform.js"
import { serve } from "./internal/cli/serve.js"

/**
 * Why a run ends without success: the text for stderr and the exit code.
 *
 * @since 0.1.0
 * @category errors
 */
export type CliFailure = Command.CliFailure

/**
 * What the commands need from the platform; `bin.ts` provides Node's.
 *
 * @since 0.1.0
 * @category models
 */
export type Environment = FileSystem.FileSystem

/**
 * Every command of the program, in the order the help lists them.
 *
 * @since 0.1.0
 * @category models
 */
export const commands: ReadonlyArray<Command.Command<Environment>> = [serve, conform]

/**
 * Runs the command line (the arguments after the executable's name, `process.argv.slice(2)`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const run: (args: ReadonlyArray<string>) => Effect.Effect<void, CliFailure, Environment> = Command.program({
  name: "hm-oauth-testkit",
  summary: "A fake of High Mobility's OAuth2 server",
  commands
})
