import { Schema } from "effect"
import { Seconds } from "../durations.js"

/** The policy's knobs, each with its type: the one declaration `Model.Policy` and the configuration file read. */
export const Policy = Schema.Struct({
  /** Lifetime of consent-flow access tokens (HM: 3600). */
  accessTokenLifetime: Seconds,
  /** Lifetime of client-credentials JWTs (HM: 300). */
  clientCredentialsTokenLifetime: Seconds,
  /** Lifetime of authorization codes (RFC 6749 §4.1.2: at most 600). */
  codeLifetime: Seconds,
  /** Lifetime of refresh tokens, or null for unlimited. */
  refreshTokenLifetime: Schema.NullOr(Seconds),
  /** Whether each refresh supersedes the refresh token with a new one (RFC 9700 §4.14). */
  rotateRefreshTokens: Schema.Boolean,
  /** How long after rotation a superseded refresh token still refreshes without revoking its family. */
  refreshReuseGrace: Seconds,
  /** Whether revoking a refresh token also revokes its family's access tokens (RFC 7009 §2.1). */
  cascadeRevocation: Schema.Boolean,
  /** Whether `grant_type: "refresh"`, the spelling of the spec's examples, means `refresh_token`. */
  acceptRefreshGrantQuirk: Schema.Boolean,
  /** Status of a successful token response: HM answers 200, its SDKs also accept 201. */
  successStatus: Schema.Literal(200, 201),
  /** "hm": every error is 400 `invalid_request`, the kind only in the description; "rfc6749": precise codes. */
  errorStyle: Schema.Literal("hm", "rfc6749"),
  /** The `aud` client assertions must name: the API base URL + "/v1". */
  audience: Schema.String,
  /** How far in the future a client assertion's `iat` may lie (clock skew). */
  assertionIatSkew: Seconds,
  /** How long after its `iat` a client assertion is accepted. */
  assertionMaxAge: Seconds,
  /**
   * Whether a client may send its id and secret in an `Authorization: Basic` header (RFC 6749 §2.3.1) rather than
   * the body. Off (HM documents only the body), such a request is refused as `invalid_client`, never ignored.
   */
  clientSecretBasic: Schema.Boolean,
  /**
   * What a refresh does once the consent's `validity_end_date` has passed: "refuse" it (`invalid_grant`: the
   * authorization is over) or "issue" tokens anyway, which read nothing (vehicle info: outside the validity period).
   */
  refreshAfterValidityEnd: Schema.Literal("refuse", "issue"),
  /**
   * The shape of vehicle info's 401s: "oauth", `{ error, error_description }` as the spec documents; or as HM's
   * other resource APIs answer, "errors", `{ errors: [{ title, detail, source }], request_id }`, or "array", a bare
   * `[{ title, detail, source }]`, with HM's details ("Invalid token", "Expired token", "No active consent", …).
   */
  resourceErrorShape: Schema.Literal("oauth", "errors", "array"),
  /** Whether public clients must send a PKCE challenge when authorizing (RFC 9700 §2.1.1). */
  requirePkceForPublicClients: Schema.Boolean,
  /** Method assumed for a challenge sent without one: HM's SDKs send none and mean S256. */
  defaultCodeChallengeMethod: Schema.Literal("S256", "plain"),
  /**
   * How long the server remembers what can no longer change an answer but its wording, in seconds: an expired
   * access token (answered "expired" until then, "invalid" after), and a dead grant (its consent, code, family and
   * tokens) once its last refresh token died and its last access token expired. Client-credentials tokens, which
   * read nothing even when live, are forgotten as they expire. Superseded refresh tokens are remembered as long
   * as their family lives (reuse revokes it), and this long after.
   */
  forgetAfter: Seconds,
  /** How many exchanges the history keeps; the oldest are dropped first. */
  historyLimit: Schema.Int.pipe(Schema.between(0, 1_000_000))
})

/** Any of the knobs, each optional: what a configuration file or `Model.make` overrides. */
export const PolicyOverrides = Schema.partialWith(Policy, { exact: true })

export const defaultPolicy: typeof Policy.Type = {
  accessTokenLifetime: 3600,
  clientCredentialsTokenLifetime: 300,
  codeLifetime: 600,
  refreshTokenLifetime: null,
  rotateRefreshTokens: true,
  refreshReuseGrace: 0,
  cascadeRevocation: true,
  acceptRefreshGrantQuirk: true,
  successStatus: 200,
  errorStyle: "hm",
  audience: "https://sandbox.api.high-mobility.com/v1",
  assertionIatSkew: 60,
  assertionMaxAge: 300,
  clientSecretBasic: false,
  refreshAfterValidityEnd: "refuse",
  resourceErrorShape: "oauth",
  requirePkceForPublicClients: true,
  defaultCodeChallengeMethod: "S256",
  forgetAfter: 86_400,
  historyLimit: 10_000
}
