import { FileSystem } from "@effect/platform"
import { SystemError } from "@effect/platform/Error"
import { describe, expect, it } from "@effect/vitest"
import { ConfigError, ConfigProvider, Duration, Effect, Layer, Redacted } from "effect"
import { exportPKCS8, generateKeyPair } from "jose"
import { Credentials, HmOAuthConfig } from "../src/index.js"

const keyPem = await exportPKCS8((await generateKeyPair("ES256", { extractable: true })).privateKey)
const keyJson = JSON.stringify({ id: "key-1", private_key: keyPem })

/** A file system holding one file: the console's key JSON at `/keys/hm.json`. */
const files = FileSystem.layerNoop({
  readFileString: (path) =>
    path === "/keys/hm.json"
      ? Effect.succeed(keyJson)
      : Effect.fail(
          new SystemError({
            reason: "NotFound",
            module: "FileSystem",
            method: "readFileString",
            pathOrDescriptor: path
          })
        )
})

/** The configuration read from `env`; a variable set to `null` is left unset. */
const fromEnv = (env: Record<string, string | null>) =>
  HmOAuthConfig.HmOAuthConfig.pipe(
    Effect.provide(
      HmOAuthConfig.layerConfig.pipe(
        Layer.provide(
          Layer.setConfigProvider(
            ConfigProvider.fromMap(
              new Map(Object.entries(env).flatMap(([name, value]) => (value === null ? [] : [[name, value]])))
            )
          )
        ),
        Layer.provide(files)
      )
    )
  )

/** The paths the configuration error points at, and its text. */
const refusal = (error: unknown) => {
  const paths: Array<string> = []
  const walk = (e: ConfigError.ConfigError): void => {
    if (e._op === "And" || e._op === "Or") {
      walk(e.left)
      walk(e.right)
    } else paths.push(e.path.join("."))
  }
  if (!ConfigError.isConfigError(error)) throw new Error(`not a ConfigError: ${String(error)}`)
  walk(error)
  return { paths, text: String(error) }
}

