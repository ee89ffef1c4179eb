#!/usr/bin/env node
/**
 * The `hm-oauth-testkit` executable (see `Cli.ts`). A failure prints its text on stderr and exits with its code; a
 * defect, a bug of ours, prints its cause and exits 1; SIGINT and SIGTERM stop a server cleanly with exit 0.
 */
// the modules themselves, not the package's index, which loads every Node module of the platform
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Exit } from "effect"
import * as Cli from "./Cli.js"

Cli.run(process.argv.slice(2)).pipe(
  Effect.as(0),
  Effect.catchAll((failure) => Effect.as(Console.error(failure.text), failure.exitCode)),
  Effect.tapDefect((defect) => Console.error(`hm-oauth-testkit: ${Cause.pretty(Cause.die(defect))}`)),
  Effect.provide(NodeFileSystem.layer),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    teardown: (exit, onExit) =>
      onExit(
        Exit.match(exit, {
          onSuccess: (code) => (typeof code === "number" ? code : 1),
          onFailure: (cause) => (Cause.isInterruptedOnly(cause) ? 0 : 1)
        })
      )
  })
)
