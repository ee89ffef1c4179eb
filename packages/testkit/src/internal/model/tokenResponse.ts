import type { Consent, Policy } from "../../Model.js"
import type { JsonObject } from "../fields.js"
import { isoMicros } from "./time.js"
import { jsonReply, type Reply } from "./wire.js"

/** A successful token response; RFC 6749 §5.1 forbids caching it. */
export const tokenReply = (policy: Policy, body: JsonObject): Reply =>
  jsonReply(policy.successStatus, body, { "cache-control": "no-store" })

/** The token response of the consent flow (code exchange and refresh), shaped like the spec's examples. */
export const consentTokenReply = (
  policy: Policy,
  consent: Consent,
  scopes: ReadonlyArray<string>,
  accessToken: string,
  refreshToken: string
): Reply =>
  tokenReply(policy, {
    access_token: accessToken,
    token_type: "bearer",
    expires_in: policy.accessTokenLifetime,
    refresh_token: refreshToken,
    scope: scopes.join(" "),
    status: consent.status,
    authorization_id: consent.authorizationId,
    ...(consent.validFrom === undefined ? {} : { validity_start_date: isoMicros(consent.validFrom) }),
    ...(consent.validUntil === undefined ? {} : { validity_end_date: isoMicros(consent.validUntil) })
  })
