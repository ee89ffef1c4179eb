import type { State } from "../../Model.js"
import { parseAuthorization } from "../bearer.js"
import { withinValidity } from "./consent.js"
import { type BearerError, BearerErrors, bearerErrorReply, malformedAuthorizationReply } from "./errors.js"
import { consentOf, tokenOf } from "./records.js"
import { tokenStatus } from "./tokenStatus.js"
import { type Handler, jsonReply, type Reply } from "./wire.js"

/** The vehicle and subject the header's token reads, or why it reads nothing. */
const answer = (state: State, now: number, authorization: string | undefined): Reply | BearerError => {
  const credentials = parseAuthorization(authorization)
  if (credentials._tag === "None") return BearerErrors.missing
  // RFC 6750 §3.1: two headers, two tokens or a broken one is a malformed request, not a bad token
  if (credentials._tag === "Malformed") return malformedAuthorizationReply
  const token = tokenOf(state, credentials.token)
  // client-credentials tokens act for the application, not for a car: they read no vehicle
  if (token?.kind !== "access") return BearerErrors.invalid
  const consent = consentOf(state, token.authorizationId)
  if (consent === undefined) return BearerErrors.revoked
  if (consent.status === "revoked")
    return consent.revokedBy === "oem" ? BearerErrors.removedByOem : BearerErrors.revoked
  const status = tokenStatus(state, now, token)
  if (status === "revoked") return BearerErrors.invalid
  if (status === "expired") return BearerErrors.expired
  // BMW and MINI keep a consent pending until the owner approves it in the carmaker's portal
  if (consent.status === "pending") return BearerErrors.pending
  if (!withinValidity(consent, now)) return BearerErrors.outsideValidity
  return jsonReply(200, { vin: consent.vin, sub: consent.sub })
}

/** GET /v1/vehicleinfo: the vehicle and subject of the consent behind a bearer access token. */
export const vehicleInfo: Handler = (state, now, { headers }) => {
  const answered = answer(state, now, headers.authorization)
  return "status" in answered ? [answered, state] : bearerErrorReply(state, answered)
}
