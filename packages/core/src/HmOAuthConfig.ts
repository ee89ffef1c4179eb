/**
 * Where the API is, who the client is and how it behaves on the wire. Build it from plain values with `layer`,
 * or from the environment with `layerConfig`.
 *
 * @since 0.1.0
 */
import { Config, ConfigError, Context, Duration, Effect, Layer, Option, type Redacted } from "effect"
import * as ClientAssertion from "./ClientAssertion.js"
import * as Credentials from "./Credentials.js"
import type { InvalidServiceAccountKey } from "./HmOAuthError.js"
import * as Retry from "./Retry.js"

/** The two High Mobility environments. */
export type Environment = "sandbox" | "production"

/** API base URLs per environment. Take yours from the console when it lists another. */
export const apiBaseUrls: Readonly<Record<Environment, string>> = {
  sandbox: "https://sandbox.api.high-mobility.com",
  production: "https://api.high-mobility.com"
}

/** Consent (owner panel) pages per environment. */
export const consentPageUrls: Readonly<Record<Environment, string>> = {
  sandbox: "https://sandbox.owner-panel.high-mobility.com/oauth/new",
  production: "https://owner-panel.high-mobility.com/oauth/new"
}

/** How token and revocation request bodies are encoded: JSON as in the spec, or RFC 6749 form encoding. */
export type BodyEncoding = "json" | "form"

/** The options of `layer`. Only `clientId` is required. */
export interface Options {
  readonly clientId: string
  /** Default `none`: a public PKCE app. */
  readonly credentials?: Credentials.Credentials | undefined
  /** Default `"sandbox"`; picks the default API and consent page addresses. */
  readonly environment?: Environment | undefined
  /** A custom API base URL, e.g. a fake server's. */
  readonly baseUrl?: string | undefined
  /** A custom consent page URL. */
  readonly consentPageUrl?: string | undefined
  /** Timeout of each attempt (retries get their own). Default 10 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Default `Retry.defaultSchedule`. */
  readonly retrySchedule?: Retry.RetrySchedule | undefined
  /** A `Retry-After` longer than this ends the retries. Default 60 seconds. */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
  /** Default `"json"`. */
  readonly bodyEncoding?: BodyEncoding | undefined
}

/** How the client authenticates, resolved once: a service-account key is imported when the layer is built. */
export type ClientAuthentication =
  | { readonly _tag: "ClientSecret"; readonly secret: Redacted.Redacted<string> }
  | { readonly _tag: "ServiceAccount"; readonly signer: ClientAssertion.Signer }
  | { readonly _tag: "None" }

/** The resolved configuration every service reads. */
export class HmOAuthConfig extends Context.Tag("@hm-oauth/core/HmOAuthConfig")<
  HmOAuthConfig,
  {
    /** Without a trailing slash, e.g. `https://sandbox.api.high-mobility.com`. */
    readonly baseUrl: string
    readonly consentPageUrl: string
    readonly clientId: string
    readonly authentication: ClientAuthentication
    readonly timeout: Duration.Duration
    readonly retrySchedule: Retry.RetrySchedule
    readonly maxRetryAfter: Duration.Duration
    readonly bodyEncoding: BodyEncoding
  }
>() {}

/** Resolves and checks the options: URLs must be http(s), the client id non-empty, a service-account key valid. */
export const make = (
  options: Options
): Effect.Effect<HmOAuthConfig["Type"], ConfigError.ConfigError | InvalidServiceAccountKey> =>
  Effect.gen(function* () {
    const environment = options.environment ?? "sandbox"
    const baseUrl = yield* httpUrl("baseUrl", options.baseUrl ?? apiBaseUrls[environment])
    const consentPageUrl = yield* httpUrl("consentPageUrl", options.consentPageUrl ?? consentPageUrls[environment])
    if (options.clientId.trim() === "") return yield* Effect.fail(invalid("clientId", "must not be empty"))
    const credentials = options.credentials ?? Credentials.none
    const authentication: ClientAuthentication =
      credentials._tag === "ServiceAccount"
        ? { _tag: "ServiceAccount", signer: yield* ClientAssertion.makeSigner(credentials.key) }
        : credentials
    return {
      baseUrl: baseUrl.replace(/\/+$/, ""),
      consentPageUrl,
      clientId: options.clientId,
      authentication,
      timeout: Duration.decode(options.timeout ?? "10 seconds"),
      retrySchedule: options.retrySchedule ?? Retry.defaultSchedule,
      maxRetryAfter:
        options.maxRetryAfter === undefined ? Retry.defaultMaxRetryAfter : Duration.decode(options.maxRetryAfter),
      bodyEncoding: options.bodyEncoding ?? "json"
    }
  })

