import { Either } from "effect"
import type { Policy } from "../../Model.js"
import { identifyClient, secretIfRequired } from "./clientAuthentication.js"
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

/** POST /v1/access_tokens: blank parameters, then the client, then the grant type, then the grant itself. */
export const tokenEndpoint: Handler = (state, now, { params }) => {
  const grant = grantFor(state.policy, param(params, "grant_type"))
  const identified = identifyClient(state, params, (client) => [
    "grant_type",
    ...(grant === undefined ? secretIfRequired(params, client) : grant.required(params, client))
  ])
  if (Either.isLeft(identified)) return fail(state, identified.left)
  if (grant === undefined) return fail(state, OAuthErrors.unsupportedGrantType)
  return grant.exchange(state, now, identified.right, params)
}
