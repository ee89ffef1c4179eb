import { HashMap } from "effect"
import type { Lineage, State, Token } from "../../Model.js"
import { patch, update } from "./copy.js"
import { mint } from "./handles.js"
import { after } from "./time.js"

/** Issues a consent-flow access or refresh token, returning its value. */
export const issueToken = (
  state: State,
  now: number,
  kind: "access" | "refresh",
  lineage: Lineage
): readonly [string, State] => {
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
  const token: Token =
    kind === "access"
      ? patch(common, { kind, expiresAt: after(now, accessTokenLifetime) })
      : patch(common, {
          kind,
          ...(refreshTokenLifetime === null ? {} : { expiresAt: after(now, refreshTokenLifetime) })
        })
  return [value, update(next, { tokens: HashMap.set(next.tokens, value, token) })]
}
