/** Inputs several areas draw: body encodings, revocation hints, tokens the server never issued. */
import { FastCheck as fc } from "effect"
import type { Encoding } from "../api.js"

/** JSON (the spec's) or form (RFC 6749's) encoding of a body. */
export const encoding: fc.Arbitrary<Encoding> = fc.constantFrom<Encoding>("json", "form")

/** A `token_type_hint`, or none: only a hint (RFC 7009 §2.1), so every answer must be the same. */
export const tokenTypeHint = fc.constantFrom(undefined, "access_token", "refresh_token")

/** A token the server never issued: UUID-shaped like HM's, or any b64token-ish string. */
export const madeUpToken = fc.oneof(fc.uuid(), fc.stringMatching(/^[A-Za-z0-9._~-]{1,64}$/))
