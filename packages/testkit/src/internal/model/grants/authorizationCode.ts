import type { Family } from "../../../Model.js"
import { patch } from "../copy.js"
import { fail, OAuthErrors } from "../errors.js"
import { revokeFamily } from "../families.js"
import { nextHandle } from "../handles.js"
import { issueTokens } from "../issue.js"
import { verifierMatches } from "../pkce.js"
import { codeOf, consentOf, putCode, putFamily } from "../records.js"
import { consentTokenReply } from "../tokenResponse.js"
import { param } from "../wire.js"
import type { Grant } from "./grant.js"

/** `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6): a code becomes a new token family. */
export const codeGrant: Grant = {
  required: ["code", "redirect_uri"],
  publicClients: true,

  exchange: (state, now, client, params) => {
    const value = param(params, "code") ?? ""
    const code = codeOf(state, value)
    // RFC 6749 §4.1.3: the code must have been issued to the authenticated client
    if (code === undefined || code.clientId !== client.id) return fail(state, OAuthErrors.invalidCode)
    // RFC 6749 §4.1.2: a code used twice was likely stolen; the tokens issued from it are revoked
    if (code.redeemed !== undefined) {
      return fail(revokeFamily(state, now, code.redeemed.family, "code_replayed", true), OAuthErrors.invalidCode)
    }
    if (now >= code.expiresAt) return fail(state, OAuthErrors.invalidCode)
    // RFC 6749 §4.1.3: identical to the redirect URI of the authorization request, byte for byte
    if (param(params, "redirect_uri") !== code.redirectUri) return fail(state, OAuthErrors.redirectMismatch)
    if (!verifierMatches(code.challenge, param(params, "code_verifier"))) {
      return fail(state, OAuthErrors.invalidVerifier)
    }
    const consent = consentOf(state, code.authorizationId)
    // a pending consent still issues (tokens answer "consent is pending" until approved); a revoked one never
    if (consent === undefined || consent.status === "revoked") return fail(state, OAuthErrors.invalidCode)

    const [{ handle: familyHandle, serial }, opened] = nextHandle(state, "fam")
    const family: Family = {
      handle: familyHandle,
      serial,
      clientId: client.id,
      authorizationId: consent.authorizationId,
      code: code.handle,
      openedAt: now
    }
    const redeemed = putFamily(putCode(opened, patch(code, { redeemed: { at: now, family: familyHandle } })), family)
    const lineage = {
      clientId: client.id,
      authorizationId: consent.authorizationId,
      family: familyHandle,
      issuedFrom: code.handle,
      scopes: consent.scopes
    }
    const [accessToken, refreshToken = "", next] = issueTokens(redeemed, now, lineage, consent.scopes, true)
    return [consentTokenReply(next.policy, consent, consent.scopes, accessToken, refreshToken), next]
  }
}
