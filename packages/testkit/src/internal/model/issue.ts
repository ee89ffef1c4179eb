import { HashMap, List, Option } from "effect"
import type { Lineage, State, Token } from "../../Model.js"
import { patch, update } from "./copy.js"
import { mint } from "./handles.js"
import { push } from "./log.js"
import { after } from "./time.js"

/** One consent-flow token, its value minted, its record made: not yet stored. */
const token = (
  state: State,
  now: number,
  kind: "access" | "refresh",
  lineage: Lineage
): readonly [string, Token, State] => {
  const [{ value, handle, serial }, next] = mint(state, kind === "access" ? "at" : "rt")
  const { accessTokenLifetime, refreshTokenLifetime } = state.policy
  // field by field rather than `...lineage`: see `patch` on V8's slow spread copies
  const common = {
    handle,
    serial,
    clientId: lineage.clientId,
    authorizationId: lineage.authorizationId,
    family: lineage.family,
    issuedFrom: lineage.issuedFrom,
    scopes: lineage.scopes,
    issuedAt: now
  }
  const record: Token =
    kind === "access"
      ? patch(common, { kind, expiresAt: after(now, accessTokenLifetime) })
      : patch(common, {
          kind,
          ...(refreshTokenLifetime === null ? {} : { expiresAt: after(now, refreshTokenLifetime) })
        })
  return [value, record, next]
}

/**
 * Issues a family's next tokens: an access token with `accessScopes` and, with `withRefresh`, a refresh token with
 * the lineage's scopes; answers their values (the refresh token's undefined without one). The family's token list
 * and the access token's expiry are kept in the same update.
 */
export const issueTokens = (
  state: State,
  now: number,
  lineage: Lineage,
  accessScopes: ReadonlyArray<string>,
  withRefresh: boolean
): readonly [string, string | undefined, State] => {
  const [access, accessRecord, minted] = token(state, now, "access", patch(lineage, { scopes: accessScopes }))
  let tokens = HashMap.set(minted.tokens, access, accessRecord)
  let refresh: string | undefined
  let next = minted
  if (withRefresh) {
    const [value, refreshRecord, again] = token(minted, now, "refresh", lineage)
    tokens = HashMap.set(tokens, value, refreshRecord)
    refresh = value
    next = again
  }
  const known = Option.getOrUndefined(HashMap.get(next.familyTokens, lineage.family))
  const list = List.prepend(known?.tokens ?? List.empty<string>(), access)
  const family = {
    tokens: refresh === undefined ? list : List.prepend(list, refresh),
    refresh: refresh ?? known?.refresh ?? "",
    access
  }
  const expiries = {
    clientCredentials: next.expiries.clientCredentials,
    access: push(next.expiries.access, {
      value: access,
      at: after(accessRecord.expiresAt ?? now, state.policy.forgetAfter)
    })
  }
  return [
    access,
    refresh,
    update(next, { tokens, familyTokens: HashMap.set(next.familyTokens, lineage.family, family), expiries })
  ]
}
