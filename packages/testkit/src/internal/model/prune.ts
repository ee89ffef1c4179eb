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
import { List } from "effect"
import type { Consent, State, Token } from "../../Model.js"
import { update } from "./copy.js"
import { dropOldest, get, type Log, oldest, scan, toArray } from "./log.js"
import {
  codeByHandle,
  consentOf,
  dropCode,
  dropConsent,
  dropFamily,
  dropToken,
  familyOf,
  familyTokensOf,
  putFamilyTokens,
  tokenOf
} from "./records.js"
import { after } from "./time.js"

/** Forgets one token, if the server still has it. */
const forgetToken = (state: State, value: string): State => {
  const token = tokenOf(state, value)
  return token === undefined ? state : dropToken(state, token)
}

const earliest = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b)

/** When a grant died (nothing of it can change an answer from then on but its wording), or undefined while it lives. */
export const diedAt = (state: State, consent: Consent): number | undefined => {
  if (consent.status === "revoked") return consent.revokedAt
  const found = codeByHandle(state, consent.code)
  if (found === undefined) return consent.createdAt
  const { code } = found
  const familyHandle = code.redeemed?.family
  const family = familyHandle === undefined ? undefined : familyOf(state, familyHandle)
  const tokens = familyHandle === undefined ? undefined : familyTokensOf(state, familyHandle)
  // never redeemed: once the code expired nothing can ever be issued from it
  if (family === undefined || tokens === undefined) return code.expiresAt
  const refresh = tokenOf(state, List.unsafeHead(tokens.refresh))
  const ended =
    state.policy.refreshAfterValidityEnd === "refuse" && consent.validUntil !== undefined
      ? consent.validUntil
      : undefined
  const refreshDied = earliest(earliest(family.refreshTokensRevoked?.at, refresh?.expiresAt), ended)
  // a refresh token can still refresh: the grant lives
  if (refreshDied === undefined) return undefined
  const newest = get(tokens.access, tokens.access.tail - 1)
  const access = newest === undefined ? undefined : tokenOf(state, newest)
  // the newest access token outlives its elders; gone already, it was forgotten after its expiry
  const accessDied =
    access?.kind === "access"
      ? (earliest(earliest(access.expiresAt, access.revokedAt), family.accessTokensRevoked?.at) ?? access.expiresAt)
      : Number.NEGATIVE_INFINITY
  return Math.max(refreshDied, accessDied)
}

/** Forgets a grant whole: its consent, code, family and every token of the family. */
const forgetGrant = (state: State, consent: Consent): State => {
  let next = dropConsent(state, consent)
  const found = codeByHandle(next, consent.code)
  if (found === undefined) return next
  next = dropCode(next, found.code)
  const familyHandle = found.code.redeemed?.family
  const family = familyHandle === undefined ? undefined : familyOf(next, familyHandle)
  if (family === undefined) return next
  const tokens = familyTokensOf(next, family.handle)
  next = dropFamily(next, family)
  if (tokens === undefined) return next
  return toArray(tokens.access).reduce(forgetToken, List.reduce(tokens.refresh, next, forgetToken))
}

/** Forgets the grant of a consent if it died `forgetAfter` ago or longer. */
const forgetIfDead = (state: State, now: number, consent: Consent): State => {
  const died = diedAt(state, consent)
  return died !== undefined && now >= after(died, state.policy.forgetAfter) ? forgetGrant(state, consent) : state
}

/**
 * Visits `count` consents from the sweep's position on, wrapping round at the end, and forgets the dead grants
 * among them. At most 64 slots are looked at, so a long stretch of forgotten consents costs little.
 */
export const sweepGrants = (state: State, now: number, count: number): State => {
  const visited: Array<Consent> = []
  const position = scan(state.consents, state.sweep, 64, (consent) => {
    visited.push(consent)
    return visited.length < count
  })
  let next = update(state, { sweep: position ?? state.consents.head })
  for (const consent of visited) next = forgetIfDead(next, now, consent)
  return next
}

/**
 * Forgets the tokens at the head of a queue whose time has come by `now` (`dueAt` of the record): a value whose
 * token is gone already (with its grant) just leaves the queue.
 */
const drain = (
  state: State,
  now: number,
  queue: (state: State) => Log<string>,
  set: (state: State, queue: Log<string>) => State,
  dueAt: (token: Token) => number,
  forget: (state: State, value: string) => State
): State => {
  let next = state
  for (let value = oldest(queue(next)); value !== undefined; value = oldest(queue(next))) {
    const token = tokenOf(next, value)
    if (token !== undefined && dueAt(token) > now) break
    next = set(token === undefined ? next : forget(next, value), dropOldest(queue(next)))
  }
  return next
}

/**
 * Forgets an access token, and its place in its family's list, where it is the oldest (access tokens are forgotten
 * in issue order); it may have been its grant's last, so the grant is checked then.
 */
const forgetAccess = (state: State, now: number, value: string): State => {
  const token = tokenOf(state, value)
  if (token?.kind !== "access") return forgetToken(state, value)
  const family = familyTokensOf(state, token.family)
  const trimmed =
    family !== undefined && oldest(family.access) === value
      ? putFamilyTokens(state, token.family, { refresh: family.refresh, access: dropOldest(family.access) })
      : state
  const forgotten = forgetToken(trimmed, value)
  const consent = consentOf(forgotten, token.authorizationId)
  return consent === undefined ? forgotten : forgetIfDead(forgotten, now, consent)
}

/** When the queue's oldest entry is due: an empty queue never, a forgotten token's entry at once. */
const dueFirst = (state: State, queue: Log<string>, dueAt: (token: Token) => number): number => {
  const value = oldest(queue)
  const token = value === undefined ? undefined : tokenOf(state, value)
  return value === undefined ? Number.POSITIVE_INFINITY : token === undefined ? Number.NEGATIVE_INFINITY : dueAt(token)
}

/** Forgets every token due by `now`: what a step does before it reads the request. */
export const forgetExpired = (state: State, now: number): State => {
  // the usual step: nothing is due, and neither queue is even looked at
  if (state.expiries.due > now) return state
  const forgetAfter = state.policy.forgetAfter
  const ccDue = (token: Token) => token.expiresAt ?? Number.NEGATIVE_INFINITY
  const accessDue = (token: Token) => after(token.expiresAt ?? Number.NEGATIVE_INFINITY, forgetAfter)
  const withoutCc = drain(
    state,
    now,
    (s) => s.expiries.clientCredentials,
    (s, queue) => update(s, { expiries: { ...s.expiries, clientCredentials: queue } }),
    ccDue,
    forgetToken
  )
  const drained = drain(
    withoutCc,
    now,
    (s) => s.expiries.access,
    (s, queue) => update(s, { expiries: { ...s.expiries, access: queue } }),
    accessDue,
    (s, value) => forgetAccess(s, now, value)
  )
  const { clientCredentials, access } = drained.expiries
  const due = Math.min(dueFirst(drained, clientCredentials, ccDue), dueFirst(drained, access, accessDue))
  return update(drained, { expiries: { clientCredentials, access, due } })
}
