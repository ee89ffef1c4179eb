import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Redacted, TestClock } from "effect"
import { decodeProtectedHeader, exportPKCS8, generateKeyPair, jwtVerify } from "jose"
import { ClientAssertion, Credentials } from "../src/index.js"

const keyPair = await generateKeyPair("ES256", { extractable: true })
const privateKeyPem = Redacted.make(await exportPKCS8(keyPair.privateKey))

describe("ClientAssertion", () => {
  it.effect.prop(
    "a signed assertion verifies with the public key and carries iss = key id, aud, iat, a fresh jti and ver 2",
    { keyId: fc.uuid(), audience: fc.webUrl(), nowMillis: fc.integer({ min: 0, max: 4_000_000_000_000 }) },
    ({ audience, keyId, nowMillis }) =>
      Effect.gen(function* () {
        yield* TestClock.setTime(nowMillis)
        const signer = yield* ClientAssertion.makeSigner({ id: keyId, privateKeyPem })
        const first = Redacted.value(yield* signer.sign(audience))
        const second = Redacted.value(yield* signer.sign(audience))
        const { payload } = yield* Effect.promise(() =>
          jwtVerify(first, keyPair.publicKey, { algorithms: ["ES256"], currentDate: new Date(nowMillis) })
        )
        expect(decodeProtectedHeader(first)).toEqual({ alg: "ES256", typ: "JWT" })
        expect(payload).toEqual({
          iss: keyId,
          aud: audience,
          iat: Math.floor(nowMillis / 1000),
          jti: payload.jti,
          ver: 2
        })
        expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22}$/)
        // Raw R||S: 64 bytes, as the spec's example (a DER signature would be 70–72).
        expect(Buffer.from(first.split(".")[2]!, "base64url")).toHaveLength(64)
        const { payload: again } = yield* Effect.promise(() => jwtVerify(second, keyPair.publicKey))
        expect(again.jti).not.toBe(payload.jti)
      }),
    { fastCheck: { numRuns: 25 } }
  )

  it.effect("a key that is not a P-256 PKCS#8 PEM fails with InvalidServiceAccountKey, naming the key id only", () =>
    Effect.gen(function* () {
      const garbage = "-----BEGIN PRIVATE KEY-----\nnot-a-key-c2VjcmV0\n-----END PRIVATE KEY-----"
      const error = yield* Effect.flip(
        ClientAssertion.makeSigner({ id: "key-7", privateKeyPem: Redacted.make(garbage) })
      )
      expect(error._tag).toBe("InvalidServiceAccountKey")
      expect(error.message).toContain("key-7")
      expect(JSON.stringify(error) + String(error)).not.toContain("c2VjcmV0")
    })
  )

  it.effect("the console's key JSON is read into a key; anything else is a typed error", () =>
    Effect.gen(function* () {
      const json = JSON.stringify({ id: "key-1", private_key: Redacted.value(privateKeyPem) })
      const key = yield* Credentials.serviceAccountKeyFromJson(json)
      expect(key.id).toBe("key-1")
      expect(Redacted.value(key.privateKeyPem)).toBe(Redacted.value(privateKeyPem))
      for (const bad of ["", "{}", "[1]", JSON.stringify({ id: "k" }), JSON.stringify({ id: "", private_key: "x" })]) {
        const error = yield* Effect.flip(Credentials.serviceAccountKeyFromJson(bad))
        expect(error._tag).toBe("InvalidServiceAccountKey")
      }
    })
  )
})
