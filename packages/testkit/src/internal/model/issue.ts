import { List } from "effect"
import type { AccessToken, Lineage, RefreshToken, State, Token } from "../../Model.js"
import { mint } from "./handles.js"
import { empty, push } from "./log.js"
import { familyTokensOf, putIssued } from "./records.js"
import { after } from "./time.js"

// Records are written as whole literals, every field in one place: V8 then keeps each one in a single object of a
// shared shape, where copies built field by field (`Object.assign`) spill into a separate property array. A server
// that keeps hundreds of thousands of tokens pays that per token.

/** The access token of a lineage, issued now. */
const accessToken = (
  state: State,
  now: number,
  lineage: Lineage,
  scopes: ReadonlyArray<string>
): readonly [string, AccessToken, State] => {
  const [{ value, handle, serial }, next] = mint(state, "at")
  const record: AccessToken = {
    kind: "access",
    handle,
    serial,
    clientId: lineage.clientId,
    authorizationId: lineage.authorizationId,
    family: lineage.family,
    issuedFrom: lineage.issuedFrom,
    scopes,
    issuedAt: now,
    expiresAt: after(now, state.policy.accessTokenLifetime)
  }
  return [value, record, next]
}

/**
 * A refresh token record. A class, not a literal, only so that its optional fields are written once: V8 gives a
 * constructor's instances room for every field it may set, so a superseded token (the bulk of what a long-lived
 * family keeps) stays one compact object.
 */
class RefreshRecord implements RefreshToken {
  readonly kind = "refresh"
  readonly handle: string
  readonly serial: number
  readonly clientId: string
  readonly authorizationId: string
  readonly family: string
  readonly issuedFrom: string
  readonly scopes: ReadonlyArray<string>
  readonly issuedAt: number
  declare readonly expiresAt?: number
  declare readonly supersededAt?: number

  constructor(
    token: Omit<RefreshToken, "kind" | "expiresAt" | "supersededAt">,
    expiresAt: number | undefined,
    supersededAt: number | undefined
  ) {
    this.handle = token.handle
    this.serial = token.serial
    this.clientId = token.clientId
    this.authorizationId = token.authorizationId
    this.family = token.family
    this.issuedFrom = token.issuedFrom
    this.scopes = token.scopes
    this.issuedAt = token.issuedAt
    if (expiresAt !== undefined) this.expiresAt = expiresAt
    if (supersededAt !== undefined) this.supersededAt = supersededAt
  }
}

/** The refresh token of a lineage, issued now. */
const refreshToken = (state: State, now: number, lineage: Lineage): readonly [string, RefreshToken, State] => {
  const [{ value, handle, serial }, next] = mint(state, "rt")
  const lifetime = state.policy.refreshTokenLifetime
  const record = new RefreshRecord(
    { handle, serial, ...lineage, issuedAt: now },
    lifetime === null ? undefined : after(now, lifetime),
    undefined
  )
  return [value, record, next]
}

/** A refresh token superseded at `now`. */
export const superseded = (token: RefreshToken, now: number): RefreshToken =>
  new RefreshRecord(token, token.expiresAt, now)

/**
 * Issues a family's next tokens: an access token with `accessScopes` and, with `withRefresh`, a refresh token with
 * the lineage's scopes; answers their values (the refresh token's undefined without one). The family's token list
 * and the access token's place in the queue of tokens to forget are kept in the same update.
 */
export const issueTokens = (
  state: State,
  now: number,
  lineage: Lineage,
  accessScopes: ReadonlyArray<string>,
  withRefresh: boolean
): readonly [string, string | undefined, State] => {
  const [access, accessRecord, minted] = accessToken(state, now, lineage, accessScopes)
  const issued: Array<readonly [Token, string]> = [[accessRecord, access]]
  let refresh: string | undefined
  let next = minted
  if (withRefresh) {
    const [value, refreshRecord, again] = refreshToken(minted, now, lineage)
    issued.push([refreshRecord, value])
    refresh = value
    next = again
  }
  const known = familyTokensOf(next, lineage.family)
  const refreshes = known?.refresh ?? List.empty<string>()
  const family = {
    refresh: refresh === undefined ? refreshes : List.prepend(refreshes, refresh),
    access: push(known?.access ?? empty<string>(), access)
  }
  const expiries = {
    clientCredentials: next.expiries.clientCredentials,
    access: push(next.expiries.access, access),
    due: Math.min(next.expiries.due, after(accessRecord.expiresAt, state.policy.forgetAfter))
  }
  return [access, refresh, putIssued(next, lineage.family, issued, family, expiries)]
}
