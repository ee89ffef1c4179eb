/**
 * Proof Key for Code Exchange (RFC 7636): a secret verifier the app keeps, and its S256 challenge that goes on
 * the consent page. Only the holder of the verifier can redeem the code.
 *
 * @since 0.1.0
 */
import { Effect, Encoding, Redacted } from "effect"

/** A verifier and its challenge. */
export interface Pkce {
  /** 43 characters of `[A-Za-z0-9-_]` carrying 256 random bits. Send it only with the code exchange. */
  readonly verifier: Redacted.Redacted<string>
  /** BASE64URL(SHA-256(verifier)). */
  readonly challenge: string
  readonly method: "S256"
}

/** A fresh verifier from the platform's cryptographic random source, and its challenge. */
export const make: Effect.Effect<Pkce> = Effect.suspend(() => {
  const verifier = Redacted.make(Encoding.encodeBase64Url(crypto.getRandomValues(new Uint8Array(32))))
  return Effect.map(challengeOf(verifier), (challenge) => ({
    verifier,
    challenge,
    method: "S256" as const
  }))
})

/** The S256 challenge of a verifier: BASE64URL(SHA-256(ASCII(verifier))). */
export const challengeOf = (verifier: Redacted.Redacted<string>): Effect.Effect<string> =>
  Effect.promise(() => crypto.subtle.digest("SHA-256", new TextEncoder().encode(Redacted.value(verifier)))).pipe(
    Effect.map((digest) => Encoding.encodeBase64Url(new Uint8Array(digest)))
  )