/** A configuration from plain values. */
export const layer = (
  options: Options
): Layer.Layer<HmOAuthConfig, ConfigError.ConfigError | InvalidServiceAccountKey> =>
  Layer.effect(HmOAuthConfig, make(options))

const fromConfig = Config.all({
  clientId: Config.nonEmptyString("HM_OAUTH_CLIENT_ID"),
  environment: Config.literal(
    "sandbox",
    "production"
  )("HM_OAUTH_ENVIRONMENT").pipe(Config.withDefault("sandbox" as const)),
  baseUrl: Config.string("HM_OAUTH_BASE_URL").pipe(Config.option, Config.map(Option.getOrUndefined)),
  consentPageUrl: Config.string("HM_OAUTH_CONSENT_PAGE_URL").pipe(Config.option, Config.map(Option.getOrUndefined)),
  timeout: Config.duration("HM_OAUTH_TIMEOUT").pipe(Config.option, Config.map(Option.getOrUndefined)),
  bodyEncoding: Config.literal(
    "json",
    "form"
  )("HM_OAUTH_BODY_ENCODING").pipe(Config.option, Config.map(Option.getOrUndefined)),
  secret: Config.option(Config.redacted("HM_OAUTH_CLIENT_SECRET")),
  serviceAccountKey: Config.option(Config.redacted("HM_OAUTH_SERVICE_ACCOUNT_KEY"))
})

/**
 * A configuration read from `Config` (by default the environment): `HM_OAUTH_CLIENT_ID` (required),
 * `HM_OAUTH_ENVIRONMENT` (`sandbox` | `production`), `HM_OAUTH_BASE_URL`, `HM_OAUTH_CONSENT_PAGE_URL`,
 * `HM_OAUTH_TIMEOUT` (e.g. `10 seconds`), `HM_OAUTH_BODY_ENCODING` (`json` | `form`), and at most one of
 * `HM_OAUTH_CLIENT_SECRET` and `HM_OAUTH_SERVICE_ACCOUNT_KEY` (the console's key JSON), both read with
 * `Config.redacted`.
 */
export const layerConfig: Layer.Layer<HmOAuthConfig, ConfigError.ConfigError | InvalidServiceAccountKey> = Layer.effect(
  HmOAuthConfig,
  Effect.gen(function* () {
    const { secret, serviceAccountKey, ...read } = yield* fromConfig
    if (Option.isSome(secret) && Option.isSome(serviceAccountKey)) {
      return yield* Effect.fail(
        ConfigError.InvalidData([], "set HM_OAUTH_CLIENT_SECRET or HM_OAUTH_SERVICE_ACCOUNT_KEY, not both")
      )
    }
    const credentials = Option.isSome(secret)
      ? Credentials.clientSecret(secret.value)
      : Option.isSome(serviceAccountKey)
        ? Credentials.serviceAccount(yield* Credentials.serviceAccountKeyFromJson(serviceAccountKey.value))
        : Credentials.none
    return yield* make({ ...read, credentials })
  })
)

const invalid = (name: string, problem: string) => ConfigError.InvalidData([name], `${name} ${problem}`)

const httpUrl = (name: string, value: string): Effect.Effect<string, ConfigError.ConfigError> => {
  const url = URL.canParse(value) ? new URL(value) : undefined
  return url !== undefined && (url.protocol === "https:" || url.protocol === "http:")
    ? Effect.succeed(value)
    : Effect.fail(invalid(name, `must be an http(s) URL, got ${JSON.stringify(value)}`))
}
