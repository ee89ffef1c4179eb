/**
 * Deliberately broken servers, to prove that the conformance catalogue finds bugs: each mutant is `Model.step` with
 * exactly one rule broken, served through `FakeServer`'s `step` option, so both transports and the control API stay
 * as they are. A mutant changes what one kind of request sees (its parameters, the records it reads, the policy, the
 * time) or what it answers, and leaves every other request to the faithful model. A catalogue that passes against
 * a mutant has missed the rule it breaks.
 */

import { HashMap } from "effect"
import { update } from "../../src/internal/model/copy.js"
import { decodeJwt } from "../../src/internal/model/jwt.js"
import { verifierMatches } from "../../src/internal/model/pkce.js"
import {
  clientOf,
  codeByHandle,
  codeOf,
  consentOf,
  familyOf,
  putCode,
  putConsent,
  putFamily,
  putToken,
  tokenOf
} from "../../src/internal/model/records.js"
import { seenKey } from "../../src/internal/model/replay.js"
import { type Params, param, parseParams } from "../../src/internal/model/wire.js"
import type {
  AccessToken,
  AuthorizationCode,
  Policy,
  RefreshToken,
  State,
  WireRequest,
  WireResponse
} from "../../src/Model.js"
import * as Model from "../../src/Model.js"

/** One broken rule: a name to report, the rule it breaks (with its reference), and the server that breaks it. */
export interface Mutant {
  readonly name: string
  readonly breaks: string
  readonly step: typeof Model.step
}

type Step = typeof Model.step

const TOKEN_PATH = "/v1/access_tokens"

const pathOf = (request: WireRequest): string => request.path.split("?", 1)[0] ?? ""

/** The parameters of a token-endpoint request (`POST`) or a revocation (`DELETE`), if it is one that parses. */
const paramsOf = (request: WireRequest, method: "POST" | "DELETE"): Params | undefined =>
  request.method === method && pathOf(request) === TOKEN_PATH ? parseParams(request.headers, request.body) : undefined

/** The same request with other parameters, sent as JSON. */
const withParams = (request: WireRequest, params: Params): WireRequest => {
  const { "content-length": _length, ...headers } = request.headers
  return { ...request, headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(params) }
}

/** The same parameters, authenticated as `clientId` with the secret it has (none for a public client). */
const actingAs = (state: State, params: Params, clientId: string): Params => {
  const { client_secret: _secret, ...rest } = params
  const secret = clientOf(state, clientId)?.secret
  return { ...rest, client_id: clientId, ...(secret === undefined ? {} : { client_secret: secret }) }
}

/** Steps `state` under a changed policy; the next state keeps the server's own policy. */
const underPolicy = (state: State, now: number, request: WireRequest, changes: Partial<Policy>) => {
  const [response, next] = Model.step(update(state, { policy: { ...state.policy, ...changes } }), now, request)
  return [response, update(next, { policy: state.policy })] as const
}

/**
 * A mutant that acts on token-endpoint requests of one grant type: `f` gets the state, the time, the request and its
 * parameters, and answers; every other request goes to the model.
 */
const onGrant =
  (
    grantType: string,
    f: (state: State, now: number, request: WireRequest, params: Params) => readonly [WireResponse, State]
  ): Step =>
  (state, now, request) => {
    const params = paramsOf(request, "POST")
    return params !== undefined && param(params, "grant_type") === grantType
      ? f(state, now, request, params)
      : Model.step(state, now, request)
  }

/** A mutant that acts on revocations, as `onGrant` on token requests. */
const onRevocation =
  (f: (state: State, now: number, request: WireRequest, params: Params) => readonly [WireResponse, State]): Step =>
  (state, now, request) => {
    const params = paramsOf(request, "DELETE")
    return params === undefined ? Model.step(state, now, request) : f(state, now, request, params)
  }

