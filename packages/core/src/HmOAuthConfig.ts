/**
 * Where the API is, who the client is and how it behaves on the wire. Build it from plain values with `layer`,
 * or from the environment with `layerConfig`. Anything that cannot work is refused with a `ConfigError` that
 * names the option (for `layerConfig`, the environment variable), all problems at once.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { Config, ConfigError, Context, Duration, Effect, Either, Layer, Option, Redacted } from "effect"
import * as ClientAssertion from "./ClientAssertion.js"
import * as Credentials from "./Credentials.js"
import type { InvalidServiceAccountKey } from "./HmOAuthError.js"
import { visibleAscii } from "./internal/syntax.js"
import * as Retry from "./Retry.js"

/**
 * The two High Mobility environments.
 *
 * @since 0.1.0
 * @category models
 */
export type Environment = "sandbox" | "production"

/**
 * API base URLs per environment. Take yours from the console when it lists another.
 *
 * @since 0.1.0
 * @category constants
 */
export const apiBaseUrls: Readonly<Record<Environment, string>> = {
  sandbox: "https://sandbox.api.high-mobility.com",
  production: "https://api.high-mobility.com"
}

/**
 * Consent (owner panel) pages per environment.
 *
 * @since 0.1.0
 * @category constants
 */
export const consentPageUrls: Readonly<Record<Environment, string>> = {
  sandbox: "https://sandbox.owner-panel.high-mobility.com/oauth/new",
  production: "https://owner-panel.high-mobility.com/oauth/new"
}

/**
 * How token and revocation request bodies are encoded: JSON as in the spec, or RFC 6749 form encoding.
 *
 * @since 0.1.0
 * @category models
 */
export type BodyEncoding = "json" | "form"

/**
 * The default bound on a response body: 64 KiB, a hundred times a token response.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxResponseBytes = 64 * 1024

/**
 * The options of `layer`. Only `clientId` is required.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly clientId: string
  /** Default `none`: a public PKCE app. */
  readonly credentials?: Credentials.Credentials | undefined
  /** Default `"sandbox"`; picks the default API and consent page addresses. */
  readonly environment?: Environment | undefined
  /** A custom API base URL, e.g. a fake server's: http(s), no query, fragment or user info. */
  readonly baseUrl?: string | undefined
  /** A custom consent page URL: http(s), no fragment or user info. */
  readonly consentPageUrl?: string | undefined
  /** Timeout of each attempt (retries get their own). Default 10 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Default `Retry.defaultSchedule`. */
  readonly retrySchedule?: Retry.RetrySchedule | undefined
  /** A `Retry-After` longer than this ends the retries. Default 60 seconds. */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
  /** The longest a call may take with its retries and the waits between them. Default 30 seconds. */
  readonly retryBudget?: Duration.DurationInput | undefined
  /** Default `"json"`. */
  readonly bodyEncoding?: BodyEncoding | undefined
  /** A response body longer than this is refused (`UnexpectedResponse`) without being read further. Default 64 KiB. */
  readonly maxResponseBytes?: number | undefined
}

/**
 * How the client authenticates, resolved once: a service-account key is imported when the layer is built.
 *
 * @since 0.1.0
 * @category models
 */
export type ClientAuthentication =
  | { readonly _tag: "ClientSecret"; readonly secret: Redacted.Redacted<string> }
  | { readonly _tag: "ServiceAccount"; readonly signer: ClientAssertion.Signer }
  | { readonly _tag: "None" }

/**
 * The resolved configuration every service reads.
 *
 * @since 0.1.0
 * @category models
 */
export interface Resolved {
  /** Without a trailing slash, e.g. `https://sandbox.api.high-mobility.com`. */
  readonly baseUrl: string
  readonly consentPageUrl: string
  readonly clientId: string
  readonly authentication: ClientAuthentication
  readonly timeout: Duration.Duration
  readonly retrySchedule: Retry.RetrySchedule
  readonly maxRetryAfter: Duration.Duration
  readonly retryBudget: Duration.Duration
  readonly bodyEncoding: BodyEncoding
  readonly maxResponseBytes: number
}

/**
 * The resolved configuration every service reads.
 *
 * @since 0.1.0
 * @category tags
 */
