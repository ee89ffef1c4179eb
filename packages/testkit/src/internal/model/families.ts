import type { RevocationReason, State } from "../../Model.js"
import { patch } from "./copy.js"
import { familyOf, putFamily } from "./records.js"

/** Revokes a family's refresh tokens, and its access tokens with `accessTokens`; earlier revocations stand. */
export const revokeFamily = (
  state: State,
  now: number,
  handle: string,
  reason: RevocationReason,
  accessTokens: boolean
): State => {
  const family = familyOf(state, handle)
  if (family === undefined) return state
  const revocation = { at: now, reason }
  const revoked = patch(family, {
    refreshTokensRevoked: family.refreshTokensRevoked ?? revocation,
    ...(accessTokens ? { accessTokensRevoked: family.accessTokensRevoked ?? revocation } : {})
  })
  return putFamily(state, revoked)
}
