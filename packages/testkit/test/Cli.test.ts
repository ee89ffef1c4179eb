/**
 * The `hm-oauth-testkit` executable as a user runs it: the built `dist/bin.js` in a child process
 * (`npm test` builds before it tests), every server on port 0 or on a port another server holds.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Credentials, HmOAuth, HmOAuthConfig, TokenEndpoint } from "@hm-oauth/core"
import { Effect, Layer } from "effect"
import * as Cli from "../src/Cli.js"
import * as Command from "../src/internal/cli/command.js"

const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url))
const scratch = mkdtempSync(join(tmpdir(), "hm-oauth-testkit-cli-"))

interface Running {
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  readonly exited: Promise<number | null>
}

const start = (args: ReadonlyArray<string>): Running => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build first (npx tsc -b)`)
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (chunk) => (stdout += chunk))
  child.stderr.on("data", (chunk) => (stderr += chunk))
  // "close", not "exit": by then both pipes are drained
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
  return { child, stdout: () => stdout, stderr: () => stderr, exited }
}

/** Runs the command to its end: its exit code and what it printed. */
const runToEnd = (args: ReadonlyArray<string>) =>
  Effect.promise(async () => {
    const running = start(args)
    const code = await running.exited
    return { code, stdout: running.stdout(), stderr: running.stderr() }
  })

/** Waits for the `listening on` line (the process is ready once it is printed) and returns the URL. */
const listening = (running: Running) =>
  Effect.promise(
    () =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const match = /listening on (http:\/\/\S+)/.exec(running.stdout())
          if (match) resolve(match[1]!)
        }
        running.child.stdout?.on("data", check)
        running.exited.then((code) => reject(new Error(`exited with ${code}: ${running.stderr()}`)))
        check()
      })
  )

/** Serves the demo set with its key in `keyFile`, stopped (SIGTERM, exit 0 checked) when the scope closes. */
const serveDemo = (keyFile: string) =>
  Effect.acquireRelease(
    Effect.suspend(() => {
      const running = start(["serve", "--port", "0", "--key-file", keyFile, "--seed", "3"])
      return Effect.map(listening(running), (url) => ({ running, url }))
    }),
    ({ running }) =>
      Effect.promise(() => {
        running.child.kill("SIGTERM")
        return running.exited
      }).pipe(Effect.map((code) => expect(code).toBe(0)))
  )

/** A client-credentials token for the demo service account, with the key read from `keyFile`. */
const tokenWithKey = (url: string, keyFile: string) =>
  Effect.gen(function* () {
    const key = yield* Credentials.serviceAccountKeyFromJson(readFileSync(keyFile, "utf8"))
    return yield* Effect.flatMap(TokenEndpoint.TokenEndpoint, (endpoint) => endpoint.clientCredentials()).pipe(
      Effect.provide(
        HmOAuth.layer.pipe(
          Layer.provide(
            HmOAuthConfig.layer({ clientId: "demo-fleet", baseUrl: url, credentials: Credentials.serviceAccount(key) })
          ),
          Layer.provide(NodeHttpClient.layerUndici),
          Layer.orDie
        )
      )
    )
  })

/** A bound for a hung child process: each starts Node and loads the kit, seconds on a loaded 2-core machine. */
const spawnedTimeout = 120_000

const writeConfig = (name: string, config: unknown) => {
  const path = join(scratch, name)
  writeFileSync(path, typeof config === "string" ? config : JSON.stringify(config))
  return path
}

