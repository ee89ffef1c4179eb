/**
 * The ES256 client assertion (RFC 7523) that authenticates a service account: header `{ alg: "ES256", typ: "JWT" }`,
 * payload `iss` = key id, `aud` = API base URL + `/v1`, `iat`, a random `jti` and `ver: 2`, with no `exp`,
 * as High Mobility's own example. A fresh one is signed for every request, so a retry never replays a `jti`.
 *
 * @since 0.1.0
 */
import { Clock, Effect, Encoding, Redacted } from "effect"
import { importPKCS8, SignJWT } from "jose"
import type { ServiceAccountKey } from "./Credentials.js"
import { InvalidServiceAccountKey } from "./HmOAuthError.js"

/** The value of `client_assertion_type` that goes with a JWT client assertion. */
export const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

/** A service-account key imported once, ready to sign. The private key is a non-extractable `CryptoKey`. */
export interface Signer {
  readonly keyId: string
  /** Signs a fresh assertion for the given audience (the API base URL + `/v1`). */
  readonly sign: (audience: string) => Effect.Effect<Redacted.Redacted<string>>
}

/** Imports the key's PEM; fails with a typed error, never mentioning the key material, if it is not a P-256 PKCS#8 key. */
export const makeSigner = (key: ServiceAccountKey): Effect.Effect<Signer, InvalidServiceAccountKey> =>
  Effect.tryPromise({
    try: () => importPKCS8(Redacted.value(key.privateKeyPem), "ES256"),
    catch: () => new InvalidServiceAccountKey({ detail: `key ${key.id} is not a PKCS#8 PEM of a P-256 private key` })
  }).pipe(
    Effect.map((privateKey) => ({
      keyId: key.id,
      sign: (audience) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.promise(() =>
            new SignJWT({ ver: 2 })
              .setProtectedHeader({ alg: "ES256", typ: "JWT" })
              .setIssuer(key.id)
              .setAudience(audience)
              .setIssuedAt(Math.floor(now / 1000))
              .setJti(randomJti())
              .sign(privateKey)
          )
        ).pipe(Effect.map(Redacted.make))
    }))
  )

/** 128 random bits, base64url: unique per assertion so the server can refuse replays. */
const randomJti = (): string => Encoding.encodeBase64Url(crypto.getRandomValues(new Uint8Array(16)))
