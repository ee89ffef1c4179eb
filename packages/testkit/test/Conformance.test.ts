import { generateKeyPairSync } from "node:crypto"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import * as Cli from "../src/Cli.js"
import * as Conformance from "../src/Conformance.js"
import * as FakeHttpServer from "../src/FakeHttpServer.js"
import * as FakeServer from "../src/FakeServer.js"
import * as Model from "../src/Model.js"
import { broken } from "./conformance/policies.js"

// a server that forgets to bound an assertion's `iat`: a break the catalogue must find, and shrink
const lenientIat = { policy: { assertionMaxAge: 3_000_000_000, assertionIatSkew: 3_000_000_000 } }

const inMemory = Effect.gen(function* () {
  return yield* Conformance.inMemoryFake(yield* FakeServer.FakeServer, yield* HttpClient.HttpClient)
})

const iatCheck = ["client-auth/assertion-issued-at"]

describe("Conformance reports", () => {
  it.effect("a break is reported with its shrunk counterexample, its exchanges and the seed that replays it", () =>
    Effect.gen(function* () {
      const driver = yield* inMemory
      const report = yield* Conformance.run(Conformance.catalogue, driver, { seed: 3, runs: 20, only: iatCheck })
      const [result] = report.results
      expect(report.ok).toBe(false)
      expect(result?.outcome._tag).toBe("Failed")
      if (result?.outcome._tag !== "Failed") return
      // fast-check shrinks the offset to the smallest that breaks the rule: one hour in the past
      expect(result.outcome.counterexample).toEqual([3600, false])
      expect(result.outcome.exchanges).toHaveLength(1)
      expect(Conformance.text(report)).toContain("replay: --seed 3 --only client-auth/assertion-issued-at")
      const again = yield* Conformance.run(Conformance.catalogue, driver, { seed: 3, runs: 20, only: iatCheck })
      expect(again.results[0]?.outcome).toMatchObject({ counterexample: [3600, false], seed: result.outcome.seed })
    }).pipe(Effect.provide(FakeServer.layer(lenientIat)))
  )

  it.effect("no secret, code or token reaches the report: each shows as its label", () =>
    Effect.gen(function* () {
      const driver = yield* inMemory
      // without the cascade a failure shows a whole grant's life: consent, exchange, revocation, vehicle info
      const report = yield* Conformance.run(Conformance.catalogue, driver, {
        seed: 5,
        only: ["revocation/refresh-token-cascades"]
      })
      const server = yield* FakeServer.FakeServer
      const values = [Redacted.value(driver.clients.confidential.secret), ...(yield* server.read(Model.issuedValues))]
      const written = `${Conformance.json(report)}${Conformance.text(report)}`
      expect(written).toContain("<client_secret#1>")
      expect(written).toContain("<refresh_token#1>")
      expect(written).toContain("Bearer <access_token#1>")
      for (const value of values) expect(written).not.toContain(value)
    }).pipe(Effect.provide(FakeServer.layer({ policy: { cascadeRevocation: false } })))
  )

  it.effect("a check the driver cannot serve is skipped, its missing need named, and breaks no MUST", () =>
    Effect.gen(function* () {
      const full = yield* inMemory
      const bare: Conformance.Driver = {
        ...full,
        clock: undefined,
        clients: { confidential: full.clients.confidential }
      }
      const report = yield* Conformance.run(Conformance.catalogue, bare, { seed: 1, runs: 2 })
      const skipped = report.results.filter((result) => result.outcome._tag === "Skipped")
      expect(skipped.map((result) => result.id)).toContain("code-grant/lifetime")
      expect(skipped.find((result) => result.id === "code-grant/lifetime")?.outcome).toMatchObject({
        reason: expect.stringContaining("clock")
      })
      expect(skipped.map((result) => result.id)).toContain("client-auth/assertion")
      expect(report.ok).toBe(true)
      expect(Conformance.text(report)).toMatch(/code-grant\/lifetime\s+MUST\s+skip/)
    }).pipe(Effect.provide(FakeServer.layer()))
  )

  it.effect("the fake's control resets it to its configuration, the kit's clients registered again", () =>
    Effect.gen(function* () {
      const driver = yield* inMemory
      const reset = driver.fake?.reset ?? Effect.die("the fake driver has a reset")
      yield* reset
      yield* reset
      const report = yield* Conformance.run(Conformance.catalogue, driver, { seed: 1, only: ["vehicle-info/"] })
      expect(broken(report.results)).toEqual([])
    }).pipe(Effect.provide(FakeServer.layer()))
  )

  it.live("requests start at most `rate` a second", () =>
    Effect.gen(function* () {
      const driver = yield* inMemory
      const started = Date.now()
      yield* Conformance.run(Conformance.catalogue, driver, {
        seed: 1,
        runs: 10,
        rate: 50,
        only: ["refresh/unknown-token"]
      })
      // ten requests, 20 ms apart
      expect(Date.now() - started).toBeGreaterThanOrEqual(9 * 20 - 5)
    }).pipe(Effect.provide(FakeServer.layer()))
  )

  it.effect("the kit's client refuses any origin but the base URL's", () =>
    Effect.gen(function* () {
      const driver = yield* inMemory
      const elsewhere = Conformance.make({
        id: "test/elsewhere",
        area: "wire",
        title: "a request to another origin never leaves",
        reference: "-",
        level: "MUST",
        needs: [],
        run: (context) =>
          context.driver.http.execute(HttpClientRequest.get("https://evil.example/v1/vehicleinfo")).pipe(
            Effect.flatMap(() => Conformance.fail(context, "the request left")),
            Effect.catchAll((error) =>
              Conformance.expect(
                context,
                error._tag === "RequestError" && error.description?.includes("nothing outside") === true,
                error.message
              )
            ),
            Effect.scoped
          )
      })
      const report = yield* Conformance.run([elsewhere], driver, { seed: 1 })
      expect(report.results[0]?.outcome._tag).toBe("Passed")
    }).pipe(Effect.provide(FakeServer.layer()))
  )
})

