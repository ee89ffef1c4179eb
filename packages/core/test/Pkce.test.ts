import { createHash } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Redacted } from "effect"
import { Pkce } from "../src/index.js"

const verifierAlphabet = /^[A-Za-z0-9\-._~]{43,128}$/
const s256 = (verifier: string) => createHash("sha256").update(verifier, "ascii").digest("base64url")

describe("Pkce", () => {
  it.effect.prop(
    "make: the verifier is 43–128 chars of the RFC 7636 alphabet, 256 random bits, S256 challenge",
    [fc.constant(null)],
    () =>
      Effect.gen(function* () {
        const pkce = yield* Pkce.make
        const verifier = Redacted.value(pkce.verifier)
        expect(verifier).toMatch(verifierAlphabet)
        expect(Buffer.from(verifier, "base64url")).toHaveLength(32)
        expect(pkce.method).toBe("S256")
        expect(pkce.challenge).toBe(s256(verifier))
      })
  )

  it.effect("make: verifiers do not repeat", () =>
    Effect.gen(function* () {
      const verifiers = yield* Effect.all(Array.from({ length: 1000 }, () => Pkce.make))
      expect(new Set(verifiers.map((pkce) => Redacted.value(pkce.verifier))).size).toBe(1000)
    })
  )

  it.effect.prop(
    "challengeOf: BASE64URL(SHA256(ASCII(verifier))) for any valid verifier",
    [fc.stringMatching(verifierAlphabet)],
    ([verifier]) =>
      Effect.gen(function* () {
        const challenge = yield* Pkce.challengeOf(Redacted.make(verifier))
        expect(challenge).toBe(s256(verifier))
        expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/)
      })
  )

  it.effect("challengeOf matches the RFC 7636 appendix B example", () =>
    Effect.gen(function* () {
      const challenge = yield* Pkce.challengeOf(Redacted.make("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"))
      expect(challenge).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    })
  )

  it.effect("the verifier never shows when printed", () =>
    Effect.gen(function* () {
      const pkce = yield* Pkce.make
      const verifier = Redacted.value(pkce.verifier)
      expect(JSON.stringify(pkce)).not.toContain(verifier)
      expect(String(pkce.verifier)).not.toContain(verifier)
    })
  )
})
