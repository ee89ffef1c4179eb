/** Records, keys and tokens the tests write; every token value is unique, so a dump can be searched for each. */
import { randomBytes } from "node:crypto"
import type { TokenStore } from "@hm-oauth/core"
import { DateTime, Either, Option, Redacted } from "effect"
import { StoreEncryption } from "../../src/index.js"

export const testKey = (id: string): StoreEncryption.Key =>
  Either.getOrThrow(StoreEncryption.key(id, Redacted.make(new Uint8Array(randomBytes(32)))))

/** A key as `HM_OAUTH_STORE_KEY` gives it to another process: `ID:BASE64`. */
export const keyText = (key: StoreEncryption.Key): string =>
  `${key.id}:${Buffer.from(Redacted.value(key.key)).toString("base64")}`

const key = testKey("k1")
export const encryption = StoreEncryption.keys(key)
/** `encryption`'s key, for processes that open the same store. */
export const encryptionKeyText = keyText(key)

let counter = 0
/** A token no other call returns, shaped like HM's (a UUID-like string). */
export const token = (kind: "access" | "refresh") =>
  Redacted.make(`${kind}-${(++counter).toString().padStart(6, "0")}-${randomBytes(8).toString("hex")}`)

export const tokens = (expiresAt = 600_000): TokenStore.GrantTokens => ({
  accessToken: token("access"),
  refreshToken: Option.some(token("refresh")),
  expiresAt: DateTime.unsafeMake(expiresAt),
  scopes: ["vehicle:speed", "vehicle:location"],
  status: "active",
  validFrom: Option.none(),
  validUntil: Option.none()
})

export const newGrant = (grantId: string, overrides: Partial<TokenStore.NewGrant> = {}): TokenStore.NewGrant => ({
  grantId,
  clientId: "client-1",
  authorizationId: Option.some(`auth-${grantId}`),
  tokens: tokens(),
  ...overrides
})

export const lease = (owner: string, untilMillis: number) => ({ owner, until: DateTime.unsafeMake(untilMillis) })

/** Every token value a record holds, revealed: what a dump must not contain. */
export const secretsOf = (record: TokenStore.GrantRecord): ReadonlyArray<string> => [
  Redacted.value(record.accessToken),
  ...Option.toArray(Option.map(record.refreshToken, Redacted.value))
]
