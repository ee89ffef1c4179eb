/**
 * The `hm-oauth-testkit` executable as a user runs it: the built `dist/bin.js` in a child process
 * (`npm test` builds before it tests).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Credentials, HmOAuth, HmOAuthConfig, TokenEndpoint } from "@hm-oauth/core"
import { Effect, Layer } from "effect"

const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url))
const scratch = mkdtempSync(join(tmpdir(), "hm-oauth-testkit-cli-"))

interface Running {
  readonly child: ChildProcess
  readonly output: () => string
  readonly exited: Promise<number | null>
}

const start = (args: ReadonlyArray<string>): Running => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build first (npx tsc -b)`)
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  child.stdout.on("data", (chunk) => (output += chunk))
  child.stderr.on("data", (chunk) => (output += chunk))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  return { child, output: () => output, exited }
}

/** Waits for the `listening on` line (the process is ready once it is printed) and returns the URL. */
const listening = (running: Running) =>
  Effect.promise(
    () =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const match = /listening on (http:\/\/\S+)/.exec(running.output())
          if (match) resolve(match[1]!)
        }
        running.child.stdout?.on("data", check)
        running.exited.then((code) => reject(new Error(`exited with ${code}: ${running.output()}`)))
        check()
      })
  )

describe("hm-oauth-testkit serve", () => {
  it.live("serves the demo set, its key file works with the core client, and SIGTERM stops it with exit 0", () =>
    Effect.gen(function* () {
      const keyFile = join(scratch, "key.json")
      const running = start(["serve", "--port", "0", "--key-file", keyFile, "--seed", "3"])
      const url = yield* listening(running)
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(running.output()).toContain("demo-web")

      const key = yield* Credentials.serviceAccountKeyFromJson(readFileSync(keyFile, "utf8"))
      const tokens = yield* Effect.flatMap(TokenEndpoint.TokenEndpoint, (endpoint) =>
        endpoint.clientCredentials()
      ).pipe(
        Effect.provide(
          HmOAuth.layer.pipe(
            Layer.provide(
              HmOAuthConfig.layer({
                clientId: "demo-fleet",
                baseUrl: url,
                credentials: Credentials.serviceAccount(key)
              })
            ),
            Layer.provide(NodeHttpClient.layerUndici),
            Layer.orDie
          )
        )
      )
      expect(tokens.tokenType).toBe("bearer")

      const state = yield* Effect.promise(() => fetch(`${url}/testkit/state`).then((response) => response.json()))
      expect(state.tokens).toHaveLength(1)

      running.child.kill("SIGTERM")
      expect(yield* Effect.promise(() => running.exited)).toBe(0)
      const closed = yield* Effect.promise(() =>
        fetch(`${url}/testkit/state`).then(
          () => "open",
          () => "closed"
        )
      )
      expect(closed).toBe("closed")
    })
  )

  it.live("reads a configuration file: its clients and policy are served", () =>
    Effect.gen(function* () {
      const config = join(scratch, "config.json")
      writeFileSync(
        config,
        JSON.stringify({
          seed: 1,
          policy: { clientCredentialsTokenLifetime: 60 },
          clients: [{ id: "ci-app", secret: "ci-secret", redirectUris: ["http://127.0.0.1/cb"] }],
          vehicles: [{ vin: "VIN00000000000001" }]
        })
      )
      const running = start(["serve", "--port", "0", "--config", config])
      const url = yield* listening(running)
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
    })
  )

  it.live("a bad configuration is refused with a message naming each problem, and exit code 2", () =>
    Effect.gen(function* () {
      const config = join(scratch, "bad.json")
      writeFileSync(config, JSON.stringify({ clients: [{ id: "", redirectUris: "x" }], colour: "red" }))
      const running = start(["serve", "--port", "0", "--config", config])
      expect(yield* Effect.promise(() => running.exited)).toBe(2)
      expect(running.output()).toContain("invalid configuration")
      expect(running.output()).toContain("clients.0.id")
      expect(running.output()).toContain("clients.0.redirectUris")
      expect(running.output()).toContain("colour")
      expect(running.output()).not.toContain("listening on")
    })
  )

  it.live("a configuration file that does not exist is wrong usage too: exit code 2", () =>
    Effect.gen(function* () {
      const running = start(["serve", "--config", join(scratch, "missing.json")])
      expect(yield* Effect.promise(() => running.exited)).toBe(2)
      expect(running.output()).toContain("must exist")
    })
  )
})