describe("hm-oauth-testkit serve", () => {
  it.live(
    "serves the demo set, its key file works with the core client; SIGTERM stops it, exit 0, key file gone",
    () =>
      Effect.gen(function* () {
        const keyFile = join(scratch, "key.json")
        const { url } = yield* serveDemo(keyFile)
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
        expect((yield* tokenWithKey(url, keyFile)).tokenType).toBe("bearer")
        const state = yield* Effect.promise(() => fetch(`${url}/testkit/state`).then((response) => response.json()))
        expect(state.counts.tokens).toBe(1)
      }).pipe(
        Effect.scoped,
        Effect.tap(() => {
          // the key dies with its server: neither it nor its lock is left behind
          expect(existsSync(join(scratch, "key.json"))).toBe(false)
          expect(existsSync(join(scratch, "key.json.lock"))).toBe(false)
        })
      ),
    spawnedTimeout
  )

  it.live(
    "reads a configuration file: its clients and policy are served, and --seed wins over its seed",
    () =>
      Effect.gen(function* () {
        const config = writeConfig("config.json", {
          seed: 1,
          policy: { clientCredentialsTokenLifetime: 60 },
          clients: [{ id: "ci-app", secret: "ci-secret", redirectUris: ["http://127.0.0.1/cb"] }],
          vehicles: [{ vin: "VIN00000000000001" }]
        })
        const running = start(["serve", "--port", "0", "--config", config, "--seed", "9"])
        const url = yield* listening(running)
        expect(running.stdout()).not.toContain("demo set")
        const answer = yield* Effect.promise(() =>
          fetch(`${url}/v1/access_tokens`, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: "grant_type=client_credentials&client_id=ci-app&client_secret=ci-secret"
          }).then((response) => response.json())
        )
        expect(answer.expires_in).toBe(60)
        running.child.kill("SIGINT")
        expect(yield* Effect.promise(() => running.exited)).toBe(0)
      }),
    spawnedTimeout
  )

  it.live(
    "a second serve on a busy port, or on a live server's key file, exits 2 and leaves the first intact",
    () =>
      Effect.gen(function* () {
        const keyFile = join(scratch, "first-key.json")
        const { url, running } = yield* serveDemo(keyFile)
        const key = readFileSync(keyFile, "utf8")
        const port = new URL(url).port
        const otherKeyFile = join(scratch, "second-key.json")
        const [busyPort, sameKeyFile] = yield* Effect.all(
          [
            runToEnd(["serve", "--port", port, "--key-file", otherKeyFile]),
            runToEnd(["serve", "--port", "0", "--key-file", keyFile])
          ],
          { concurrency: "unbounded" }
        )
        expect(busyPort.code).toBe(2)
        expect(busyPort.stderr).toBe(`hm-oauth-testkit serve: cannot listen on 127.0.0.1:${port}: the port is in use\n`)
        expect(busyPort.stdout).toBe("")
        // written only once listening: the server that could not listen wrote no key
        expect(existsSync(otherKeyFile)).toBe(false)
        expect(existsSync(`${otherKeyFile}.lock`)).toBe(false)
        expect(sameKeyFile.code).toBe(2)
        expect(sameKeyFile.stderr).toBe(
          `hm-oauth-testkit serve: --key-file ${keyFile} belongs to the server running as process ${running.child.pid}: ` +
            "stop it, or pass another --key-file\n"
        )
        expect(readFileSync(keyFile, "utf8")).toBe(key)
        expect((yield* tokenWithKey(url, keyFile)).tokenType).toBe("bearer")
      }).pipe(Effect.scoped),
    spawnedTimeout
  )

  it.live(
    "a key file whose lock names a process that is gone is taken over",
    () =>
      Effect.gen(function* () {
        const keyFile = join(scratch, "stale-key.json")
        // a pid that no longer runs: a process that has exited
        const gone = start(["--help"])
        yield* Effect.promise(() => gone.exited)
        writeFileSync(`${keyFile}.lock`, `${gone.child.pid}\n`)
        writeFileSync(keyFile, "{}")
        const { url } = yield* serveDemo(keyFile)
        expect(readFileSync(`${keyFile}.lock`, "utf8")).not.toBe(`${gone.child.pid}\n`)
        expect((yield* tokenWithKey(url, keyFile)).tokenType).toBe("bearer")
      }).pipe(Effect.scoped),
    spawnedTimeout
  )
})

/** A command line run in this process, as `bin.ts` runs it: the failure it ends with. */
const refusal = (args: ReadonlyArray<string>) => Cli.run(args).pipe(Effect.flip, Effect.provide(NodeFileSystem.layer))

