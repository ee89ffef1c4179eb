import { Either } from "effect"
import type { State, Token } from "../../Model.js"
import { authenticate, identify } from "./clientAuthentication.js"
import { patch } from "./copy.js"
import { fail, OAuthErrors } from "./errors.js"
import { revokeFamily } from "./families.js"
import { putToken, tokenOf } from "./records.js"
import { emptyReply, type Handler, param } from "./wire.js"

const revoke = (state: State, now: number, token: Token): State => {
  // RFC 7009 §2.1: revoking a refresh token ends the grant: its whole family, and with the cascade the
  // access tokens issued along it
  if (token.kind === "refresh") {
    return revokeFamily(state, now, token.family, "refresh_token_revoked", state.policy.cascadeRevocation)
  }
  if (token.revokedAt !== undefined) return state
  return putToken(state, patch(token, { revokedAt: now }))
}

/** DELETE /v1/access_tokens (RFC 7009): revokes an access or refresh token of the authenticated client. */
export const revocation: Handler = (state, now, { params, headers }) => {
  // RFC 7009 §2.1: the client authenticates as at the token endpoint, with whatever credential it has; the spec
  // requires client_secret of every client, but public apps have none, so they revoke with client_id alone
  const identified = identify(state, params, headers, ["token"])
  if (Either.isLeft(identified)) return fail(state, identified.left)
  const authenticated = authenticate(state, now, identified.right, params)
  if (Either.isLeft(authenticated)) return fail(state, authenticated.left)
  const { client } = identified.right

  // `token_type_hint` is only a hint (RFC 7009 §2.1): one map holds every kind of token, so it is not read
  const value = param(params, "token") ?? ""
  const token = tokenOf(state, value)
  // RFC 7009 §2.2: an unknown (or already revoked) token is answered like a revoked one
  if (token === undefined) return [emptyReply(200), authenticated.right]
  // RFC 7009 §2.1: a client may revoke only the tokens issued to it
  if (token.clientId !== client.id) return fail(authenticated.right, OAuthErrors.revokeTokenOfOtherClient)
  return [emptyReply(200), revoke(authenticated.right, now, token)]
}
