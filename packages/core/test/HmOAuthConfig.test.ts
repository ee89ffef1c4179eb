import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Layer, Redacted } from "effect"
import { exportPKCS8, generateKeyPair } from "jose"
import { HmOAuthConfig } from "../src/index.js"

const fromEnv = (env: Record<string, string>) =>
  HmOAuthConfig.HmOAuthConfig.pipe(
    Effect.provide(
      HmOAuthConfig.layerConfig.pipe(
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
      )
    )
  )

describe("HmOAuthConfig", () => {
  it.effect("defaults: sandbox, no credentials, 10 s timeout, JSON bodies", () =>
    Effect.gen(function* () {
      const config = yield* fromEnv({ HM_OAUTH_CLIENT_ID: "client-1" })
      expect(config).toMatchObject({
        baseUrl: "https://sandbox.api.high-mobility.com",
        consentPageUrl: "https://sandbox.owner-panel.high-mobility.com/oauth/new",
        clientId: "client-1",
        authentication: { _tag: "None" },
        bodyEncoding: "json"
      })
      expect(Duration.toMillis(config.timeout)).toBe(10_000)
    })
  )

  it.effect("reads every variable, the secret as Redacted", () =>
    Effect.gen(function* () {
      const config = yield* fromEnv({
        HM_OAUTH_CLIENT_ID: "client-1",
        HM_OAUTH_ENVIRONMENT: "production",
        HM_OAUTH_BASE_URL: "http://127.0.0.1:4000/",
        HM_OAUTH_CONSENT_PAGE_URL: "http://127.0.0.1:4000/oauth/new",
        HM_OAUTH_TIMEOUT: "3 seconds",
        HM_OAUTH_BODY_ENCODING: "form",
        HM_OAUTH_CLIENT_SECRET: "s3cret-value"
      })
      expect(config).toMatchObject({ baseUrl: "http://127.0.0.1:4000", bodyEncoding: "form" })
      expect(config.consentPageUrl).toBe("http://127.0.0.1:4000/oauth/new")
      expect(Duration.toMillis(config.timeout)).toBe(3000)
      expect(config.authentication._tag).toBe("ClientSecret")
      if (config.authentication._tag === "ClientSecret")
        expect(Redacted.value(config.authentication.secret)).toBe("s3cret-value")
      expect(JSON.stringify(config)).not.toContain("s3cret-value")
    })
  )

  it.live("reads a service-account key from the console's JSON and imports it once", () =>
    Effect.gen(function* () {
      const { privateKey } = yield* Effect.promise(() => generateKeyPair("ES256", { extractable: true }))
      const pem = yield* Effect.promise(() => exportPKCS8(privateKey))
      const config = yield* fromEnv({
        HM_OAUTH_CLIENT_ID: "client-1",
        HM_OAUTH_SERVICE_ACCOUNT_KEY: JSON.stringify({ id: "key-1", private_key: pem })
      })
      expect(config.authentication._tag).toBe("ServiceAccount")
      if (config.authentication._tag === "ServiceAccount") expect(config.authentication.signer.keyId).toBe("key-1")
    })
  )

  const bad: ReadonlyArray<readonly [string, Record<string, string>, string]> = [
    ["a missing client id", {}, "HM_OAUTH_CLIENT_ID"],
    ["an unknown environment", { HM_OAUTH_CLIENT_ID: "c", HM_OAUTH_ENVIRONMENT: "staging" }, "HM_OAUTH_ENVIRONMENT"],
    ["a base URL that is not http(s)", { HM_OAUTH_CLIENT_ID: "c", HM_OAUTH_BASE_URL: "ftp://x" }, "baseUrl"],
    [
      "both a secret and a key",
      { HM_OAUTH_CLIENT_ID: "c", HM_OAUTH_CLIENT_SECRET: "s", HM_OAUTH_SERVICE_ACCOUNT_KEY: "{}" },
      "not both"
    ],
    ["a key file of the wrong shape", { HM_OAUTH_CLIENT_ID: "c", HM_OAUTH_SERVICE_ACCOUNT_KEY: "{}" }, "console"]
  ]
  for (const [name, env, mention] of bad) {
    it.effect(`${name} is a typed configuration error`, () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(fromEnv(env))
        expect(String(error)).toContain(mention)
      })
    )
  }

  it.effect("an empty client id given in code is refused too", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(HmOAuthConfig.make({ clientId: " " }))
      expect(String(error)).toContain("clientId")
    })
  )
})