/** A mutant that acts on vehicle-info requests bearing one of the server's access tokens. */
const onVehicleInfo =
  (f: (state: State, now: number, request: WireRequest, token: AccessToken) => readonly [WireResponse, State]): Step =>
  (state, now, request) => {
    const bearer = /^Bearer +(\S+)$/.exec(request.headers.authorization ?? "")?.[1]
    const token =
      request.method === "GET" && pathOf(request) === "/v1/vehicleinfo" && bearer !== undefined
        ? tokenOf(state, bearer)
        : undefined
    return token?.kind === "access" ? f(state, now, request, token) : Model.step(state, now, request)
  }

/** The code a code-exchange request names, if the server issued it. */
const codeIn = (state: State, params: Params) => codeOf(state, param(params, "code") ?? "")

/** The refresh token a refresh request names, if the server issued it. */
const refreshTokenIn = (state: State, params: Params): RefreshToken | undefined => {
  const token = tokenOf(state, param(params, "refresh_token") ?? "")
  return token?.kind === "refresh" ? token : undefined
}

/**
 * Steps with `lent` in the place of the code `original`, then gives the code back what the mutant changed of it (its
 * challenge and expiry): the break applies to this request alone, never to a faithful one after it.
 */
const lendingCode = (
  state: State,
  now: number,
  request: WireRequest,
  original: AuthorizationCode,
  lent: AuthorizationCode
) => {
  const [response, next] = Model.step(putCode(state, lent), now, request)
  const {
    challenge: _challenge,
    expiresAt: _expiresAt,
    ...after
  } = codeByHandle(next, original.handle)?.code ?? original
  const restored = {
    ...after,
    expiresAt: original.expiresAt,
    ...(original.challenge === undefined ? {} : { challenge: original.challenge })
  }
  return [response, putCode(next, restored)] as const
}

/** Steps, then puts the family back as it was: whatever the request revoked of it stays live. */
const keepingFamily = (state: State, now: number, request: WireRequest, handle: string | undefined) => {
  const [response, next] = Model.step(state, now, request)
  const family = handle === undefined ? undefined : familyOf(state, handle)
  return [response, family === undefined ? next : putFamily(next, family)] as const
}

/** The assertion's claims, if the request carries one that decodes. */
const assertionClaims = (params: Params) => decodeJwt(param(params, "client_assertion") ?? "")?.payload

const isTokenResponse = (request: WireRequest, response: WireResponse) =>
  request.method === "POST" && pathOf(request) === TOKEN_PATH && response.status < 300

const mutant = (name: string, breaks: string, step: Step): Mutant => ({ name, breaks, step })

