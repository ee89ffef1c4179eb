import { Either } from "effect"
import type { Client, State } from "../../Model.js"
import { update } from "./copy.js"
import { type OAuthError, OAuthErrors } from "./errors.js"
import { decodeJwt, verifyEs256 } from "./jwt.js"
import { remember, seenKey, wasSeen } from "./replay.js"
import { after } from "./time.js"
import { type Params, param } from "./wire.js"

/** RFC 7523 §2.2: the only assertion type this server understands. */
export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

interface Accepted {
  readonly key: string
  readonly forgetAt: number
}

const refuse = (error: OAuthError) => Either.left(error)

const names = (audience: unknown, expected: string): boolean =>
  audience === expected || (Array.isArray(audience) && audience.includes(expected))

const isNumberOrAbsent = (value: unknown): boolean => value === undefined || typeof value === "number"

const check = (state: State, now: number, client: Client, params: Params): Either.Either<Accepted, OAuthError> => {
  const { policy } = state
  if (param(params, "client_assertion_type") !== JWT_BEARER) return refuse(OAuthErrors.invalidAssertionType)
  const jwt = decodeJwt(param(params, "client_assertion") ?? "")
  // ES256 only: "none", or an HMAC algorithm keyed with the public key, would let anyone forge assertions
  if (jwt === undefined || jwt.header.alg !== "ES256") return refuse(OAuthErrors.invalidAssertion)
  // RFC 7515 §4.1.11: an extension the server does not understand (it understands none) must not be ignored
  if (jwt.header.crit !== undefined) return refuse(OAuthErrors.invalidAssertion)
  const { iss, sub, aud, iat, nbf, exp, jti } = jwt.payload
  // HM's `iss` names the key, not the client; only keys registered to this very client count
  const key = client.serviceAccountKeys.find((candidate) => candidate.id === iss)
  if (key === undefined || !verifyEs256(jwt, key.publicKey)) return refuse(OAuthErrors.invalidAssertion)
  // after the signature, so only the key's holder learns that it expired
  if (key.expiresAt !== undefined && now >= key.expiresAt) return refuse(OAuthErrors.expiredKey)
  if (!names(aud, policy.audience)) return refuse(OAuthErrors.invalidAudience)
  // RFC 7523 §3: the subject, when present, is the client itself (HM's assertions carry none)
  if (sub !== undefined && sub !== client.id) return refuse(OAuthErrors.invalidSubject)
  if (typeof iat !== "number" || !isNumberOrAbsent(exp) || !isNumberOrAbsent(nbf)) {
    return refuse(OAuthErrors.invalidAssertion)
  }
  if (typeof jti !== "string" || jti === "") return refuse(OAuthErrors.invalidAssertion)
  // HM's assertions carry no `exp`: their age is bounded by `iat`, with some skew for the client's clock
  const issuedAt = iat * 1000
  const forgetAt = after(issuedAt, policy.assertionMaxAge)
  const skew = policy.assertionIatSkew * 1000
  const expired = typeof exp === "number" && now >= exp * 1000 + skew
  if (issuedAt > now + skew || now > forgetAt || expired) return refuse(OAuthErrors.expiredAssertion)
  // RFC 7519 §4.1.5: not to be accepted before `nbf`, with the same allowance for the client's clock
  if (typeof nbf === "number" && now + skew < nbf * 1000) return refuse(OAuthErrors.assertionNotYetValid)
  const seen = seenKey(key.id, jti)
  if (wasSeen(state.assertions, seen)) return refuse(OAuthErrors.replayedAssertion)
  return Either.right({ key: seen, forgetAt })
}

/** Authenticates a client by its ES256 assertion (RFC 7523 §3) and spends its jti. */
export const acceptAssertion = (
  state: State,
  now: number,
  client: Client,
  params: Params
): Either.Either<State, OAuthError> =>
  Either.map(check(state, now, client, params), ({ key, forgetAt }) =>
    update(state, { assertions: remember(state.assertions, now, key, forgetAt) })
  )
