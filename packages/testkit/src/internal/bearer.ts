/**
 * The `Authorization` header of a bearer request (RFC 6750 §2.1), read once for the model and the spec validator:
 * `Bearer` in any case, one or more spaces, one b64token. Two headers arrive joined by a comma (RFC 9110 §5.3), and
 * a comma is no part of a b64token: they are malformed too.
 */

/** What an `Authorization` header holds. */
export type Authorization =
  /** No header, or a scheme other than Bearer: no bearer credentials at all. */
  | { readonly _tag: "None" }
  | { readonly _tag: "Bearer"; readonly token: string }
  /** The Bearer scheme with no token, more than one, or characters a b64token cannot hold. */
  | { readonly _tag: "Malformed" }

const none: Authorization = { _tag: "None" }
const malformed: Authorization = { _tag: "Malformed" }

// the scheme, then exactly one token after one or more spaces (RFC 7235 §2.1: 1*SP)
const BEARER = /^Bearer(?!\S)/i
const CREDENTIALS = /^ +([A-Za-z0-9\-._~+/]+=*)$/

/** Reads an `Authorization` header's value. */
export const parseAuthorization = (header: string | undefined): Authorization => {
  if (header === undefined) return none
  const value = header.trim()
  if (!BEARER.test(value)) return none
  const token = CREDENTIALS.exec(value.slice("Bearer".length))?.[1]
  return token === undefined ? malformed : { _tag: "Bearer", token }
}

/** The token of a well-formed bearer header, or undefined. */
export const bearerToken = (header: string | undefined): string | undefined => {
  const parsed = parseAuthorization(header)
  return parsed._tag === "Bearer" ? parsed.token : undefined
}
