#!/usr/bin/env node
/**
 * The `hm-oauth-testkit` executable. Exit codes: 0 after SIGINT/SIGTERM or `--help`; 2 for wrong usage (a bad
 * flag, a missing or undecodable configuration file); 1 for any other failure, such as a port in use.
 */
import { ValidationError } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Cause, Console, Effect, Exit, Option } from "effect"
import * as Cli from "./Cli.js"

/** Wrong usage: the command line (which @effect/cli reports itself) or the configuration file. */
const isUsageError = (error: unknown): boolean =>
  ValidationError.isValidationError(error) || (error as { readonly _tag?: unknown })._tag === "InvalidServerConfig"

const exitCode = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit) || Cause.isInterruptedOnly(exit.cause)) return 0
  return Option.exists(Cause.failureOption(exit.cause), isUsageError) ? 2 : 1
}

const describe = (cause: Cause.Cause<unknown>): string =>
  Option.match(Cause.failureOption(cause), {
    onNone: () => Cause.pretty(cause),
    // the platform's ServeError keeps the reason (e.g. EADDRINUSE) in its cause
    onSome: (error) =>
      error instanceof Error
        ? error.message || (error.cause instanceof Error ? error.cause.message : error.name)
        : String(error)
  })

Cli.run(process.argv).pipe(
  Effect.tapErrorCause((cause) =>
    Cause.isInterruptedOnly(cause) || Option.exists(Cause.failureOption(cause), ValidationError.isValidationError)
      ? Effect.void
      : Console.error(`hm-oauth-testkit: ${describe(cause)}`)
  ),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disableErrorReporting: true, teardown: (exit, onExit) => onExit(exitCode(exit)) })
)
