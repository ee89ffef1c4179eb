import { Either } from "effect"
import type { Policy } from "../../Model.js"
import { authenticate, identify, isPublic } from "./clientAuthentication.js"
import { fail, OAuthErrors } from "./errors.js"
import { codeGrant } from "./grants/authorizationCode.js"
import { clientCredentialsGrant } from "./grants/clientCredentials.js"
import type { Grant } from "./grants/grant.js"
import { refreshGrant } from "./grants/refreshToken.js"
import { type Handler, param } from "./wire.js"

const grants: ReadonlyMap<string, Grant> = new Map([
  ["authorization_code", codeGrant],
  ["refresh_token", refreshGrant],
  ["client_credentials", clientCredentialsGrant]
])

const grantFor = (policy: Policy, grantType: string | undefined): Grant | undefined =>
  // the spec's refresh examples send `grant_type: refresh`
  grants.get(grantType === "refresh" && policy.acceptRefreshGrantQuirk ? "refresh_token" : (grantType ?? ""))

/**
 * POST /v1/access_tokens: blank parameters, then the client, then the grant type, then client authentication (for
 * every grant alike, from what the grant declares), then the grant itself.
 */
export const tokenEndpoint: Handler = (state, now, { params, headers }) => {
  const grant = grantFor(state.policy, param(params, "grant_type"))
  const identified = identify(state, params, headers, ["grant_type", ...(grant?.required ?? [])])
  if (Either.isLeft(identified)) return fail(state, identified.left)
  if (grant === undefined) return fail(state, OAuthErrors.unsupportedGrantType)
  // RFC 6749 §4.4: only a client that can authenticate may act on its own behalf; a public app cannot
  if (!grant.publicClients && isPublic(identified.right.client)) return fail(state, OAuthErrors.unauthorizedGrant)
  const authenticated = authenticate(state, now, identified.right, params)
  if (Either.isLeft(authenticated)) return fail(state, authenticated.left)
  // an assertion's jti is spent once authenticated, whatever the grant then says: it was presented
  return grant.exchange(authenticated.right, now, identified.right.client, params)
}
