import type { Policy, State } from "../../Model.js"
import { update } from "./copy.js"
import { uuid } from "./rng.js"
import { jsonReply, type Reply } from "./wire.js"

/** The error codes of RFC 6749 §5.2 this server answers with in the "rfc6749" style. */
export type RfcErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"

/** One kind of failure: its precise RFC code and the description HM's server uses for it. */
export interface OAuthError {
  readonly rfcCode: RfcErrorCode
  readonly hmDescription: string
  /** The scheme the client tried in the Authorization header: answered 401 with its challenge (RFC 6749 §5.2). */
  readonly challenge?: "Basic"
}

const entry = (rfcCode: RfcErrorCode, hmDescription: string): OAuthError => ({ rfcCode, hmDescription })

/**
 * The catalogue every token-endpoint failure picks from. Clients classify HM's errors by these exact
 * descriptions (HM answers `invalid_request` for all of them), so they must not drift.
 */
export const OAuthErrors = {
  malformedBody: entry("invalid_request", "request body is malformed"),
  unknownClient: entry("invalid_client", "client_id is invalid"),
  invalidSecret: entry("invalid_client", "client_secret is invalid"),
  basicUnsupported: entry(
    "invalid_client",
    "client_secret must be sent in the body: HTTP Basic authentication is not supported"
  ),
  malformedBasic: entry("invalid_client", "client_id and client_secret in the Authorization header cannot be read"),
  clientIdMismatch: entry("invalid_client", "client_id differs from the one in the Authorization header"),
  multipleMethods: entry("invalid_request", "only one client authentication method may be used"),
  unsupportedGrantType: entry("unsupported_grant_type", "grant_type is invalid"),
  unauthorizedGrant: entry("unauthorized_client", "client is not authorized to use this grant_type"),
  invalidCode: entry("invalid_grant", "code is invalid"),
  redirectMismatch: entry("invalid_grant", "redirect_uri is invalid"),
  invalidVerifier: entry("invalid_grant", "code_verifier is invalid"),
  invalidRefreshToken: entry("invalid_grant", "refresh_token is invalid"),
  authorizationEnded: entry("invalid_grant", "authorization is outside its validity period"),
  // RFC 6749 §5.2: a grant issued to another client is invalid_grant …
  refreshTokenOfOtherClient: entry("invalid_grant", "token was not issued to this client"),
  // … while RFC 7009 §2.1 refuses the revocation request itself
  revokeTokenOfOtherClient: entry("unauthorized_client", "token was not issued to this client"),
  invalidScope: entry("invalid_scope", "scope is invalid"),
  invalidAssertionType: entry("invalid_request", "client_assertion_type is invalid"),
  invalidAssertion: entry("invalid_client", "client_assertion is invalid"),
  expiredKey: entry("invalid_client", "client_assertion is signed with an expired key"),
  invalidAudience: entry("invalid_client", "client_assertion has an invalid audience"),
  invalidSubject: entry("invalid_client", "client_assertion has an invalid subject"),
  expiredAssertion: entry("invalid_client", "client_assertion is expired"),
  assertionNotYetValid: entry("invalid_client", "client_assertion is not yet valid"),
  replayedAssertion: entry("invalid_client", "client_assertion has already been used")
} as const

/** Blank required parameters, reported together as in the spec's example. */
export const missingParameters = (names: ReadonlyArray<string>): OAuthError =>
  entry("invalid_request", names.map((name) => `${name} can't be blank`).join(", "))

/** The reply for a failure in the policy's error style. */
export const errorReply = (policy: Policy, error: OAuthError): Reply => {
  const body =
    policy.errorStyle === "hm"
      ? { error: "invalid_request", error_description: error.hmDescription }
      : { error: error.rfcCode, error_description: error.hmDescription }
  if (error.challenge !== undefined) return jsonReply(401, body, { "www-authenticate": error.challenge })
  return jsonReply(policy.errorStyle === "rfc6749" && error.rfcCode === "invalid_client" ? 401 : 400, body)
}

/** Answers a failure and keeps the given state (which may already record the failure's consequences). */
export const fail = (state: State, error: OAuthError): readonly [Reply, State] => [
  errorReply(state.policy, error),
  state
]

/** A refusal of the vehicle-info endpoint: its description in the spec's shape and its detail in HM's other APIs'. */
export interface BearerError {
  readonly description: string
  readonly detail: string
}

/**
 * The vehicle-info endpoint's 401s. The details are the words HM's other resource APIs use ("Invalid token",
 * "Expired token", "No active consent", "Consent is removed by OEM"); where HM has none documented, the nearest.
 */
export const BearerErrors = {
  missing: { description: "access token is missing", detail: "Missing token" },
  invalid: { description: "access token is invalid", detail: "Invalid token" },
  expired: { description: "access token is expired", detail: "Expired token" },
  pending: { description: "consent is pending", detail: "Consent is pending" },
  revoked: { description: "consent is revoked", detail: "No active consent" },
  removedByOem: { description: "consent is removed by OEM", detail: "Consent is removed by OEM" },
  // not documented by HM: a consent used before its validity_start_date or after its validity_end_date
  outsideValidity: { description: "consent is outside its validity period", detail: "No active consent" }
} as const satisfies Record<string, BearerError>

/** RFC 6750 §3.1: an `Authorization: Bearer` header that holds no single token is `invalid_request`, 400. */
export const malformedAuthorizationReply: Reply = jsonReply(
  400,
  { error: "invalid_request", error_description: "authorization header is malformed" },
  { "www-authenticate": 'Bearer error="invalid_request"' }
)

const entryOf = (error: BearerError) => ({ title: "Unauthorized", detail: error.detail, source: "authorization" })

/**
 * A 401 of the vehicle-info endpoint in the policy's `resourceErrorShape`; RFC 6750 §3 asks for the
 * WWW-Authenticate challenge. HM's `errors` shape carries a request id, drawn from the seeded generator.
 */
export const bearerErrorReply = (state: State, error: BearerError): readonly [Reply, State] => {
  const headers = { "www-authenticate": error === BearerErrors.missing ? "Bearer" : 'Bearer error="invalid_token"' }
  switch (state.policy.resourceErrorShape) {
    case "oauth":
      return [jsonReply(401, { error: "invalid_token", error_description: error.description }, headers), state]
    case "array":
      return [jsonReply(401, [entryOf(error)], headers), state]
    case "errors": {
      const [requestId, rng] = uuid(state.rng)
      return [jsonReply(401, { errors: [entryOf(error)], request_id: requestId }, headers), update(state, { rng })]
    }
  }
}
