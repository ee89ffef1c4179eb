/**
 * `hm-oauth-testkit serve [--host 127.0.0.1] [--port 4000] [--config FILE] [--seed N] [--key-file FILE]`:
 * serves the fake over HTTP until SIGINT or SIGTERM. Prints `listening on http://HOST:PORT` once ready.
 * Without `--config` it serves the demo set and writes the demo service account's key, in the console's
 * JSON format, to `--key-file` (default: `hm-oauth-testkit-service-account.json` in the system's temp folder).
 *
 * @since 0.1.0
 */
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Command, Options } from "@effect/cli"
import * as FileSystem from "@effect/platform/FileSystem"
import { Console, Effect, Layer, Option } from "effect"
import * as Demo from "./Demo.js"
import * as FakeHttpServer from "./FakeHttpServer.js"
import type * as FakeServer from "./FakeServer.js"
import * as ServerConfig from "./ServerConfig.js"

const host = Options.text("host").pipe(
  Options.withDefault("127.0.0.1"),
  Options.withDescription("address to listen on")
)
const port = Options.integer("port").pipe(
  Options.withDefault(4000),
  Options.withDescription("port; 0 picks a free one")
)
const config = Options.file("config", { exists: "yes" }).pipe(
  Options.optional,
  Options.withDescription("JSON configuration: clients, vehicles, policy (see the README)")
)
const seed = Options.integer("seed").pipe(Options.optional, Options.withDescription("seed of tokens and codes"))
const keyFile = Options.file("key-file").pipe(
  Options.withDefault(join(tmpdir(), "hm-oauth-testkit-service-account.json")),
  Options.withDescription("where the demo service account's private key is written (demo set only)")
)

/** The server's options from `--config`, or the demo set, its key written where the user can use it. */
const serverOptions = (configFile: Option.Option<string>, keyPath: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    if (Option.isSome(configFile)) {
      const read = yield* ServerConfig.parse(yield* fs.readFileString(configFile.value))
      return {
        ...(read.seed === undefined ? {} : { seed: read.seed }),
        ...(read.policy === undefined ? {} : { policy: read.policy }),
        clients: read.clients ?? [],
        vehicles: read.vehicles ?? [],
        faults: read.faults ?? []
      } satisfies FakeServer.Options
    }
    const demo = Demo.make()
    yield* fs.writeFileString(keyPath, `${JSON.stringify(demo.serviceAccountKey, null, 2)}\n`, { mode: 0o600 })
    yield* Console.log(
      `demo set: clients ${Demo.webClient.id} (secret ${Demo.webClient.secret}), ${Demo.nativeClient.id} (PKCE), ` +
        `${Demo.fleetClientId} (service-account key ${demo.serviceAccountKey.id} written to ${keyPath}); vehicle ${Demo.vin}`
    )
    return demo.options
  })

/** `serve`: listens until interrupted, then closes the server. */
export const serve = Command.make("serve", { host, port, config, seed, keyFile }, (args) =>
  Effect.gen(function* () {
    const options = yield* serverOptions(args.config, args.keyFile)
    const seedOption = Option.match(args.seed, { onNone: () => ({}), onSome: (value) => ({ seed: value }) })
    const announce = Layer.effectDiscard(
      Effect.flatMap(FakeHttpServer.baseUrl, (url) => Console.log(`listening on ${url}`))
    )
    return yield* Layer.launch(
      announce.pipe(
        Layer.provideMerge(FakeHttpServer.layer({ ...options, ...seedOption, host: args.host, port: args.port }))
      )
    )
  })
).pipe(Command.withDescription("serve the fake High Mobility OAuth2 server over HTTP"))

/** The `hm-oauth-testkit` command. */
export const command = Command.make("hm-oauth-testkit").pipe(
  Command.withDescription("a fake of High Mobility's OAuth2 server"),
  Command.withSubcommands([serve])
)

/** Runs the command line (`process.argv`). */
export const run = Command.run(command, { name: "hm-oauth-testkit", version: "0.1.0" })
