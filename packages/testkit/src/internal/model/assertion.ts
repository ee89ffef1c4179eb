import { Either, HashMap } from "effect"
import type { Client, State } from "../../Model.js"
import { update } from "./copy.js"
import { type OAuthError, OAuthErrors } from "./errors.js"
import { decodeJwt, verifyEs256 } from "./jwt.js"
import { dropOldest, oldest, push } from "./queue.js"
import { after } from "./time.js"
import { type Params, param } from "./wire.js"

/** RFC 7523 §2.2: the only assertion type this server understands. */
export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

/** Whether a request authenticates with a client assertion (rather than a secret). */
export const usesAssertion = (params: Params): boolean =>
  param(params, "client_assertion") !== undefined || param(params, "client_assertion_type") !== undefined

interface Accepted {
  readonly key: string
  readonly forgetAt: number
}

const refuse = (error: OAuthError) => Either.left(error)

const names = (audience: unknown, expected: string): boolean =>
  audience === expected || (Array.isArray(audience) && audience.includes(expected))

const check = (state: State, now: number, client: Client, params: Params): Either.Either<Accepted, OAuthError> => {
  const { policy } = state
  if (param(params, "client_assertion_type") !== JWT_BEARER) return refuse(OAuthErrors.invalidAssertionType)
  const jwt = decodeJwt(param(params, "client_assertion") ?? "")
  // ES256 only: "none", or an HMAC algorithm keyed with the public key, would let anyone forge assertions
  if (jwt === undefined || jwt.header.alg !== "ES256") return refuse(OAuthErrors.invalidAssertion)
  const { iss, aud, iat, exp, jti } = jwt.payload
  // HM's `iss` names the key, not the client; only keys registered to this very client count
  const key = client.serviceAccountKeys.find((candidate) => candidate.id === iss)
  if (key === undefined || !verifyEs256(jwt, key.publicKey)) return refuse(OAuthErrors.invalidAssertion)
  // after the signature, so only the key's holder learns that it expired
  if (key.expiresAt !== undefined && now >= key.expiresAt) return refuse(OAuthErrors.expiredKey)
  if (!names(aud, policy.audience)) return refuse(OAuthErrors.invalidAudience)
  if (typeof iat !== "number" || (exp !== undefined && typeof exp !== "number")) {
    return refuse(OAuthErrors.invalidAssertion)
  }
  if (typeof jti !== "string" || jti === "") return refuse(OAuthErrors.invalidAssertion)
  // HM's assertions carry no `exp`: their age is bounded by `iat`, with some skew for the client's clock
  const issuedAt = iat * 1000
  const forgetAt = after(issuedAt, policy.assertionMaxAge)
  const skew = policy.assertionIatSkew * 1000
  const expired = typeof exp === "number" && now >= exp * 1000 + skew
  if (issuedAt > now + skew || now > forgetAt || expired) return refuse(OAuthErrors.expiredAssertion)
  // RFC 7523 §3: a jti is used once; ids are scoped by key, the issuer that chose them
  const seenKey = JSON.stringify([key.id, jti])
  if (HashMap.has(state.assertions.byKey, seenKey)) return refuse(OAuthErrors.replayedAssertion)
  return Either.right({ key: seenKey, forgetAt })
}

/**
 * Remembers an accepted jti. An assertion older than the max age is refused before its jti is looked up, so
 * its jti can be forgotten: the oldest entries are dropped once stale, keeping the memory bounded by the
 * rate of assertions. Entries are in acceptance order, only roughly by age, so some stay a little longer.
 */
const remember = (state: State, now: number, accepted: Accepted): State => {
  let byKey = HashMap.set(state.assertions.byKey, accepted.key, accepted.forgetAt)
  let order = push(state.assertions.order, accepted)
  for (let first = oldest(order); first !== undefined && first.forgetAt < now; first = oldest(order)) {
    byKey = HashMap.remove(byKey, first.key)
    order = dropOldest(order)
  }
  return update(state, { assertions: { byKey, order } })
}

/** Authenticates a client by its ES256 assertion (RFC 7523 §3) and spends its jti. */
export const acceptAssertion = (
  state: State,
  now: number,
  client: Client,
  params: Params
): Either.Either<State, OAuthError> => Either.map(check(state, now, client, params), (a) => remember(state, now, a))
