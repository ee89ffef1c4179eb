/**
 * `serve`: the fake over HTTP until SIGINT or SIGTERM. Every problem of the command line, the configuration or the
 * address is wrong usage (exit 2), told before `listening on` is printed; once it is printed the server answers
 * and, for the demo set, the key file is in place.
 */
import { tmpdir } from "node:os"
import { join } from "node:path"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import { Console, Effect, Layer } from "effect"
import * as Demo from "../../Demo.js"
import * as FakeHttpServer from "../../FakeHttpServer.js"
import type * as FakeServer from "../../FakeServer.js"
import * as ServerConfig from "../../ServerConfig.js"
import * as Command from "./command.js"
import { claimKeyFile, readConfig, writeKeyFile } from "./files.js"

const defaultKeyFile = join(tmpdir(), "hm-oauth-testkit-service-account.json")

const flags = {
  host: Command.withDefault(Command.text("HOST"), "address to listen on", "127.0.0.1"),
  port: Command.withDefault(Command.integer("PORT", 0, 65535), "port; 0 picks a free one", 4000),
  config: Command.optional(
    Command.text("FILE"),
    "JSON configuration: seed, policy, clients, vehicles, faults (see the README); without it, the demo set"
  ),
  demo: Command.toggle("serve the demo set beside the configuration's clients and vehicles"),
  seed: Command.optional(
    Command.integer("N", 0, 2 ** 32 - 1),
    "seed of tokens and codes, over the configuration's (default 0)"
  ),
  "key-file": Command.withDefault(
    Command.text("FILE"),
    "where the demo service account's key is written while the server runs",
    defaultKeyFile
  )
}

/** The options `--config` gives, each problem named with the file's path. */
const configured = (path: string) =>
  Effect.gen(function* () {
    const read = yield* ServerConfig.parse(yield* readConfig(path)).pipe(
      Effect.mapError((error) => Command.usage(`--config ${path}: ${error.message}`))
    )
    return {
      ...(read.seed === undefined ? {} : { seed: read.seed }),
      ...(read.policy === undefined ? {} : { policy: read.policy }),
      clients: read.clients ?? [],
      vehicles: read.vehicles ?? [],
      faults: read.faults ?? []
    } satisfies FakeServer.Options
  })

const demoLine = (key: Demo.ConsoleKey, keyFile: string) =>
  `demo set: clients ${Demo.webClient.id} (secret ${Demo.webClient.secret}), ${Demo.nativeClient.id} (PKCE), ` +
  `${Demo.fleetClientId} (service-account key ${key.id} written to ${keyFile}); vehicle ${Demo.vin}`

/** Why the server could not listen: the platform keeps Node's error (e.g. EADDRINUSE) as the cause. */
const cannotListen = (host: string, port: number) => (error: HttpServerError.ServeError) => {
  const code = error.cause instanceof Error && "code" in error.cause ? error.cause.code : undefined
  const reason =
    code === "EADDRINUSE"
      ? "the port is in use"
      : code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN"
        ? "no such address on this machine"
        : code === "EACCES"
          ? "permission denied"
          : error.cause instanceof Error
            ? error.cause.message
            : String(error.cause)
  return Command.usage(`cannot listen on ${host}:${port}: ${reason}`)
}

type Flags = Command.Values<typeof flags>

/** Listens, and for the demo set claims the key file first and writes it once listening. */
const listen = (values: Flags, options: FakeServer.Options, demo: ReturnType<typeof Demo.make> | undefined) =>
  Effect.gen(function* () {
    const keyFile = values["key-file"]
    if (demo !== undefined) yield* claimKeyFile(keyFile)
    const served = yield* Layer.build(FakeHttpServer.layer({ ...options, host: values.host, port: values.port })).pipe(
      Effect.catchTags({
        ServeError: (error) => Effect.fail(cannotListen(values.host, values.port)(error)),
        InvalidRegistration: (error) =>
          Effect.fail(
            Command.usage(
              `${values.config === undefined ? "the demo set" : `--config ${values.config}`}: ${error.message}`
            )
          )
      })
    )
    const url = yield* Effect.provide(FakeHttpServer.baseUrl, served)
    if (demo !== undefined) {
      yield* writeKeyFile(keyFile, `${JSON.stringify(demo.serviceAccountKey, null, 2)}\n`)
      yield* Console.log(demoLine(demo.serviceAccountKey, keyFile))
    }
    yield* Console.log(`listening on ${url}`)
    return yield* Effect.never
  })

/** The `serve` command. */
export const serve: Command.Command<FileSystem.FileSystem> = Command.make({
  name: "serve",
  summary: "serve the fake over HTTP until SIGINT or SIGTERM",
  flags,
  notes: [
    'Prints "listening on URL" once the server answers. Without --config (or with --demo) it serves the demo set: ' +
      `${Demo.webClient.id}, ${Demo.nativeClient.id}, ${Demo.fleetClientId} and the car ${Demo.vin}, the service account's ` +
      "fresh key written to --key-file, which one running server owns at a time.",
    "Exit codes: 0 after SIGINT or SIGTERM; 2 for a bad flag, configuration or address; 1 for any other failure."
  ],
  run: (values) =>
    Effect.gen(function* () {
      const fromFile = values.config === undefined ? undefined : yield* configured(values.config)
      const demo = fromFile === undefined || values.demo ? Demo.make() : undefined
      const options: FakeServer.Options = {
        ...fromFile,
        clients: [...(demo?.options.clients ?? []), ...(fromFile?.clients ?? [])],
        vehicles: [...(demo?.options.vehicles ?? []), ...(fromFile?.vehicles ?? [])],
        ...(values.seed === undefined ? {} : { seed: values.seed })
      }
      return yield* Effect.scoped(listen(values, options, demo))
    })
})
