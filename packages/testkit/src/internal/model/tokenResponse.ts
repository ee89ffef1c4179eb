import type { Consent, Policy } from "../../Model.js"
import type { JsonObject } from "../fields.js"
import { isoMicros } from "./time.js"
import { jsonReply, type Reply } from "./wire.js"

// RFC 6749 §5.1: no cache may keep a token response, HTTP/1.0 ones included
const noCache = { "cache-control": "no-store", pragma: "no-cache" }

/** A successful token response. */
export const tokenReply = (policy: Policy, body: JsonObject): Reply => jsonReply(policy.successStatus, body, noCache)

/** The token response of the consent flow (code exchange and refresh), shaped like the spec's examples. */
export const consentTokenReply = (
  policy: Policy,
  consent: Consent,
  scopes: ReadonlyArray<string>,
  accessToken: string,
  refreshToken: string
): Reply => {
  const body: Record<string, unknown> = {
    access_token: accessToken,
    token_type: "bearer",
    expires_in: policy.accessTokenLifetime,
    refresh_token: refreshToken,
    scope: scopes.join(" "),
    status: consent.status,
    authorization_id: consent.authorizationId
  }
  // added one by one, not spread in: a spread copies through V8's slow path, and every token response passes here
  if (consent.validFrom !== undefined) body.validity_start_date = isoMicros(consent.validFrom)
  if (consent.validUntil !== undefined) body.validity_end_date = isoMicros(consent.validUntil)
  return tokenReply(policy, body)
}
