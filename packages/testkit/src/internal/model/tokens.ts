import { HashMap } from "effect"
import type { Consent, Lineage, Policy, RevocationReason, State, Token, TokenStatus } from "../../Model.js"
import type { JsonObject } from "./json.js"
import { consentOf, familyOf } from "./lookup.js"
import { uuid } from "./rng.js"
import { patch, update } from "./state.js"
import { jsonReply, type Reply } from "./wire.js"

/** The prefix of a handle, naming what it stands for. */
export type HandlePrefix = "at" | "rt" | "cc" | "code" | "fam"

/** A handle and the serial it carries (the order of issue). */
export interface Handle {
  readonly handle: string
  readonly serial: number
}

/** The next sequential handle (`at#3`): what inspection and history show instead of a secret value. */
export const nextHandle = (state: State, prefix: HandlePrefix): readonly [Handle, State] => {
  const serial = state.serial + 1
  return [{ handle: `${prefix}#${serial}`, serial }, update(state, { serial })]
}

/** A fresh secret value (128 random bits shaped like a UUID) and its handle. */
export const mint = (state: State, prefix: HandlePrefix): readonly [Handle & { readonly value: string }, State] => {
  const [value, rng] = uuid(state.rng)
  const [{ handle, serial }, next] = nextHandle(state, prefix)
  return [{ handle, serial, value }, update(next, { rng })]
}

/** Seconds from now as an epoch-ms instant. */
export const after = (now: number, seconds: number): number => now + seconds * 1000

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

const isRevoked = (state: State, token: Token): boolean => {
  if (token.kind === "client_credentials") return token.revokedAt !== undefined
  if (consentOf(state, token.authorizationId)?.status === "revoked") return true
  const family = familyOf(state, token.family)
  return token.kind === "access"
    ? token.revokedAt !== undefined || family?.accessTokensRevoked !== undefined
    : family?.refreshTokensRevoked !== undefined
}

/**
 * Where a token stands. Revocation is not copied onto each token: a family or a consent carries it, so
 * killing a family of any size is one update, and each token reads it here.
 */
export const tokenStatus = (state: State, now: number, token: Token): TokenStatus => {
  if (isRevoked(state, token)) return "revoked"
  if (token.expiresAt !== undefined && now >= token.expiresAt) return "expired"
  if (token.kind === "refresh" && token.supersededAt !== undefined) return "superseded"
  return "live"
}

/** Revokes a family's refresh tokens, and its access tokens with `accessTokens`; earlier revocations stand. */
export const revokeFamily = (
  state: State,
  now: number,
  handle: string,
  reason: RevocationReason,
  accessTokens: boolean
): State => {
  const family = familyOf(state, handle)
  if (family === undefined) return state
  const revocation = { at: now, reason }
  const revoked = patch(family, {
    refreshTokensRevoked: family.refreshTokensRevoked ?? revocation,
    ...(accessTokens ? { accessTokensRevoked: family.accessTokensRevoked ?? revocation } : {})
  })
  return update(state, { families: HashMap.set(state.families, handle, revoked) })
}

/** The scopes a request asks for: all granted ones if it names none, undefined if it names one not granted. */
export const requestedScopes = (
  granted: ReadonlyArray<string>,
  requested: string | undefined
): ReadonlyArray<string> | undefined => {
  if (requested === undefined) return granted
  const names = requested.split(" ").filter((name) => name !== "")
  return names.every((name) => granted.includes(name)) ? names : undefined
}

/** HM's date format: ISO 8601 with microseconds, e.g. `2018-11-06T10:20:37.094533Z`. */
export const isoMicros = (epochMs: number): string => new Date(epochMs).toISOString().replace("Z", "000Z")

/** A successful token response; RFC 6749 §5.1 forbids caching it. */
export const tokenReply = (policy: Policy, body: JsonObject): Reply =>
  jsonReply(policy.successStatus, body, { "cache-control": "no-store" })

/** The token response of the consent flow (code exchange and refresh), shaped like the spec's examples. */
export const consentTokenReply = (
  policy: Policy,
  consent: Consent,
  scopes: ReadonlyArray<string>,
  accessToken: string,
  refreshToken: string
): Reply =>
  tokenReply(policy, {
    access_token: accessToken,
    token_type: "bearer",
    expires_in: policy.accessTokenLifetime,
    refresh_token: refreshToken,
    scope: scopes.join(" "),
    status: consent.status,
    authorization_id: consent.authorizationId,
    ...(consent.validFrom === undefined ? {} : { validity_start_date: isoMicros(consent.validFrom) }),
    ...(consent.validUntil === undefined ? {} : { validity_end_date: isoMicros(consent.validUntil) })
  })