/** Runs the command line; its exit code (0 on success) and the text it fails with. */
const commandLine = (args: ReadonlyArray<string>) =>
  Cli.run(args).pipe(
    Effect.as({ exitCode: 0, text: "" }),
    Effect.catchAll((failure) => Effect.succeed({ exitCode: failure.exitCode, text: failure.text })),
    Effect.provide(NodeFileSystem.layer)
  )

const reportIn = (file: string): Conformance.Report => JSON.parse(readFileSync(file, "utf8"))

const scratch = (name: string) => join(mkdtempSync(join(tmpdir(), "conform-")), name)

describe("hm-oauth-testkit conform", () => {
  it.effect("exits 2 naming every problem of a bad command line", () =>
    Effect.gen(function* () {
      const missing = yield* commandLine(["conform"])
      expect(missing).toMatchObject({ exitCode: 2, text: expect.stringContaining("--base-url: required") })
      const bad = yield* commandLine(["conform", "--base-url", "http://127.0.0.1:9", "--runs", "0", "--bogus"])
      expect(bad.exitCode).toBe(2)
      expect(bad.text).toContain("--runs")
      expect(bad.text).toContain("--bogus")
      expect(yield* commandLine(["conform", "--base-url", "ftp://x"])).toMatchObject({ exitCode: 2 })
      const help = yield* commandLine(["conform", "--help"])
      expect(help.exitCode).toBe(0)
    })
  )

  it.live("exits 0 against the fake, and writes the report as JSON", () =>
    Effect.gen(function* () {
      const baseUrl = yield* FakeHttpServer.baseUrl
      const file = scratch("report.json")
      const only = "code-grant/single-use,code-grant/lifetime"
      const ran = yield* commandLine([
        "conform",
        "--base-url",
        baseUrl,
        "--only",
        only,
        "--runs",
        "2",
        "--seed",
        "9",
        "--json",
        file
      ])
      expect(ran).toEqual({ exitCode: 0, text: "" })
      const written = reportIn(file)
      expect(written.seed).toBe(9)
      expect(written.results.map((result) => result.id)).toEqual(["code-grant/single-use", "code-grant/lifetime"])
    }).pipe(Effect.provide(FakeHttpServer.layer()))
  )

  it.live("exits 1 when a MUST fails, and 2 for an unknown check or a bad configuration", () =>
    Effect.gen(function* () {
      const baseUrl = yield* FakeHttpServer.baseUrl
      const failed = yield* commandLine(["conform", "--base-url", baseUrl, "--only", iatCheck[0] ?? "", "--seed", "1"])
      expect(failed).toMatchObject({ exitCode: 1, text: expect.stringContaining("a MUST check failed") })
      const unknown = yield* commandLine(["conform", "--base-url", baseUrl, "--only", "no/such-check"])
      expect(unknown).toMatchObject({ exitCode: 2, text: expect.stringContaining("no/such-check") })
      const config = scratch("driver.json")
      writeFileSync(config, JSON.stringify({ clients: { confidential: { id: "x" } } }))
      const invalid = yield* commandLine(["conform", "--base-url", baseUrl, "--config", config])
      expect(invalid.exitCode).toBe(2)
      expect(invalid.text).toMatch(/clients\.confidential\.(secret|redirectUri)/)
    }).pipe(Effect.provide(FakeHttpServer.layer(lenientIat)))
  )

  it.live(
    "drives a server from a configuration file alone: clients, consent page, clock and consent requests",
    () =>
      Effect.gen(function* () {
        const baseUrl = yield* FakeHttpServer.baseUrl
        const config = scratch("driver.json")
        writeFileSync(config, JSON.stringify(ownServerConfig))
        const file = `${config}.report.json`
        const ran = yield* commandLine([
          "conform",
          "--base-url",
          baseUrl,
          "--config",
          config,
          "--runs",
          "1",
          "--seed",
          "2",
          "--json",
          file
        ])
        expect(ran.exitCode).toBe(0)
        expect(reportIn(file).results.filter((result) => result.outcome._tag !== "Passed")).toEqual([])
      }).pipe(Effect.provide(FakeHttpServer.layer(ownServer))),
    60_000
  )
})