describe("HmOAuthConfig.layerConfig", () => {
  it.effect("defaults: sandbox, no credentials, 10 s timeout, 30 s budget, JSON bodies, 64 KiB bodies", () =>
    Effect.gen(function* () {
      const config = yield* fromEnv({ HM_OAUTH_CLIENT_ID: "client-1" })
      expect(config).toMatchObject({
        baseUrl: "https://sandbox.api.high-mobility.com",
        consentPageUrl: "https://sandbox.owner-panel.high-mobility.com/oauth/new",
        clientId: "client-1",
        authentication: { _tag: "None" },
        bodyEncoding: "json",
        maxResponseBytes: 65_536
      })
      expect(Duration.toMillis(config.timeout)).toBe(10_000)
      expect(Duration.toMillis(config.retryBudget)).toBe(30_000)
    })
  )

  it.effect("reads every variable, the secret as Redacted", () =>
    Effect.gen(function* () {
      const config = yield* fromEnv({
        HM_OAUTH_CLIENT_ID: "client-1",
        HM_OAUTH_ENVIRONMENT: "production",
        HM_OAUTH_BASE_URL: "http://127.0.0.1:4000/",
        HM_OAUTH_CONSENT_PAGE_URL: "http://127.0.0.1:4000/oauth/new?lang=de",
        HM_OAUTH_TIMEOUT: "3 seconds",
        HM_OAUTH_RETRY_BUDGET: "1 minute",
        HM_OAUTH_MAX_RETRY_AFTER: "5 seconds",
        HM_OAUTH_BODY_ENCODING: "form",
        HM_OAUTH_MAX_RESPONSE_BYTES: "4096",
        HM_OAUTH_CLIENT_SECRET: "s3cret-value"
      })
      expect(config).toMatchObject({ baseUrl: "http://127.0.0.1:4000", bodyEncoding: "form", maxResponseBytes: 4096 })
      expect(config.consentPageUrl).toBe("http://127.0.0.1:4000/oauth/new?lang=de")
      expect(Duration.toMillis(config.timeout)).toBe(3000)
      expect(Duration.toMillis(config.retryBudget)).toBe(60_000)
      expect(Duration.toMillis(config.maxRetryAfter)).toBe(5_000)
      expect(config.authentication._tag).toBe("ClientSecret")
      if (config.authentication._tag === "ClientSecret")
        expect(Redacted.value(config.authentication.secret)).toBe("s3cret-value")
      expect(JSON.stringify(config)).not.toContain("s3cret-value")
    })
  )

  it.live("reads a service-account key from the console's JSON, or from its file, and imports it once", () =>
    Effect.gen(function* () {
      for (const env of [
        { HM_OAUTH_SERVICE_ACCOUNT_KEY: keyJson },
        { HM_OAUTH_SERVICE_ACCOUNT_KEY_FILE: "/keys/hm.json" }
      ]) {
        const config = yield* fromEnv({ HM_OAUTH_CLIENT_ID: "client-1", ...env })
        expect(config.authentication._tag).toBe("ServiceAccount")
        if (config.authentication._tag === "ServiceAccount") expect(config.authentication.signer.keyId).toBe("key-1")
      }
    })
  )

  const bad: ReadonlyArray<readonly [string, Record<string, string | null>, ReadonlyArray<string>, string]> = [
    ["a missing client id", { HM_OAUTH_CLIENT_ID: null }, ["HM_OAUTH_CLIENT_ID"], "HM_OAUTH_CLIENT_ID"],
    ["an empty client id", { HM_OAUTH_CLIENT_ID: " " }, ["HM_OAUTH_CLIENT_ID"], "non-empty"],
    [
      "an unknown environment",
      { HM_OAUTH_ENVIRONMENT: "staging" },
      ["HM_OAUTH_ENVIRONMENT"],
      "`sandbox` or `production`"
    ],
    ["a base URL that is not http(s)", { HM_OAUTH_BASE_URL: "ftp://x" }, ["HM_OAUTH_BASE_URL"], "http(s)"],
    ["a base URL with a query", { HM_OAUTH_BASE_URL: "https://x.example/?a=1" }, ["HM_OAUTH_BASE_URL"], "query"],
    ["a base URL with a fragment", { HM_OAUTH_BASE_URL: "https://x.example/#top" }, ["HM_OAUTH_BASE_URL"], "fragment"],
    [
      "a consent page with a fragment",
      { HM_OAUTH_CONSENT_PAGE_URL: "https://x.example/#a" },
      ["HM_OAUTH_CONSENT_PAGE_URL"],
      "fragment"
    ],
    ["a malformed duration", { HM_OAUTH_TIMEOUT: "10 parsecs" }, ["HM_OAUTH_TIMEOUT"], "such as `10 seconds`"],
    ["a zero timeout", { HM_OAUTH_TIMEOUT: "0 seconds" }, ["HM_OAUTH_TIMEOUT"], "positive"],
    ["a negative timeout", { HM_OAUTH_TIMEOUT: "-1 seconds" }, ["HM_OAUTH_TIMEOUT"], "such as `10 seconds`"],
    ["a NaN timeout", { HM_OAUTH_TIMEOUT: "NaN seconds" }, ["HM_OAUTH_TIMEOUT"], "such as `10 seconds`"],
    ["a zero retry budget", { HM_OAUTH_RETRY_BUDGET: "0 millis" }, ["HM_OAUTH_RETRY_BUDGET"], "positive"],
    ["an unknown body encoding", { HM_OAUTH_BODY_ENCODING: "xml" }, ["HM_OAUTH_BODY_ENCODING"], "`json` or `form`"],
    ["a tiny body bound", { HM_OAUTH_MAX_RESPONSE_BYTES: "10" }, ["HM_OAUTH_MAX_RESPONSE_BYTES"], "1024"],
    [
      "a body bound that is no number",
      { HM_OAUTH_MAX_RESPONSE_BYTES: "lots" },
      ["HM_OAUTH_MAX_RESPONSE_BYTES"],
      "whole number"
    ],
    ["an empty secret", { HM_OAUTH_CLIENT_SECRET: "" }, ["HM_OAUTH_CLIENT_SECRET"], "must not be empty"],
    ["a secret with a line break", { HM_OAUTH_CLIENT_SECRET: "a\nb" }, ["HM_OAUTH_CLIENT_SECRET"], "visible ASCII"],
    [
      "both a secret and a key",
      { HM_OAUTH_CLIENT_SECRET: "s", HM_OAUTH_SERVICE_ACCOUNT_KEY: "{}" },
      ["HM_OAUTH_SERVICE_ACCOUNT_KEY"],
      "not HM_OAUTH_CLIENT_SECRET and HM_OAUTH_SERVICE_ACCOUNT_KEY"
    ],
    [
      "a key and a key file",
      { HM_OAUTH_SERVICE_ACCOUNT_KEY: "{}", HM_OAUTH_SERVICE_ACCOUNT_KEY_FILE: "/keys/hm.json" },
      ["HM_OAUTH_SERVICE_ACCOUNT_KEY_FILE"],
      "not HM_OAUTH_SERVICE_ACCOUNT_KEY and HM_OAUTH_SERVICE_ACCOUNT_KEY_FILE"
    ],
    [
      "a key file that is not there",
      { HM_OAUTH_SERVICE_ACCOUNT_KEY_FILE: "/nowhere.json" },
      ["HM_OAUTH_SERVICE_ACCOUNT_KEY_FILE"],
      "cannot be read"
    ],
    [
      "several problems at once",
      { HM_OAUTH_TIMEOUT: "soon", HM_OAUTH_BASE_URL: "nope", HM_OAUTH_BODY_ENCODING: "xml" },
      ["HM_OAUTH_BASE_URL", "HM_OAUTH_TIMEOUT", "HM_OAUTH_BODY_ENCODING"],
      "HM_OAUTH_TIMEOUT"
    ]
  ]
  for (const [name, env, paths, mention] of bad) {
    it.effect(`${name} is a ConfigError naming ${paths.join(", ")}`, () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(fromEnv({ HM_OAUTH_CLIENT_ID: "c", ...env }))
        const found = refusal(error)
        expect(found.paths).toEqual(paths)
        expect(found.text).toContain(mention)
      })
    )
  }

  it.effect("a key of the wrong shape is an InvalidServiceAccountKey that names no key material", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        fromEnv({ HM_OAUTH_CLIENT_ID: "c", HM_OAUTH_SERVICE_ACCOUNT_KEY: '{"secret-ish":1}' })
      )
      expect(error._tag).toBe("InvalidServiceAccountKey")
      expect(String(error)).not.toContain("secret-ish")
    })
  )
})