export class HmOAuthConfig extends Context.Tag("@hm-oauth/core/HmOAuthConfig")<HmOAuthConfig, Resolved>() {}

/** How each option is called in an error: its own name for `layer`, its environment variable for `layerConfig`. */
type Names = { readonly [K in keyof Options]-?: string }

const optionNames: Names = {
  clientId: "clientId",
  credentials: "credentials",
  environment: "environment",
  baseUrl: "baseUrl",
  consentPageUrl: "consentPageUrl",
  timeout: "timeout",
  retrySchedule: "retrySchedule",
  maxRetryAfter: "maxRetryAfter",
  retryBudget: "retryBudget",
  bodyEncoding: "bodyEncoding",
  maxResponseBytes: "maxResponseBytes"
}

/** A check of one option: its value, or the problem, in words that never quote a secret. */
type Checked<A> = Either.Either<A, string>

const httpUrl = (value: string, allowQuery: boolean): Checked<string> => {
  if (!URL.canParse(value)) return Either.left("must be an absolute http(s) URL")
  const url = new URL(value)
  if (url.protocol !== "https:" && url.protocol !== "http:") return Either.left("must be an http(s) URL")
  // the URL is not quoted: user info would be a credential
  if (url.username !== "" || url.password !== "") return Either.left("must not carry a user name or password")
  if (value.includes("#")) return Either.left("must not have a fragment")
  if (!allowQuery && value.includes("?")) return Either.left("must not have a query: paths are appended to it")
  return Either.right(value)
}

const example = "such as `10 seconds`"

const duration = (
  value: Duration.DurationInput | string,
  least: "positive" | "non-negative"
): Checked<Duration.Duration> =>
  Option.match(Duration.decodeUnknown(value), {
    onNone: () => Either.left(`must be a duration ${example}, got ${JSON.stringify(String(value))}`),
    onSome: (decoded) =>
      Duration.lessThan(decoded, Duration.zero) || (least === "positive" && Duration.isZero(decoded))
        ? Either.left(`must be a ${least} duration ${example}`)
        : Either.right(decoded)
  })

const finiteDuration = (value: Duration.DurationInput | string): Checked<Duration.Duration> =>
  Either.flatMap(duration(value, "positive"), (decoded) =>
    Duration.isFinite(decoded) ? Either.right(decoded) : Either.left(`must be a finite duration ${example}`)
  )

const credentialsOf = (credentials: Credentials.Credentials): Checked<Credentials.Credentials> => {
  if (credentials._tag !== "ClientSecret") return Either.right(credentials)
  const secret = Redacted.value(credentials.secret)
  if (secret === "") return Either.left("the client secret must not be empty")
  return visibleAscii.test(secret)
    ? Either.right(credentials)
    : Either.left("the client secret must be visible ASCII characters (RFC 6749 Appendix A.2)")
}

const responseBytes = { min: 1024, max: 64 * 1024 * 1024 } as const

