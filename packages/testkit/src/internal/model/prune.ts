/**
 * What the server forgets, so that its memory stays bounded by what can still change an answer:
 *
 * - a client-credentials token, when it expires: it reads no vehicle even while live, so once expired it changes
 *   nothing (vehicle info answers "invalid" to it either way);
 * - an access token, `forgetAfter` after it expires: until then vehicle info answers "expired" (refresh), after it
 *   "invalid";
 * - a whole grant (consent, code, family and every token of it), `forgetAfter` after it died: once no refresh token
 *   of it can refresh (the family revoked, the consent withdrawn or past its validity under `refreshAfterValidityEnd:
 *   "refuse"`, the newest refresh token expired) and its last access token expired or was revoked; or, for a code
 *   never redeemed, after the code expired. Until then every superseded refresh token is recognised, and its
 *   reuse revokes the family (RFC 9700 §4.14).
 *
 * Tokens leave through queues ordered by the instant they are due (their lifetimes are the policy's, so issue order
 * is due order): each step looks at the queues' heads only. Grants are checked when their last access token is
 * forgotten, and by a sweep that visits two consents for every new one: every consent is visited again and again,
 * and the dead are never more than about as many as the live.
 */
import { HashMap, List } from "effect"
import type { Consent, Due, State } from "../../Model.js"
import { update } from "./copy.js"
import { serialOf } from "./handles.js"
import { dropOldest, get, type Log, oldest, remove, scan } from "./log.js"
import { codeOf, consentOf, familyOf, familyTokensOf, tokenOf } from "./lookup.js"
import { after } from "./time.js"

/** Forgets one token, if the server still has it. */
const forgetToken = (state: State, value: string): State => {
  const token = tokenOf(state, value)
  if (token === undefined) return state
  return update(state, { tokens: HashMap.remove(state.tokens, value), issued: remove(state.issued, token.serial - 1) })
}

/** The code a consent was given, with its value, if the server still has it. */
const codeGiven = (state: State, consent: Consent) => {
  const serial = serialOf(consent.code, ["code"])
  const issued = serial === undefined ? undefined : get(state.issued, serial - 1)
  const code = issued?.kind === "code" ? codeOf(state, issued.key) : undefined
  return code === undefined || issued === undefined ? undefined : { value: issued.key, code }
}

const earliest = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b)

/** When a grant died (nothing of it can change an answer from then on but its wording), or undefined while it lives. */
export const diedAt = (state: State, consent: Consent): number | undefined => {
  if (consent.status === "revoked") return consent.revokedAt
  const found = codeGiven(state, consent)
  if (found === undefined) return consent.createdAt
  const { code } = found
  const familyHandle = code.redeemed?.family
  const family = familyHandle === undefined ? undefined : familyOf(state, familyHandle)
  const tokens = familyHandle === undefined ? undefined : familyTokensOf(state, familyHandle)
  // never redeemed: once the code expired nothing can ever be issued from it
  if (family === undefined || tokens === undefined) return code.expiresAt
  const refresh = tokenOf(state, tokens.refresh)
  const ended =
    state.policy.refreshAfterValidityEnd === "refuse" && consent.validUntil !== undefined
      ? consent.validUntil
      : undefined
  const refreshDied = earliest(earliest(family.refreshTokensRevoked?.at, refresh?.expiresAt), ended)
  // a refresh token can still refresh: the grant lives
  if (refreshDied === undefined) return undefined
  const access = tokenOf(state, tokens.access)
  // the newest access token outlives its elders; gone already, it was forgotten after its expiry
  const accessDied =
    access?.kind === "access"
      ? (earliest(earliest(access.expiresAt, access.revokedAt), family.accessTokensRevoked?.at) ?? access.expiresAt)
      : Number.NEGATIVE_INFINITY
  return Math.max(refreshDied, accessDied)
}

/** Forgets a grant whole: its consent, code, family and every token of the family. */
const forgetGrant = (state: State, consent: Consent): State => {
  let next = update(state, {
    consents: HashMap.remove(state.consents, consent.authorizationId),
    consentOrder: remove(state.consentOrder, consent.seq)
  })
  const found = codeGiven(next, consent)
  if (found === undefined) return next
  next = update(next, {
    codes: HashMap.remove(next.codes, found.value),
    issued: remove(next.issued, found.code.serial - 1)
  })
  const familyHandle = found.code.redeemed?.family
  if (familyHandle === undefined) return next
  const family = familyOf(next, familyHandle)
  const tokens = familyTokensOf(next, familyHandle)
  if (family !== undefined) {
    next = update(next, {
      families: HashMap.remove(next.families, familyHandle),
      issued: remove(next.issued, family.serial - 1)
    })
  }
  if (tokens === undefined) return next
  next = update(next, { familyTokens: HashMap.remove(next.familyTokens, familyHandle) })
  return List.reduce(tokens.tokens, next, forgetToken)
}

/** Forgets the grant of a consent if it died `forgetAfter` ago or longer. */
const forgetIfDead = (state: State, now: number, authorizationId: string): State => {
  const consent = consentOf(state, authorizationId)
  if (consent === undefined) return state
  const died = diedAt(state, consent)
  return died !== undefined && now >= after(died, state.policy.forgetAfter) ? forgetGrant(state, consent) : state
}

/**
 * Visits `count` consents from the sweep's position on, wrapping round at the end, and forgets the dead grants
 * among them. At most 64 slots of the order are looked at, so a long stretch of forgotten consents costs little.
 */
export const sweepGrants = (state: State, now: number, count: number): State => {
  const visited: Array<string> = []
  const position = scan(state.consentOrder, state.sweep, 64, (authorizationId) => {
    visited.push(authorizationId)
    return visited.length < count
  })
  let next = update(state, { sweep: position ?? state.consentOrder.head })
  for (const authorizationId of visited) next = forgetIfDead(next, now, authorizationId)
  return next
}

/** Drops the due entries at the head of a queue, forgetting each token they name with `forget`. */
const drain = (
  state: State,
  now: number,
  queue: (state: State) => Log<Due>,
  set: (state: State, queue: Log<Due>) => State,
  forget: (state: State, value: string) => State
): State => {
  let next = state
  for (let first = oldest(queue(next)); first !== undefined && first.at <= now; first = oldest(queue(next))) {
    next = set(forget(next, first.value), dropOldest(queue(next)))
  }
  return next
}

/** A forgotten access token may have been its grant's last: the grant is checked then. */
const forgetAccess = (state: State, now: number, value: string): State => {
  const token = tokenOf(state, value)
  const forgotten = forgetToken(state, value)
  return token?.kind === "access" ? forgetIfDead(forgotten, now, token.authorizationId) : forgotten
}

/** Forgets every token due by `now`: what a step does after answering. */
export const forgetExpired = (state: State, now: number): State => {
  const { clientCredentials, access } = state.expiries
  const ccDue = oldest(clientCredentials)
  const accessDue = oldest(access)
  // the usual step: nothing is due, and nothing is copied
  if ((ccDue === undefined || ccDue.at > now) && (accessDue === undefined || accessDue.at > now)) return state
  const withoutCc = drain(
    state,
    now,
    (s) => s.expiries.clientCredentials,
    (s, queue) => update(s, { expiries: { clientCredentials: queue, access: s.expiries.access } }),
    forgetToken
  )
  return drain(
    withoutCc,
    now,
    (s) => s.expiries.access,
    (s, queue) => update(s, { expiries: { clientCredentials: s.expiries.clientCredentials, access: queue } }),
    (s, value) => forgetAccess(s, now, value)
  )
}