describe("hm-oauth-testkit: wrong usage", () => {
  it.live("every bad flag is refused with exit 2 and the problem named, before anything listens", () =>
    Effect.gen(function* () {
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
        [["--port", "99999"], '--port: expected an integer from 0 to 65535, got "99999"'],
        [["--port", "80.5"], '--port: expected an integer from 0 to 65535, got "80.5"'],
        [["--port", "-1"], "--port needs a value (PORT; write --port=-1 for one that begins with -)"],
        [["--port=-1"], '--port: expected an integer from 0 to 65535, got "-1"'],
        [["--port"], "--port needs a value (PORT; write --port=-1 for one that begins with -)"],
        [["--port", "0", "--port", "1"], "--port: given more than once"],
        [["--prot", "4000"], "unknown flag --prot"],
        [["-p", "4000"], "unknown flag -p"],
        [["extra"], 'unexpected argument "extra"'],
        [["--demo=yes"], "--demo takes no value"],
        [["--seed", "x"], '--seed: expected an integer from 0 to 4294967295, got "x"'],
        [["--host="], "--host: must not be empty"]
      ]
      for (const [args, problem] of cases) {
        const failure = yield* refusal(["serve", ...args])
        expect({ args, exitCode: failure.exitCode, text: failure.text }).toEqual({
          args,
          exitCode: 2,
          text: `hm-oauth-testkit serve: ${problem}\n(hm-oauth-testkit serve --help lists the flags)`
        })
      }
      // all the problems of a command line at once
      expect((yield* refusal(["serve", "--port", "99999", "--seed", "-", "--colour"])).text).toBe(
        [
          "hm-oauth-testkit serve: --seed needs a value (N; write --seed=-1 for one that begins with -)",
          "hm-oauth-testkit serve: unknown flag -",
          "hm-oauth-testkit serve: unknown flag --colour",
          'hm-oauth-testkit serve: --port: expected an integer from 0 to 65535, got "99999"',
          "(hm-oauth-testkit serve --help lists the flags)"
        ].join("\n")
      )
      expect(yield* refusal(["frobnicate"])).toMatchObject({
        exitCode: 2,
        text: 'hm-oauth-testkit: unknown command "frobnicate" (commands: serve, conform)'
      })
    })
  )

  it.live("an unreadable or invalid configuration, or an unwritable key file: exit 2 naming the path and problem", () =>
    Effect.gen(function* () {
      const schema = writeConfig("bad.json", { clients: [{ id: "", redirectUris: "x" }], colour: "red" })
      const json = writeConfig("not-json.json", "{ clients: ")
      const missing = join(scratch, "missing.json")
      const keyFile = join(scratch, "no-such-folder", "key.json")
      const serve = (...args: ReadonlyArray<string>) =>
        Effect.map(refusal(["serve", "--port", "0", ...args]), (failure) => {
          expect(failure.exitCode).toBe(2)
          return failure.text
        })
      const invalid = yield* serve("--config", schema)
      expect(invalid).toContain(`hm-oauth-testkit serve: --config ${schema}: invalid configuration:\n`)
      for (const path of ["clients.0.id", "clients.0.redirectUris", "colour"]) expect(invalid).toContain(`  ${path}: `)
      expect(yield* serve("--config", json)).toContain(
        `hm-oauth-testkit serve: --config ${json}: invalid configuration:`
      )
      expect(yield* serve("--config", missing)).toBe(
        `hm-oauth-testkit serve: --config ${missing}: cannot read it: no such file or folder`
      )
      expect(yield* serve("--config", scratch)).toBe(
        `hm-oauth-testkit serve: --config ${scratch}: cannot read it: EISDIR`
      )
      expect(yield* serve("--key-file", keyFile)).toBe(
        `hm-oauth-testkit serve: --key-file ${keyFile}: cannot write it: no such file or folder`
      )
    })
  )

  it.live("a registration the server refuses: exit 2 naming the client and key, or the id registered twice", () =>
    Effect.gen(function* () {
      const pem = writeConfig("pem.json", {
        clients: [{ id: "fleet", redirectUris: [], serviceAccountKeys: [{ id: "key-7", publicKey: "not a PEM" }] }]
      })
      const twice = writeConfig("twice.json", {
        clients: [
          { id: "app", redirectUris: [] },
          { id: "app", redirectUris: [] }
        ]
      })
      const clash = writeConfig("clash.json", { clients: [{ id: "demo-web", redirectUris: [] }] })
      const clashKey = join(scratch, "clash-key.json")
      const refused = (...args: ReadonlyArray<string>) => refusal(["serve", "--port", "0", ...args])
      expect(yield* refused("--config", pem)).toMatchObject({
        exitCode: 2,
        text:
          `hm-oauth-testkit serve: --config ${pem}: client "fleet", service-account key "key-7": ` +
          "not a readable key: expected a PEM (public or private) or a JWK"
      })
      expect(yield* refused("--config", twice)).toMatchObject({
        exitCode: 2,
        text: `hm-oauth-testkit serve: --config ${twice}: client "app" is already registered`
      })
      // with --demo the configuration adds to the demo set, whose ids it may not take
      expect(yield* refused("--config", clash, "--demo", "--key-file", clashKey)).toMatchObject({
        exitCode: 2,
        text: `hm-oauth-testkit serve: --config ${clash}: client "demo-web" is already registered`
      })
      expect(existsSync(clashKey)).toBe(false)
      expect(existsSync(`${clashKey}.lock`)).toBe(false)
    })
  )
})

