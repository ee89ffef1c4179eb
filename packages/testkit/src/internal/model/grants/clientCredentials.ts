import { Either, HashMap } from "effect"
import type { Client, ClientCredentialsToken, State } from "../../../Model.js"
import { acceptAssertion, usesAssertion } from "../assertion.js"
import { authenticateWithSecret, secretIfRequired } from "../clientAuthentication.js"
import { update } from "../copy.js"
import { fail, type OAuthError, OAuthErrors } from "../errors.js"
import { mint } from "../handles.js"
import { signEs256 } from "../jwt.js"
import { requestedScopes } from "../scopes.js"
import { after } from "../time.js"
import { tokenReply } from "../tokenResponse.js"
import { type Params, param, type Reply } from "../wire.js"
import type { Grant } from "./grant.js"

const canAuthenticate = (client: Client): boolean => client.secret !== undefined || client.serviceAccountKeys.length > 0

// a client holding only service-account keys has no secret to send: its credential is an assertion
const requiresAssertion = (params: Params, client: Client | undefined): boolean =>
  usesAssertion(params) || (client !== undefined && client.secret === undefined && canAuthenticate(client))

const authenticate = (state: State, now: number, client: Client, params: Params): Either.Either<State, OAuthError> => {
  if (!usesAssertion(params)) return Either.map(authenticateWithSecret(client, params), () => state)
  // RFC 6749 §2.3: one authentication method per request; a secret next to an assertion is unexpected
  if (param(params, "client_secret") !== undefined) return Either.left(OAuthErrors.invalidSecret)
  return acceptAssertion(state, now, client, params)
}

// the spec's example token, issued for the audience `http://localhost:4000/v1`, names
// `http://localhost:4000/v1/auth_tokens` as its issuer
const issuerFor = (audience: string): string => `${audience.replace(/\/v1\/?$/, "")}/v1/auth_tokens`

const issue = (state: State, now: number, client: Client, scopes: ReadonlyArray<string>): readonly [Reply, State] => {
  const { policy } = state
  const [{ value: jti, handle, serial }, next] = mint(state, "cc")
  const iat = Math.floor(now / 1000)
  const lifetime = policy.clientCredentialsTokenLifetime
  const scope = scopes.join(" ")
  // the claims of the spec's example, in its order, plus a jti so that two tokens never coincide
  const claims = { exp: iat + lifetime, iat, iss: issuerFor(policy.audience), scope, sub: client.id, ver: 1, jti }
  const value = signEs256(state.signingKey, { alg: "ES256", typ: "JWT" }, claims)
  const token: ClientCredentialsToken = {
    kind: "client_credentials",
    handle,
    serial,
    clientId: client.id,
    jti,
    scopes,
    issuedAt: now,
    expiresAt: after(now, lifetime)
  }
  return [
    tokenReply(policy, { access_token: value, expires_in: lifetime, scope, token_type: "bearer" }),
    update(next, { tokens: HashMap.set(next.tokens, value, token) })
  ]
}

/** `grant_type=client_credentials` (RFC 6749 §4.4): a client's own short-lived JWT, no refresh token. */
export const clientCredentialsGrant: Grant = {
  required: (params, client) =>
    requiresAssertion(params, client)
      ? ["client_assertion", "client_assertion_type"]
      : secretIfRequired(params, client),

  exchange: (state, now, client, params) => {
    // RFC 6749 §4.4: only a client that can authenticate may act on its own behalf; a public app cannot
    if (!canAuthenticate(client)) return fail(state, OAuthErrors.unauthorizedGrant)
    const authenticated = authenticate(state, now, client, params)
    if (Either.isLeft(authenticated)) return fail(state, authenticated.left)
    // the assertion's jti is spent even if the scope is refused: it was presented
    const spent = authenticated.right
    const scopes = requestedScopes(client.scopes, param(params, "scope"))
    if (scopes === undefined) return fail(spent, OAuthErrors.invalidScope)
    return issue(spent, now, client, scopes)
  }
}
