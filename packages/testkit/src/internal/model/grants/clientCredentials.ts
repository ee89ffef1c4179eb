import type { Client, ClientCredentialsToken, State } from "../../../Model.js"
import { update } from "../copy.js"
import { fail, OAuthErrors } from "../errors.js"
import { nextHandle } from "../handles.js"
import { signEs256 } from "../jwt.js"
import { push } from "../log.js"
import { putToken } from "../records.js"
import { serialUuid } from "../rng.js"
import { requestedScopes } from "../scopes.js"
import { after } from "../time.js"
import { tokenReply } from "../tokenResponse.js"
import { param, type Reply } from "../wire.js"
import type { Grant } from "./grant.js"

// the spec's example token, issued for the audience `http://localhost:4000/v1`, names
// `http://localhost:4000/v1/auth_tokens` as its issuer
const issuerFor = (audience: string): string => `${audience.replace(/\/v1\/?$/, "")}/v1/auth_tokens`

const issue = (state: State, now: number, client: Client, scopes: ReadonlyArray<string>): readonly [Reply, State] => {
  const { policy } = state
  // the jti carries the token's serial: the whole JWT is the value a client presents, and this finds its record
  const [jti, rng] = serialUuid(state.rng, state.serial + 1, state.salt)
  const iat = Math.floor(now / 1000)
  const lifetime = policy.clientCredentialsTokenLifetime
  const scope = scopes.join(" ")
  // the claims of the spec's example, in its order, plus a jti so that two tokens never coincide
  const claims = { exp: iat + lifetime, iat, iss: issuerFor(policy.audience), scope, sub: client.id, ver: 1, jti }
  const value = signEs256(state.signingKey, { alg: "ES256", typ: "JWT" }, claims)
  // the token is known by its whole JWT, the value a client presents
  const [{ handle, serial }, next] = nextHandle(state, "cc", rng)
  const expiresAt = after(now, lifetime)
  const token: ClientCredentialsToken = {
    kind: "client_credentials",
    handle,
    serial,
    clientId: client.id,
    jti,
    scopes,
    issuedAt: now,
    expiresAt
  }
  // it reads no vehicle even while live: nothing about it matters once it expires
  const expiries = {
    clientCredentials: push(next.expiries.clientCredentials, value),
    access: next.expiries.access,
    due: Math.min(next.expiries.due, expiresAt)
  }
  return [
    tokenReply(policy, { access_token: value, expires_in: lifetime, scope, token_type: "bearer" }),
    update(putToken(next, token, value), { expiries })
  ]
}

/** `grant_type=client_credentials` (RFC 6749 §4.4): a client's own short-lived JWT, no refresh token. */
export const clientCredentialsGrant: Grant = {
  required: [],
  // RFC 6749 §4.4: only a client that can authenticate may act on its own behalf; a public app cannot
  publicClients: false,

  exchange: (state, now, client, params) => {
    const scopes = requestedScopes(client.scopes, param(params, "scope"))
    if (scopes === undefined) return fail(state, OAuthErrors.invalidScope)
    return issue(state, now, client, scopes)
  }
}
