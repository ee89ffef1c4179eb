/**
 * The character sets the OAuth RFCs allow for what travels on the wire, so a value that could not be sent as it
 * is (a CR or LF in a header, a non-Latin-1 character) is refused when it arrives instead of failing later.
 */

/** RFC 6750 §2.1 `b64token`: what may follow `Bearer ` in an `Authorization` header. */
export const bearerToken = /^[A-Za-z0-9\-._~+/]+=*$/

/** RFC 6749 Appendix A `VSCHAR` (%x20-7E): codes, refresh tokens, client secrets. */
export const visibleAscii = /^[\x20-\x7e]+$/