describe("HmOAuthConfig.make", () => {
  const refused = (options: HmOAuthConfig.Options) => Effect.map(Effect.flip(HmOAuthConfig.make(options)), refusal)

  it.effect("names the option, not an environment variable; a bad duration is typed, never a defect", () =>
    Effect.gen(function* () {
      expect((yield* refused({ clientId: " " })).paths).toEqual(["clientId"])
      const malformed = yield* refused({ clientId: "c", timeout: "soon" as Duration.DurationInput })
      expect(malformed.paths).toEqual(["timeout"])
      expect(malformed.text).toContain("such as `10 seconds`")
      expect((yield* refused({ clientId: "c", timeout: Duration.infinity })).text).toContain("finite")
      for (const timeout of [0, -5, Number.NaN, "0 seconds"] as const) {
        expect((yield* refused({ clientId: "c", timeout })).paths).toEqual(["timeout"])
      }
      expect((yield* refused({ clientId: "c", baseUrl: "https://user:pw@x.example" })).text).not.toContain("pw")
      expect((yield* refused({ clientId: "c", bodyEncoding: "xml" as "json" })).paths).toEqual(["bodyEncoding"])
      expect((yield* refused({ clientId: "c", environment: "staging" as "sandbox" })).paths).toEqual(["environment"])
      expect((yield* refused({ clientId: "c", maxResponseBytes: 1.5 })).paths).toEqual(["maxResponseBytes"])
      const emptySecret = yield* refused({ clientId: "c", credentials: Credentials.clientSecret("") })
      expect(emptySecret.paths).toEqual(["credentials"])
    })
  )

  it.effect("a long timeout is fine, and a trailing slash of the base URL is dropped", () =>
    Effect.gen(function* () {
      const config = yield* HmOAuthConfig.make({
        clientId: "c",
        timeout: "365 days",
        baseUrl: "http://127.0.0.1:1/hm//"
      })
      expect(config.baseUrl).toBe("http://127.0.0.1:1/hm")
      expect(Duration.toMillis(config.timeout)).toBe(365 * 86_400_000)
    })
  )
})
