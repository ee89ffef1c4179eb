/**
 * The consent flow around the token endpoint: the URL of the owner panel's consent page, and the reading of the
 * callback the owner is redirected to (`redirect_uri?code=…&state=…` or `?error=…`).
 *
 * @since 0.1.0
 */
import { DateTime, Effect, Encoding, Redacted } from "effect"
import { HmOAuthConfig } from "./HmOAuthConfig.js"
import {
  AccessDenied,
  AuthorizationFailed,
  type CallbackError,
  InvalidCallback,
  StateMismatch
} from "./HmOAuthError.js"
import { limits } from "./internal/redact.js"
import { visibleAscii } from "./internal/syntax.js"
import * as Pkce from "./Pkce.js"

/** The parameters of a consent page URL. Every value is URL-encoded. */
export interface ConsentUrlParams {
  readonly consentPageUrl: string
  readonly clientId: string
  readonly redirectUri: string
  readonly state: string
  /** The S256 challenge of a PKCE verifier (public apps). */
  readonly codeChallenge?: string | undefined
  /** The High Mobility app id (24 hex characters) when the client serves several apps. */
  readonly appId?: string | undefined
  readonly validityStart?: DateTime.DateTime | undefined
  readonly validityEnd?: DateTime.DateTime | undefined
}

/** Builds a consent page URL with the query parameters High Mobility's SDKs use. */
export const consentUrl = (params: ConsentUrlParams): string => {
  const url = new URL(params.consentPageUrl)
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined) url.searchParams.set(name, value)
  }
  set("client_id", params.clientId)
  set("redirect_uri", params.redirectUri)
  set("state", params.state)
  set("app_id", params.appId)
  set("code_challenge", params.codeChallenge)
  // RFC 7636 reads a challenge without a method as "plain"; say S256 so a strict server checks it right.
  set("code_challenge_method", params.codeChallenge === undefined ? undefined : "S256")
  set("validity_start_date", params.validityStart && DateTime.formatIso(params.validityStart))
  set("validity_end_date", params.validityEnd && DateTime.formatIso(params.validityEnd))
  return url.toString()
}

/** The options of `begin`. */
export interface BeginOptions {
  readonly redirectUri: string
  readonly appId?: string | undefined
  /** Use PKCE. Default: yes for a public app (no credentials), no otherwise. */
  readonly pkce?: boolean | undefined
  readonly validityStart?: DateTime.DateTime | undefined
  readonly validityEnd?: DateTime.DateTime | undefined
}

/**
 * A consent request: send the owner to `url`; keep the rest for the callback (`state`) and the exchange
 * (`redirectUri`, `codeVerifier`): `TokenEndpoint.exchangeCode({ ...request, code })`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConsentRequest {
  readonly url: string
  readonly state: string
  readonly redirectUri: string
  /** The PKCE verifier, when the consent used PKCE. */
  readonly codeVerifier?: Redacted.Redacted<string> | undefined
}

/**
 * Starts a consent: a fresh random `state` (256 bits), a PKCE pair if wanted, and the consent page URL.
 *
 * @since 0.1.0
 * @category constructors
 */
export const begin = (options: BeginOptions): Effect.Effect<ConsentRequest, never, HmOAuthConfig> =>
  Effect.gen(function* () {
    const config = yield* HmOAuthConfig
    const state = Encoding.encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)))
    const pkce = (options.pkce ?? config.authentication._tag === "None") ? yield* Pkce.make : undefined
    const url = consentUrl({
      consentPageUrl: config.consentPageUrl,
      clientId: config.clientId,
      redirectUri: options.redirectUri,
      state,
      codeChallenge: pkce?.challenge,
      appId: options.appId,
      validityStart: options.validityStart,
      validityEnd: options.validityEnd
    })
    return { url, state, redirectUri: options.redirectUri, codeVerifier: pkce?.verifier }
  })

/** Whatever comes in a URL is shown at most this long. */
const bounded = (text: string, limit: number): string => (text.length > limit ? `${text.slice(0, limit)}…` : text)

/** RFC 6749 §3.1: no parameter of an authorization response may appear twice. */
const callbackParameters = ["code", "state", "error", "error_description", "error_uri"] as const

/**
 * Reads the callback URL (absolute, or the path and query a web framework hands over) and returns the code.
 * The `state` is checked first, so a forged error redirect is reported as the mismatch it is; a repeated
 * parameter (RFC 6749 §3.1), an empty expected state (nothing left to check) and a URL that is no callback at
 * all are `InvalidCallback`.
 *
 * @since 0.1.0
 * @category parsers
 */
export const parseCallback = (
  callbackUrl: string,
  expectedState: string
): Effect.Effect<Redacted.Redacted<string>, CallbackError> =>
  Effect.suspend((): Effect.Effect<Redacted.Redacted<string>, CallbackError> => {
    if (expectedState === "") {
      return Effect.fail(
        new InvalidCallback({ problem: "the expected state is empty, so the state cannot be checked" })
      )
    }
    if (callbackUrl.trim() === "" || !URL.canParse(callbackUrl, "http://callback.invalid")) {
      return Effect.fail(new InvalidCallback({ problem: "not a URL" }))
    }
    const query = new URL(callbackUrl, "http://callback.invalid").searchParams
    const repeated = callbackParameters.find((name) => query.getAll(name).length > 1)
    if (repeated !== undefined)
      return Effect.fail(new InvalidCallback({ problem: `${repeated} appears more than once` }))
    if (!query.has("code") && !query.has("error") && !query.has("state")) {
      return Effect.fail(new InvalidCallback({ problem: "neither code, error nor state in the query" }))
    }
    if (query.get("state") !== expectedState) return Effect.fail(new StateMismatch())
    const description = query.get("error_description")
    const described = description === null ? {} : { description: bounded(description, limits.description) }
    const error = query.get("error")
    if (error === "access_denied") return Effect.fail(new AccessDenied(described))
    if (error !== null)
      return Effect.fail(new AuthorizationFailed({ error: bounded(error, limits.short), ...described }))
    const code = query.get("code")
    if (code === null || code === "") {
      return Effect.fail(new InvalidCallback({ problem: "neither code nor error in the query" }))
    }
    // RFC 6749 Appendix A.11: a code is visible ASCII; anything else could not be sent as it is
    return visibleAscii.test(code)
      ? Effect.succeed(Redacted.make(code))
      : Effect.fail(new InvalidCallback({ problem: "the code holds characters outside visible ASCII" }))
  })
