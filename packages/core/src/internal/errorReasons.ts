/**
 * Turns what a server says into a reason a caller can branch on. High Mobility answers `invalid_request` for
 * nearly every token error, so the description decides; a precise RFC 6749 code, when sent, wins.
 */
import type { OAuthErrorReason, UnauthorizedReason } from "../HmOAuthError.js"
import type { Operation } from "../Operation.js"

const byRfcCode: Readonly<Record<string, OAuthErrorReason>> = {
  invalid_grant: "InvalidGrant",
  invalid_client: "InvalidClient",
  unsupported_grant_type: "UnsupportedGrantType",
  invalid_scope: "InvalidScope",
  unauthorized_client: "UnauthorizedClient"
}

/**
 * Error codes of the OAuth RFCs (6749 §5.2, 6750 §3.1, 7009 §2.2.1) and the titles High Mobility refuses tokens
 * with: a fixed vocabulary, shown as sent, since it cannot be an echo of anything the client sent.
 */
const vocabulary = new Set([
  ...Object.keys(byRfcCode),
  "invalid_request",
  "invalid_token",
  "insufficient_scope",
  "unsupported_token_type",
  "access_denied",
  "server_error",
  "temporarily_unavailable",
  "Unauthorized",
  "Forbidden",
  "unauthorized"
])

/** Whether an error code or title is one of the fixed vocabulary. */
export const isRegisteredCode = (code: string): boolean => vocabulary.has(code)

/** First match wins: ordered from the most specific description to the most general. */
const byDescription: ReadonlyArray<readonly [RegExp, OAuthErrorReason]> = [
  [/can't be blank|is missing|malformed/i, "InvalidRequest"],
  [/not authori[sz]ed/i, "UnauthorizedClient"],
  [/\bclient_(id|secret|assertion|assertion_type)\b|expired key/i, "InvalidClient"],
  [/\bgrant_type\b/i, "UnsupportedGrantType"],
  [/\bscope\b/i, "InvalidScope"],
  [/\b(code|refresh_token|code_verifier|redirect_uri|authorization)\b/i, "InvalidGrant"]
]

/**
 * The reason of an OAuth error body `{ error, error_description }` answering `operation`. Another client's token
 * is a dead grant when refreshing (RFC 6749 §5.2) but a refusal of the client when revoking (RFC 7009 §2.2.1).
 */
export const oauthErrorReason = (
  operation: Operation,
  error: string,
  description: string | undefined
): OAuthErrorReason => {
  const precise = byRfcCode[error]
  if (precise !== undefined) return precise
  if (error !== "invalid_request") return "Unknown"
  if (description !== undefined && /not issued to this client/i.test(description)) {
    return operation === "revoke" ? "UnauthorizedClient" : "InvalidGrant"
  }
  const matched = description === undefined ? undefined : byDescription.find(([pattern]) => pattern.test(description))
  return matched === undefined ? "InvalidRequest" : matched[1]
}

const unauthorizedByText: ReadonlyArray<readonly [RegExp, UnauthorizedReason]> = [
  [/expired/i, "ExpiredToken"],
  [/pending/i, "ConsentPending"],
  [/no active consent|validity/i, "NoActiveConsent"],
  [/removed|revoked|withdrawn/i, "ConsentRevoked"],
  [/invalid|missing|malformed|unknown/i, "InvalidToken"]
]

/** The reason of a refused access token, from its error code and description together. */
export const unauthorizedReason = (text: string): UnauthorizedReason =>
  unauthorizedByText.find(([pattern]) => pattern.test(text))?.[1] ?? "Unknown"