const key = generateKeyPairSync("ec", { namedCurve: "P-256" })
const oldKey = generateKeyPairSync("ec", { namedCurve: "P-256" })
const pem = (k: typeof key.privateKey) => k.export({ format: "pem", type: "pkcs8" }).toString()

/** A server configured by its operator, as a user's own would be, and the driver file that describes it. */
const ownServer = {
  clients: [
    { id: "web", secret: "web-secret-0123456789", redirectUris: ["https://web.example/cb"] },
    { id: "other", secret: "other-secret-0123456789", redirectUris: ["https://other.example/cb"] },
    { id: "native", redirectUris: ["com.example:/cb"] },
    {
      id: "fleet",
      redirectUris: [],
      serviceAccountKeys: [
        { id: "key-1", publicKey: key.publicKey },
        { id: "key-0", publicKey: oldKey.publicKey, expiresAt: 0 }
      ]
    }
  ],
  vehicles: [{ vin: "1HMTEST0000000001" }]
}

const ownServerConfig = {
  vin: "1HMTEST0000000001",
  clients: {
    confidential: { id: "web", secret: "web-secret-0123456789", redirectUri: "https://web.example/cb" },
    second: { id: "other", secret: "other-secret-0123456789", redirectUri: "https://other.example/cb" },
    public: { id: "native", redirectUri: "com.example:/cb" },
    serviceAccount: {
      clientId: "fleet",
      key: { id: "key-1", private_key: pem(key.privateKey) },
      expiredKey: { id: "key-0", private_key: pem(oldKey.privateKey) }
    }
  },
  consent: { page: { pending: true } },
  clock: { method: "POST", path: "/testkit/clock", body: '{"seconds": {seconds}}' },
  approve: { method: "POST", path: "/testkit/consents/{authorization_id}/approve" },
  withdraw: { method: "POST", path: "/testkit/consents/{authorization_id}/withdraw", body: "{}" }
}

describe("the conformance catalogue", () => {
  it("has one id per check, each listed in the testkit's README with its level", () => {
    const ids = Conformance.catalogue.map((check) => check.id)
    expect(new Set(ids).size).toBe(ids.length)
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8")
    const listed = new Map(
      [...readme.matchAll(/^\|\s*`([^`]+)`\s*\|\s*([^|]+?)\s*\|/gm)].map((row) => [row[1], row[2]] as const)
    )
    for (const check of Conformance.catalogue) expect(listed.get(check.id), check.id).toBe(check.level)
  })
})
