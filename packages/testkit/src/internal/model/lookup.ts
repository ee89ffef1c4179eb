import { HashMap, Option } from "effect"
import type { AuthorizationCode, Client, Consent, Family, FamilyTokens, State, Token } from "../../Model.js"

const get = <A>(map: HashMap.HashMap<string, A>, key: string): A | undefined =>
  Option.getOrUndefined(HashMap.get(map, key))

export const clientOf = (state: State, clientId: string): Client | undefined => state.clients.get(clientId)

export const consentOf = (state: State, authorizationId: string): Consent | undefined =>
  get(state.consents, authorizationId)

export const familyOf = (state: State, handle: string): Family | undefined => get(state.families, handle)

export const familyTokensOf = (state: State, handle: string): FamilyTokens | undefined =>
  get(state.familyTokens, handle)

export const tokenOf = (state: State, value: string): Token | undefined => get(state.tokens, value)

export const codeOf = (state: State, value: string): AuthorizationCode | undefined => get(state.codes, value)

/** The handle of a token or code value, if the server issued it. */
export const handleOf = (state: State, value: string): string | undefined =>
  (tokenOf(state, value) ?? codeOf(state, value))?.handle
