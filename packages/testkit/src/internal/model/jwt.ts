import { type KeyObject, sign, verify } from "node:crypto"
import { Either } from "effect"
import { type JsonObject, readJsonObject } from "../fields.js"

/** A compact JWS split into its parts; nothing about it is verified yet. */
export interface Jwt {
  readonly header: JsonObject
  readonly payload: JsonObject
  readonly signingInput: string
  readonly signature: Buffer
}

const SEGMENT = /^[A-Za-z0-9_-]+$/

const encodeSegment = (value: JsonObject): string => Buffer.from(JSON.stringify(value)).toString("base64url")

const decodeSegment = (segment: string): JsonObject | undefined =>
  // RFC 7515 §4: a header (or claim) named twice is refused, not read as its last value
  Either.getOrUndefined(readJsonObject(Buffer.from(segment, "base64url").toString("utf8")))

/** Splits a compact JWS; undefined unless it has three base64url parts, the first two JSON objects. */
export const decodeJwt = (token: string): Jwt | undefined => {
  const parts = token.split(".")
  if (parts.length !== 3 || !parts.every((part) => SEGMENT.test(part))) return undefined
  const [header = "", payload = "", signature = ""] = parts
  const decodedHeader = decodeSegment(header)
  const decodedPayload = decodeSegment(payload)
  if (decodedHeader === undefined || decodedPayload === undefined) return undefined
  return {
    header: decodedHeader,
    payload: decodedPayload,
    signingInput: `${header}.${payload}`,
    signature: Buffer.from(signature, "base64url")
  }
}

// JWS ES256 (RFC 7518 §3.4) carries the raw 64-byte R || S, not DER: Node calls it "ieee-p1363"
const ES256 = "ieee-p1363"

/** Whether an ES256 JWT is signed by `key`. */
export const verifyEs256 = (jwt: Jwt, key: KeyObject): boolean =>
  jwt.signature.length === 64 &&
  verify("sha256", Buffer.from(jwt.signingInput), { key, dsaEncoding: ES256 }, jwt.signature)

/**
 * Signs an ES256 JWT. Node draws a random ECDSA nonce, so the signature differs from run to run even for one
 * seed; the header and payload do not, and every signature verifies with the same key.
 */
export const signEs256 = (key: KeyObject, header: JsonObject, payload: JsonObject): string => {
  const signingInput = `${encodeSegment(header)}.${encodeSegment(payload)}`
  const signature = sign("sha256", Buffer.from(signingInput), { key, dsaEncoding: ES256 })
  return `${signingInput}.${signature.toString("base64url")}`
}