/** Every mutant, each breaking one rule the faithful model keeps. */
export const mutants: ReadonlyArray<Mutant> = [
  mutant(
    "code-redeemable-twice",
    "a code is single-use (RFC 6749 §4.1.2)",
    onGrant("authorization_code", (state, now, request, params) => {
      const code = codeIn(state, params)
      if (code?.redeemed === undefined) return Model.step(state, now, request)
      const { redeemed: _redeemed, ...unredeemed } = code
      return Model.step(putCode(state, unredeemed), now, request)
    })
  ),
  mutant(
    "code-replay-keeps-tokens",
    "a replayed code revokes the tokens issued from it (RFC 6749 §4.1.2)",
    onGrant("authorization_code", (state, now, request, params) =>
      keepingFamily(state, now, request, codeIn(state, params)?.redeemed?.family)
    )
  ),
  mutant(
    "expired-code-accepted",
    "a code expires after its lifetime (RFC 6749 §4.1.2)",
    onGrant("authorization_code", (state, now, request, params) => {
      const code = codeIn(state, params)
      if (code === undefined || now < code.expiresAt) return Model.step(state, now, request)
      return lendingCode(state, now, request, code, { ...code, expiresAt: now + 1 })
    })
  ),
  mutant(
    "redirect-uri-unchecked",
    "redirect_uri is identical to the one of the authorization (RFC 6749 §4.1.3)",
    onGrant("authorization_code", (state, now, request, params) => {
      const code = codeIn(state, params)
      if (code === undefined || param(params, "redirect_uri") === undefined) return Model.step(state, now, request)
      return Model.step(state, now, withParams(request, { ...params, redirect_uri: code.redirectUri }))
    })
  ),
  mutant(
    "pkce-downgrade",
    "a code issued with a challenge is not redeemed without its verifier (RFC 7636 §4.6, RFC 9700 §2.1.1)",
    onGrant("authorization_code", (state, now, request, params) => {
      const code = codeIn(state, params)
      if (code?.challenge === undefined || param(params, "code_verifier") !== undefined) {
        return Model.step(state, now, request)
      }
      const { challenge: _challenge, ...unchallenged } = code
      return lendingCode(state, now, request, code, unchallenged)
    })
  ),
  mutant(
    "pkce-verifier-unchecked",
    "the code_verifier matches the code's challenge (RFC 7636 §4.6)",
    onGrant("authorization_code", (state, now, request, params) => {
      const code = codeIn(state, params)
      const verifier = param(params, "code_verifier")
      if (code?.challenge === undefined || verifier === undefined || verifierMatches(code.challenge, verifier)) {
        return Model.step(state, now, request)
      }
      const { challenge: _challenge, ...unchallenged } = code
      const { code_verifier: _verifier, ...rest } = params
      return lendingCode(state, now, withParams(request, rest), code, unchallenged)
    })
  ),
  mutant(
    "no-rotation",
    "with rotation on, each refresh issues a new refresh token (RFC 9700 §4.14)",
    onGrant("refresh_token", (state, now, request) => underPolicy(state, now, request, { rotateRefreshTokens: false }))
  ),
  mutant(
    "reuse-keeps-family",
    "reusing a superseded refresh token revokes its whole family (RFC 9700 §4.14)",
    onGrant("refresh_token", (state, now, request, params) =>
      keepingFamily(state, now, request, refreshTokenIn(state, params)?.family)
    )
  ),
  mutant(
    "superseded-token-refreshes",
    "a superseded refresh token refreshes no more (RFC 9700 §4.14)",
    onGrant("refresh_token", (state, now, request) =>
      underPolicy(state, now, request, { refreshReuseGrace: 100 * 365 * 86_400 })
    )
  ),
  mutant(
    "refresh-token-unbound",
    "a refresh token is bound to the client it was issued to (RFC 6749 §6)",
    onGrant("refresh_token", (state, now, request, params) => {
      const token = refreshTokenIn(state, params)
      if (token === undefined || token.clientId === param(params, "client_id")) return Model.step(state, now, request)
      return Model.step(state, now, withParams(request, actingAs(state, params, token.clientId)))
    })
  ),
  mutant(
    "scope-widening",
    "a refresh may narrow the scope, never widen it (RFC 6749 §6)",
    onGrant("refresh_token", (state, now, request, params) => {
      const token = refreshTokenIn(state, params)
      const asked = (param(params, "scope") ?? "").split(" ").filter((scope) => scope !== "")
      if (token === undefined || asked.every((scope) => token.scopes.includes(scope))) {
        return Model.step(state, now, request)
      }
      const widened = [...token.scopes, ...asked.filter((scope) => !token.scopes.includes(scope))]
      return Model.step(putToken(state, { ...token, scopes: widened }), now, request)
    })
  ),
  mutant(
    "revocation-without-cascade",
    "revoking a refresh token also ends the access tokens of its grant (RFC 7009 §2.1)",
    onRevocation((state, now, request) => underPolicy(state, now, request, { cascadeRevocation: false }))
  ),
  mutant(
    "access-token-revocation-ignored",
    "a revoked access token reads nothing (RFC 7009 §2.1)",
    onRevocation((state, now, request, params) => {
      const token = tokenOf(state, param(params, "token") ?? "")
      const [response, next] = Model.step(state, now, request)
      return [response, token?.kind === "access" ? putToken(next, token) : next]
    })
  ),
  mutant(
    "revocation-by-another-client",
    "a client revokes only its own tokens (RFC 7009 §2.1)",
    onRevocation((state, now, request, params) => {
      const token = tokenOf(state, param(params, "token") ?? "")
      if (token === undefined || token.clientId === param(params, "client_id")) return Model.step(state, now, request)
      return Model.step(state, now, withParams(request, actingAs(state, params, token.clientId)))
    })
  ),
  mutant(
    "unknown-token-revocation-refused",
    "revoking an unknown token answers 200 (RFC 7009 §2.2)",
    onRevocation((state, now, request, params) => {
      const [response, next] = Model.step(state, now, request)
      if (response.status !== 200 || tokenOf(state, param(params, "token") ?? "") !== undefined) return [response, next]
      const body = JSON.stringify({ error: "invalid_request", error_description: "token is invalid" })
      return [{ status: 400, headers: { "content-type": "application/json" }, body }, next]
    })
  ),
  mutant(
    "expired-access-token-accepted",
    "an access token reads nothing once expired (RFC 6750 §3.1)",
    onVehicleInfo((state, now, request, token) =>
      Model.step(state, token.expiresAt !== undefined && now >= token.expiresAt ? token.expiresAt - 1 : now, request)
    )
  ),
  mutant(
    "pending-consent-served",
    "a pending consent reads no vehicle until approved (HM: BMW and MINI)",
    onVehicleInfo((state, now, request, token) => {
      const consent = consentOf(state, token.authorizationId)
      if (consent?.status !== "pending") return Model.step(state, now, request)
      const [response, next] = Model.step(putConsent(state, { ...consent, status: "approved" }), now, request)
      return [response, putConsent(next, consent)]
    })
  ),
  mutant(
    "withdrawn-consent-refreshes",
    "a withdrawn consent issues nothing more (HM: authorization revoked)",
    onGrant("refresh_token", (state, now, request, params) => {
      const token = refreshTokenIn(state, params)
      const consent = token === undefined ? undefined : consentOf(state, token.authorizationId)
      if (consent?.status !== "revoked") return Model.step(state, now, request)
      const { revokedAt: _at, revokedBy: _by, ...standing } = consent
      const [response, next] = Model.step(putConsent(state, { ...standing, status: "approved" }), now, request)
      return [response, putConsent(next, consent)]
    })
  ),
  mutant(
    "client-secret-unchecked",
    "a confidential client proves itself with its secret (RFC 6749 §2.3.1)",
    (state, now, request) => {
      const params = paramsOf(request, "POST") ?? paramsOf(request, "DELETE")
      const clientId = params === undefined ? undefined : param(params, "client_id")
      if (params === undefined || clientId === undefined || param(params, "client_secret") === undefined) {
        return Model.step(state, now, request)
      }
      return Model.step(state, now, withParams(request, actingAs(state, params, clientId)))
    }
  ),
  mutant(
    "assertion-replay-accepted",
    "an assertion's jti is used once (RFC 7523 §3)",
    onGrant("client_credentials", (state, now, request, params) => {
      const claims = assertionClaims(params)
      if (typeof claims?.iss !== "string" || typeof claims.jti !== "string") return Model.step(state, now, request)
      const byKey = HashMap.remove(state.assertions.byKey, seenKey(claims.iss, claims.jti))
      return Model.step(update(state, { assertions: { ...state.assertions, byKey } }), now, request)
    })
  ),
  mutant(
    "assertion-audience-unchecked",
    "an assertion's aud names this server (RFC 7523 §3)",
    onGrant("client_credentials", (state, now, request, params) => {
      const audience = assertionClaims(params)?.aud
      if (typeof audience !== "string") return Model.step(state, now, request)
      return underPolicy(state, now, request, { audience })
    })
  ),
  mutant(
    "stale-assertion-accepted",
    "an assertion is refused once older than its maximum age (RFC 7523 §3)",
    onGrant("client_credentials", (state, now, request) =>
      underPolicy(state, now, request, { assertionMaxAge: 100 * 365 * 86_400 })
    )
  ),
  {
    name: "no-store-missing",
    breaks: "token responses carry cache-control: no-store (RFC 6749 §5.1)",
    step: (state, now, request) => {
      const [response, next] = Model.step(state, now, request)
      if (!isTokenResponse(request, response)) return [response, next]
      const { "cache-control": _cache, pragma: _pragma, ...headers } = response.headers
      return [{ ...response, headers }, next]
    }
  }
]
