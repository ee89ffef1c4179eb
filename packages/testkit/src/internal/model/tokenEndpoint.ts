import { Either } from "effect"
import type { Client, Policy, State } from "../../Model.js"
import { identifyClient, secretIfRequired } from "./clientAuth.js"
import { clientCredentialsGrant } from "./clientCredentials.js"
import { codeGrant } from "./codeGrant.js"
import { fail, OAuthErrors } from "./errors.js"
import { refreshGrant } from "./refreshGrant.js"
import { type Handler, type Params, param, type Reply } from "./wire.js"

/** One grant type of the token endpoint. */
export interface Grant {
  /** The parameters it needs besides `client_id` and `grant_type`, given the client if known. */
  readonly required: (params: Params, client: Client | undefined) => ReadonlyArray<string>
  /** Authenticates the client and exchanges the grant, once every required parameter is present. */
  readonly exchange: (state: State, now: number, client: Client, params: Params) => readonly [Reply, State]
}

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