const oneOf = <A extends string>(value: unknown, allowed: ReadonlyArray<A>): Checked<A> => {
  const found = allowed.find((candidate) => candidate === value)
  return found === undefined
    ? Either.left(`must be ${allowed.map((a) => `\`${a}\``).join(" or ")}`)
    : Either.right(found)
}

/** The options as they come in, before they are checked: what `layerConfig` reads is any string. */
interface Unchecked
  extends Omit<Options, "environment" | "bodyEncoding" | "timeout" | "maxRetryAfter" | "retryBudget"> {
  readonly environment?: string | undefined
  readonly bodyEncoding?: string | undefined
  readonly timeout?: Duration.DurationInput | string | undefined
  readonly maxRetryAfter?: Duration.DurationInput | string | undefined
  readonly retryBudget?: Duration.DurationInput | string | undefined
}

/**
 * Checks every option, naming each by `names`, and resolves them: URLs must be http(s) without a fragment or user
 * info (the base URL without a query either), the client id visible ASCII, the timeout a finite positive
 * duration, the budget positive, the encoding known, the body bound from 1 KiB to 64 MiB, a client secret
 * non-empty visible ASCII, a service-account key valid. Every problem is reported, not only the first.
 */
const resolve = (
  options: Unchecked,
  names: Names
): Effect.Effect<Resolved, ConfigError.ConfigError | InvalidServiceAccountKey> =>
  Effect.gen(function* () {
    const problems: Array<ConfigError.ConfigError> = []
    // the fallback only stands in for a refused value until the problems are reported
    const check = <A>(option: keyof Names, checked: Checked<A>, fallback: A): A =>
      Either.getOrElse(checked, (text) => {
        problems.push(ConfigError.InvalidData([names[option]], `${names[option]} ${text}`))
        return fallback
      })
    const environment = check(
      "environment",
      oneOf<Environment>(options.environment ?? "sandbox", ["sandbox", "production"]),
      "sandbox"
    )
    const clientId = check(
      "clientId",
      options.clientId.trim() !== "" && visibleAscii.test(options.clientId)
        ? Either.right(options.clientId)
        : Either.left("must be a non-empty string of visible ASCII characters"),
      ""
    )
    const credentials = check("credentials", credentialsOf(options.credentials ?? Credentials.none), Credentials.none)
    const baseUrl = check("baseUrl", httpUrl(options.baseUrl ?? apiBaseUrls[environment], false), "")
    const consentPageUrl = check(
      "consentPageUrl",
      httpUrl(options.consentPageUrl ?? consentPageUrls[environment], true),
      ""
    )
    const timeout = check("timeout", finiteDuration(options.timeout ?? "10 seconds"), Duration.zero)
    const maxRetryAfter = check(
      "maxRetryAfter",
      duration(options.maxRetryAfter ?? Retry.defaultMaxRetryAfter, "non-negative"),
      Duration.zero
    )
    const retryBudget = check(
      "retryBudget",
      duration(options.retryBudget ?? Retry.defaultRetryBudget, "positive"),
      Duration.zero
    )
    const bodyEncoding = check(
      "bodyEncoding",
      oneOf<BodyEncoding>(options.bodyEncoding ?? "json", ["json", "form"]),
      "json"
    )
    const maxResponseBytes = check(
      "maxResponseBytes",
      options.maxResponseBytes === undefined ||
        (Number.isInteger(options.maxResponseBytes) &&
          options.maxResponseBytes >= responseBytes.min &&
          options.maxResponseBytes <= responseBytes.max)
        ? Either.right(options.maxResponseBytes ?? defaultMaxResponseBytes)
        : Either.left(`must be a whole number of bytes from ${responseBytes.min} to ${responseBytes.max}`),
      0
    )
    if (problems.length > 0) return yield* Effect.fail(problems.reduce(ConfigError.And))
    const authentication: ClientAuthentication =
      credentials._tag === "ServiceAccount"
        ? { _tag: "ServiceAccount", signer: yield* ClientAssertion.makeSigner(credentials.key) }
        : credentials
    return {
      baseUrl: baseUrl.replace(/\/+$/, ""),
      consentPageUrl,
      clientId,
      authentication,
      timeout,
      retrySchedule: options.retrySchedule ?? Retry.defaultSchedule,
      maxRetryAfter,
      retryBudget,
      bodyEncoding,
      maxResponseBytes
    }
  })

/**
 * Resolves and checks the options; a problem is a `ConfigError` at the option's name.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Resolved, ConfigError.ConfigError | InvalidServiceAccountKey> =>
  resolve(options, optionNames)

/**
 * A configuration from plain values.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<HmOAuthConfig, ConfigError.ConfigError | InvalidServiceAccountKey> =>
  Layer.effect(HmOAuthConfig, make(options))

/** The environment variables, by option; the credentials are named by whichever variable supplied them. */
const variables = {
  clientId: "HM_OAUTH_CLIENT_ID",
  environment: "HM_OAUTH_ENVIRONMENT",
  baseUrl: "HM_OAUTH_BASE_URL",
  consentPageUrl: "HM_OAUTH_CONSENT_PAGE_URL",
  timeout: "HM_OAUTH_TIMEOUT",
  retrySchedule: "retrySchedule",
  maxRetryAfter: "HM_OAUTH_MAX_RETRY_AFTER",
  retryBudget: "HM_OAUTH_RETRY_BUDGET",
  bodyEncoding: "HM_OAUTH_BODY_ENCODING",
  maxResponseBytes: "HM_OAUTH_MAX_RESPONSE_BYTES",
  secret: "HM_OAUTH_CLIENT_SECRET",
  key: "HM_OAUTH_SERVICE_ACCOUNT_KEY",
  keyFile: "HM_OAUTH_SERVICE_ACCOUNT_KEY_FILE"
} as const

const optional = <A>(config: Config.Config<A>) => config.pipe(Config.option, Config.map(Option.getOrUndefined))

// Strings, checked by `resolve`, so that a bad value gets the same words from `layer` and `layerConfig`.
const fromConfig = Config.all({
  clientId: Config.string(variables.clientId),
  environment: optional(Config.string(variables.environment)),
  baseUrl: optional(Config.string(variables.baseUrl)),
  consentPageUrl: optional(Config.string(variables.consentPageUrl)),
  timeout: optional(Config.string(variables.timeout)),
  maxRetryAfter: optional(Config.string(variables.maxRetryAfter)),
  retryBudget: optional(Config.string(variables.retryBudget)),
  bodyEncoding: optional(Config.string(variables.bodyEncoding)),
  maxResponseBytes: optional(Config.string(variables.maxResponseBytes)),
  secret: optional(Config.redacted(variables.secret)),
  key: optional(Config.redacted(variables.key)),
  keyFile: optional(Config.string(variables.keyFile))
})

/** Reads the console's key JSON from the variable or the file, whichever is set. */
const serviceAccountKey = (
  key: Redacted.Redacted<string> | undefined,
  keyFile: string | undefined
): Effect.Effect<
  Credentials.Credentials | undefined,
  ConfigError.ConfigError | InvalidServiceAccountKey,
  FileSystem.FileSystem
> =>
  Effect.gen(function* () {
    if (key !== undefined) return Credentials.serviceAccount(yield* Credentials.serviceAccountKeyFromJson(key))
    if (keyFile === undefined) return undefined
    const json = yield* Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(keyFile)).pipe(
      Effect.mapError((error) =>
        ConfigError.InvalidData([variables.keyFile], `${variables.keyFile} cannot be read (${error.message})`)
      )
    )
    return Credentials.serviceAccount(yield* Credentials.serviceAccountKeyFromJson(Redacted.make(json)))
  })

/**
 * A configuration read from `Config` (by default the environment): `HM_OAUTH_CLIENT_ID` (required),
 * `HM_OAUTH_ENVIRONMENT` (`sandbox` | `production`), `HM_OAUTH_BASE_URL`, `HM_OAUTH_CONSENT_PAGE_URL`,
 * `HM_OAUTH_TIMEOUT` (e.g. `10 seconds`), `HM_OAUTH_RETRY_BUDGET`, `HM_OAUTH_MAX_RETRY_AFTER`,
 * `HM_OAUTH_BODY_ENCODING` (`json` | `form`), `HM_OAUTH_MAX_RESPONSE_BYTES`, and at most one of
 * `HM_OAUTH_CLIENT_SECRET`, `HM_OAUTH_SERVICE_ACCOUNT_KEY` (the console's key JSON) and
 * `HM_OAUTH_SERVICE_ACCOUNT_KEY_FILE` (the file the console downloads, read with the `FileSystem`), secrets read
 * with `Config.redacted`. A problem is a `ConfigError` at the variable's name.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<
  HmOAuthConfig,
  ConfigError.ConfigError | InvalidServiceAccountKey,
  FileSystem.FileSystem
> = Layer.effect(
  HmOAuthConfig,
  Effect.gen(function* () {
    const { key, keyFile, maxResponseBytes, secret, ...read } = yield* fromConfig
    const given = [
      secret === undefined ? [] : [variables.secret],
      key === undefined ? [] : [variables.key],
      keyFile === undefined ? [] : [variables.keyFile]
    ].flat()
    if (given.length > 1) {
      const message = `set one of ${variables.secret}, ${variables.key} and ${variables.keyFile}, not ${given.join(" and ")}`
      return yield* Effect.fail(ConfigError.InvalidData([given[1]!], message))
    }
    const credentials = secret === undefined ? yield* serviceAccountKey(key, keyFile) : Credentials.clientSecret(secret)
    const names: Names = { ...variables, credentials: given[0] ?? variables.secret }
    return yield* resolve(
      {
        ...read,
        maxResponseBytes: maxResponseBytes === undefined ? undefined : Number(maxResponseBytes),
        credentials
      },
      names
    )
  })
)
