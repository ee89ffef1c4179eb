import type { State, Token, TokenStatus } from "../../Model.js"
import { consentOf, familyOf } from "./records.js"

const isRevoked = (state: State, token: Token): boolean => {
  if (token.kind === "client_credentials") return token.revokedAt !== undefined
  if (consentOf(state, token.authorizationId)?.status === "revoked") return true
  const family = familyOf(state, token.family)
  return token.kind === "access"
    ? token.revokedAt !== undefined || family?.accessTokensRevoked !== undefined
    : family?.refreshTokensRevoked !== undefined
}

/**
 * Where a token stands. Revocation is not copied onto each token: a family or a consent carries it, so
 * killing a family of any size is one update, and each token reads it here.
 */
export const tokenStatus = (state: State, now: number, token: Token): TokenStatus => {
  if (isRevoked(state, token)) return "revoked"
  if (token.expiresAt !== undefined && now >= token.expiresAt) return "expired"
  if (token.kind === "refresh" && token.supersededAt !== undefined) return "superseded"
  return "live"
}
