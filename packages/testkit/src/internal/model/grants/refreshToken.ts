import { fail, OAuthErrors } from "../errors.js"
import { revokeFamily } from "../families.js"
import { issueTokens, superseded } from "../issue.js"
import { consentOf, putToken, tokenOf } from "../records.js"
import { requestedScopes } from "../scopes.js"
import { after } from "../time.js"
import { consentTokenReply } from "../tokenResponse.js"
import { tokenStatus } from "../tokenStatus.js"
import { param } from "../wire.js"
import type { Grant } from "./grant.js"

/** `grant_type=refresh_token` (RFC 6749 §6), with refresh-token rotation (RFC 9700 §4.14). */
export const refreshGrant: Grant = {
  required: ["refresh_token"],
  publicClients: true,

  exchange: (state, now, client, params) => {
    const value = param(params, "refresh_token") ?? ""
    const token = tokenOf(state, value)
    if (token?.kind !== "refresh") return fail(state, OAuthErrors.invalidRefreshToken)
    // RFC 6749 §6: the refresh token is bound to the client it was issued to
    if (token.clientId !== client.id) return fail(state, OAuthErrors.refreshTokenOfOtherClient)
    const consent = consentOf(state, token.authorizationId)
    const status = tokenStatus(state, now, token)
    if (consent === undefined || status === "revoked" || status === "expired") {
      return fail(state, OAuthErrors.invalidRefreshToken)
    }
    const { policy } = state
    // the owner granted access until validity_end_date: past it the policy says whether the grant is over
    if (policy.refreshAfterValidityEnd === "refuse" && consent.validUntil !== undefined && now >= consent.validUntil) {
      return fail(state, OAuthErrors.authorizationEnded)
    }
    // RFC 9700 §4.14: a superseded token coming back means two parties hold it; the server cannot tell which
    // is legitimate, so the whole family dies. The grace spares a client that retried a lost response.
    if (token.supersededAt !== undefined && now >= after(token.supersededAt, policy.refreshReuseGrace)) {
      return fail(revokeFamily(state, now, token.family, "refresh_token_reused", true), OAuthErrors.invalidRefreshToken)
    }
    // RFC 6749 §6: a refresh may narrow the scope, never widen it
    const scopes = requestedScopes(token.scopes, param(params, "scope"))
    if (scopes === undefined) return fail(state, OAuthErrors.invalidScope)

    const lineage = {
      clientId: client.id,
      authorizationId: token.authorizationId,
      family: token.family,
      issuedFrom: token.handle,
      scopes: token.scopes
    }
    const [accessToken, refreshToken, issued] = issueTokens(state, now, lineage, scopes, policy.rotateRefreshTokens)
    // without rotation the same refresh token comes back
    if (refreshToken === undefined) return [consentTokenReply(policy, consent, scopes, accessToken, value), issued]
    // inside the grace a superseded token rotates again; its first successor stays live
    if (token.supersededAt !== undefined)
      return [consentTokenReply(policy, consent, scopes, accessToken, refreshToken), issued]
    const next = putToken(issued, superseded(token, now))
    return [consentTokenReply(policy, consent, scopes, accessToken, refreshToken), next]
  }
}