describe("a command declared in one table", () => {
  // shaped like the conformance kit's `conform`: one declaration gives parsing, problems and help
  const seen: Array<unknown> = []
  const check = Command.make({
    name: "check",
    summary: "check a server",
    flags: {
      "base-url": Command.required(Command.text("URL"), "the server's base URL"),
      only: Command.repeated(Command.text("ID"), "run this check only"),
      runs: Command.withDefault(Command.integer("N", 1, 1000), "runs of each property", 100),
      json: Command.optional(Command.text("FILE"), "write the results here")
    },
    notes: ["Exit codes: 0 when every check passes, 1 when one fails, 2 for wrong usage."],
    run: (values) =>
      Effect.sync(() => seen.push(values)).pipe(
        Effect.zipRight(
          values.only.includes("fails")
            ? Effect.fail(new Command.CliFailure({ exitCode: 1, text: "1 check failed" }))
            : Effect.void
        )
      )
  })
  const run = Command.program({ name: "kit", summary: "A kit", commands: [check] })

  it.effect("reads each flag as declared: required, repeatable, defaulted, optional", () =>
    Effect.gen(function* () {
      yield* run(["check", "--base-url", "http://127.0.0.1:1", "--only", "a", "--only=b"])
      expect(seen).toEqual([{ "base-url": "http://127.0.0.1:1", only: ["a", "b"], runs: 100, json: undefined }])
      expect(yield* Effect.flip(run(["check", "--runs", "0"]))).toEqual(
        new Command.CliFailure({
          exitCode: 2,
          text: [
            "kit check: --base-url: required",
            'kit check: --runs: expected an integer from 1 to 1000, got "0"',
            "(kit check --help lists the flags)"
          ].join("\n")
        })
      )
      // a failure of the work itself: exit 1, its text named after the command
      expect(yield* Effect.flip(run(["check", "--base-url", "u", "--only", "fails"]))).toEqual(
        new Command.CliFailure({ exitCode: 1, text: "kit check: 1 check failed" })
      )
    })
  )
})

describe("hm-oauth-testkit: help", () => {
  it.live(
    "--help on stdout with exit 0, plain text with the defaults; no command: the help on stderr, exit 2",
    () =>
      Effect.gen(function* () {
        const [top, serve, bare, badFlag] = yield* Effect.all(
          [runToEnd(["--help"]), runToEnd(["serve", "--help"]), runToEnd([]), runToEnd(["serve", "--port", "99999"])],
          { concurrency: "unbounded" }
        )
        expect(top.code).toBe(0)
        expect(top.stdout).toContain("Usage: hm-oauth-testkit COMMAND [FLAGS]")
        expect(top.stdout).toMatch(/^ {2}serve +serve the fake over HTTP until SIGINT or SIGTERM$/m)
        expect(top.stdout).toMatch(/^ {2}conform {2}check a server of this API against the catalogue of its rules$/m)
        expect(serve.code).toBe(0)
        expect(serve.stdout).toContain("Usage: hm-oauth-testkit serve [FLAGS]")
        expect(serve.stdout).toMatch(/--port PORT +port; 0 picks a free one \(default 4000\)/)
        expect(serve.stdout).toMatch(/--host HOST +address to listen on \(default 127\.0\.0\.1\)/)
        expect(serve.stdout).toContain(`(default ${join(tmpdir(), "hm-oauth-testkit-service-account.json")})`)
        expect(bare.code).toBe(2)
        expect(bare.stdout).toBe("")
        expect(bare.stderr).toBe(top.stdout)
        expect(badFlag.code).toBe(2)
        expect(badFlag.stdout).toBe("")
        expect(badFlag.stderr).toContain(
          'hm-oauth-testkit serve: --port: expected an integer from 0 to 65535, got "99999"\n'
        )
        // no colours or other escapes, whatever the output is
        for (const text of [top.stdout, serve.stdout, bare.stderr]) expect(text).not.toContain("\u001b")
      }),
    spawnedTimeout
  )
})
