/**
 * The server's records, each kind in a log by its serial (consents by their `seq`): every read and write of them is
 * here. A value the server hands out (a token, a code, an authorization id) carries its record's serial in its first
 * 32 bits (`rng.serialUuid`; a client-credentials JWT in its `jti`), so finding the record is reading one slot and
 * comparing the value whole: no map keyed by the value, no hashing of secrets, nothing a guessed prefix can match.
 */
import type { AuthorizationCode, Client, Consent, Family, FamilyTokens, State, Token } from "../../Model.js"
import { update } from "./copy.js"
import { serialOf } from "./handles.js"
import { decodeJwt } from "./jwt.js"
import { get, type Log, remove, set } from "./log.js"
import { serialOfUuid } from "./rng.js"

export const clientOf = (state: State, clientId: string): Client | undefined => state.clients.get(clientId)

/** The serial a token's or code's value carries, if it is one of this server's. */
const serialOfValue = (state: State, value: string): number | undefined => {
  if (!value.startsWith("eyJ")) return serialOfUuid(value, state.salt)
  const jti = decodeJwt(value)?.payload.jti
  return typeof jti === "string" ? serialOfUuid(jti, state.salt) : undefined
}

/** The serial of a value this server issued and still keeps: the value kept at its serial is this very one. */
const keptSerial = (state: State, value: string): number | undefined => {
  const serial = serialOfValue(state, value)
  return serial !== undefined && get(state.values, serial - 1) === value ? serial : undefined
}

/** The record of `log` a value names: its serial's slot, if the value kept there is this very one. */
const byValue = <A>(state: State, log: Log<A>, value: string): A | undefined => {
  const serial = keptSerial(state, value)
  return serial === undefined ? undefined : get(log, serial - 1)
}

export const tokenOf = (state: State, value: string): Token | undefined => byValue(state, state.tokens, value)

export const codeOf = (state: State, value: string): AuthorizationCode | undefined => byValue(state, state.codes, value)

export const consentOf = (state: State, authorizationId: string): Consent | undefined => {
  const seq = serialOfUuid(authorizationId, state.salt)
  const consent = seq === undefined ? undefined : get(state.consents, seq)
  return consent?.authorizationId === authorizationId ? consent : undefined
}

export const familyOf = (state: State, handle: string): Family | undefined => {
  const serial = serialOf(handle, ["fam"])
  const family = serial === undefined ? undefined : get(state.families, serial - 1)
  return family?.handle === handle ? family : undefined
}

export const familyTokensOf = (state: State, handle: string): FamilyTokens | undefined => {
  const serial = serialOf(handle, ["fam"])
  return serial === undefined ? undefined : get(state.familyTokens, serial - 1)
}

/** The token a handle names, if it is still kept. */
export const tokenByHandle = (state: State, handle: string): Token | undefined => {
  const serial = serialOf(handle, ["at", "rt", "cc"])
  const token = serial === undefined ? undefined : get(state.tokens, serial - 1)
  return token?.handle === handle ? token : undefined
}

/** The code a handle names, with its value, if it is still kept. */
export const codeByHandle = (
  state: State,
  handle: string
): { readonly value: string; readonly code: AuthorizationCode } | undefined => {
  const serial = serialOf(handle, ["code"])
  const code = serial === undefined ? undefined : get(state.codes, serial - 1)
  const value = serial === undefined ? undefined : get(state.values, serial - 1)
  return code?.handle === handle && value !== undefined ? { value, code } : undefined
}

/** The handle of a token or code value, if the server issued it and still keeps it. */
export const handleOf = (state: State, value: string): string | undefined => {
  const serial = keptSerial(state, value)
  return serial === undefined ? undefined : (get(state.tokens, serial - 1) ?? get(state.codes, serial - 1))?.handle
}

/** Keeps a token (new, with its value, or changed, without). */
export const putToken = (state: State, token: Token, value?: string): State =>
  update(state, {
    tokens: set(state.tokens, token.serial - 1, token),
    ...(value === undefined ? {} : { values: set(state.values, token.serial - 1, value) })
  })

/**
 * Keeps a family's new tokens, each with its value, its token lists and the queues of tokens to forget, in one copy
 * of the state: what a code exchange or a refresh writes.
 */
export const putIssued = (
  state: State,
  family: string,
  issued: ReadonlyArray<readonly [Token, string]>,
  familyTokens: FamilyTokens,
  expiries: State["expiries"]
): State => {
  let tokens = state.tokens
  let values = state.values
  for (const [token, value] of issued) {
    tokens = set(tokens, token.serial - 1, token)
    values = set(values, token.serial - 1, value)
  }
  const serial = serialOf(family, ["fam"])
  const lists = serial === undefined ? state.familyTokens : set(state.familyTokens, serial - 1, familyTokens)
  return update(state, { tokens, values, familyTokens: lists, expiries })
}

/** Keeps a code (new, with its value, or changed, without). */
export const putCode = (state: State, code: AuthorizationCode, value?: string): State =>
  update(state, {
    codes: set(state.codes, code.serial - 1, code),
    ...(value === undefined ? {} : { values: set(state.values, code.serial - 1, value) })
  })

export const putFamily = (state: State, family: Family): State =>
  update(state, { families: set(state.families, family.serial - 1, family) })

export const putFamilyTokens = (state: State, family: string, tokens: FamilyTokens): State => {
  const serial = serialOf(family, ["fam"])
  return serial === undefined ? state : update(state, { familyTokens: set(state.familyTokens, serial - 1, tokens) })
}

export const putConsent = (state: State, consent: Consent): State =>
  update(state, { consents: set(state.consents, consent.seq, consent) })

export const dropToken = (state: State, token: Token): State =>
  update(state, { tokens: remove(state.tokens, token.serial - 1), values: remove(state.values, token.serial - 1) })

export const dropCode = (state: State, code: AuthorizationCode): State =>
  update(state, { codes: remove(state.codes, code.serial - 1), values: remove(state.values, code.serial - 1) })

/** Forgets a family and its token lists (not the tokens themselves). */
export const dropFamily = (state: State, family: Family): State =>
  update(state, {
    families: remove(state.families, family.serial - 1),
    familyTokens: remove(state.familyTokens, family.serial - 1)
  })

export const dropConsent = (state: State, consent: Consent): State =>
  update(state, { consents: remove(state.consents, consent.seq) })
