import { createECDH, createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto"
import { hex, type Rng } from "./rng.js"

// n, the order of the P-256 group: a private scalar lies in [1, n - 1]
const P256_ORDER = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"

/**
 * The server's ES256 key, drawn from the PRNG so that a seed fixes it: 32 random bytes as the private
 * scalar, the public point computed by ECDH, both assembled into a JWK Node can sign with.
 */
export const deriveSigningKey = (rng: Rng): readonly [KeyObject, Rng] => {
  const [scalar, next] = hex(rng, 8)
  // same-length lower-case hex compares like the numbers; a draw out of range (odds 2^-32) is drawn again
  if (scalar >= P256_ORDER || /^0+$/.test(scalar)) return deriveSigningKey(next)
  const d = Buffer.from(scalar, "hex")
  const ecdh = createECDH("prime256v1")
  ecdh.setPrivateKey(d)
  const point = ecdh.getPublicKey() // 0x04 || X || Y
  const key = createPrivateKey({
    format: "jwk",
    key: {
      kty: "EC",
      crv: "P-256",
      d: d.toString("base64url"),
      x: point.subarray(1, 33).toString("base64url"),
      y: point.subarray(33).toString("base64url")
    }
  })
  return [key, next]
}

/** The public half of a key as a JWK. */
export const publicJwk = (key: KeyObject): JsonWebKey => createPublicKey(key).export({ format: "jwk" })
