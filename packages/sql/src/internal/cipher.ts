import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import { Either, Redacted } from "effect"
import type { Key, StoreEncryption } from "../StoreEncryption.js"

/**
 * A stored token is `KEYID:BASE64(iv ‖ ciphertext ‖ tag)`, or `:TOKEN` in plaintext (the empty key id). The
 * additional authenticated data names the grant and the column, so a ciphertext copied to another row or column
 * fails to decrypt instead of handing out another grant's token.
 */
export interface Cipher {
  readonly seal: (grantId: string, column: string, token: Redacted.Redacted<string>) => string
  readonly open: (grantId: string, column: string, stored: string) => Either.Either<Redacted.Redacted<string>, string>
  /** The key id new writes use (`""` for plaintext), for finding rows to re-encrypt. */
  readonly currentKeyId: string
}

const ivLength = 12
const tagLength = 16

const aad = (grantId: string, column: string) => Buffer.from(`hm-oauth/sql/v1\u0000${column}\u0000${grantId}`, "utf8")

const sealWith = (key: Key, grantId: string, column: string, token: Redacted.Redacted<string>): string => {
  const iv = randomBytes(ivLength)
  const cipher = createCipheriv("aes-256-gcm", Redacted.value(key.key), iv).setAAD(aad(grantId, column))
  const body = Buffer.concat([iv, cipher.update(Redacted.value(token), "utf8"), cipher.final(), cipher.getAuthTag()])
  return `${key.id}:${body.toString("base64")}`
}

const openWith = (key: Key, grantId: string, column: string, encoded: string) => {
  const body = Buffer.from(encoded, "base64")
  if (body.length < ivLength + tagLength) return Either.left("the ciphertext is truncated")
  try {
    const decipher = createDecipheriv("aes-256-gcm", Redacted.value(key.key), body.subarray(0, ivLength))
      .setAAD(aad(grantId, column))
      .setAuthTag(body.subarray(body.length - tagLength))
    const clear = Buffer.concat([decipher.update(body.subarray(ivLength, body.length - tagLength)), decipher.final()])
    return Either.right(Redacted.make(clear.toString("utf8")))
  } catch {
    return Either.left(
      `the ciphertext does not decrypt under key ${key.id} for this row (a wrong key, or a value moved or altered)`
    )
  }
}

export const make = (encryption: StoreEncryption): Cipher => {
  if (encryption._tag === "Plaintext") {
    return {
      currentKeyId: "",
      seal: (_grantId, _column, token) => `:${Redacted.value(token)}`,
      open: (_grantId, _column, stored) =>
        stored.startsWith(":")
          ? Either.right(Redacted.make(stored.slice(1)))
          : Either.left(`the token is encrypted (key ${keyIdOf(stored)}) but the store was opened in plaintext`)
    }
  }
  // the current key last, so it wins over a previous key given under the same id
  const byId = new Map([...encryption.previous, encryption.current].map((key) => [key.id, key]))
  return {
    currentKeyId: encryption.current.id,
    seal: (grantId, column, token) => sealWith(encryption.current, grantId, column, token),
    open: (grantId, column, stored) => {
      const id = keyIdOf(stored)
      if (id === "") return Either.left("the token is stored in plaintext but the store encrypts")
      const key = byId.get(id)
      return key === undefined
        ? Either.left(`the token is encrypted under key ${id}, which the store was not given`)
        : openWith(key, grantId, column, stored.slice(id.length + 1))
    }
  }
}

const keyIdOf = (stored: string) => {
  const colon = stored.indexOf(":")
  return colon < 0 ? "?" : stored.slice(0, colon)
}
