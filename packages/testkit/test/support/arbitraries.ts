/**
 * Generators the invariant suites share: PKCE verifiers and wrong ones, near misses of a redirect URI, VINs,
 * and fault schedules.
 */
import { FastCheck as fc } from "effect"
import * as Faults from "../../src/Faults.js"

/** An RFC 7636 code verifier: 43 to 128 unreserved characters. */
export const verifier: fc.Arbitrary<string> = fc.stringMatching(/^[A-Za-z0-9\-._~]{43,128}$/)

/** `text` with the character at `index` replaced by `replacement`. */
const replaceAt = (text: string, index: number, replacement: string): string =>
  `${text.slice(0, index)}${replacement}${text.slice(index + 1)}`

/** Any index of `text`, which is not empty. */
const indexOf = (text: string): fc.Arbitrary<number> => fc.nat(text.length - 1)

/**
 * A verifier other than `right`: another well-formed one, one character changed, too short, too long, or
 * holding a character outside the unreserved set.
 */
export const wrongVerifier = (right: string): fc.Arbitrary<string> =>
  fc
    .oneof(
      verifier,
      fc.tuple(indexOf(right), fc.stringMatching(/^[A-Za-z0-9\-._~]$/)).map(([i, c]) => replaceAt(right, i, c)),
      fc.constant(right.slice(0, 42)),
      fc.stringMatching(/^[A-Za-z0-9\-._~]{129,140}$/),
      fc.tuple(indexOf(right), fc.constantFrom(" ", "+", "/", "=", "%", "é")).map(([i, c]) => replaceAt(right, i, c))
    )
    .filter((wrong) => wrong !== right)

const swapCase = (c: string): string => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())

/**
 * A URI that a lenient comparison would take for `uri`: a trailing slash added or dropped, one letter in the
 * other case, an extra query parameter, one character percent-encoded, a stray fragment or whitespace.
 */
export const nearMissUri = (uri: string): fc.Arbitrary<string> => {
  const letters = [...uri].flatMap((c, i) => (/[a-z]/i.test(c) ? [i] : []))
  return fc
    .oneof(
      fc.constant(uri.endsWith("/") ? uri.slice(0, -1) : `${uri}/`),
      fc.constantFrom(...letters).map((i) => replaceAt(uri, i, swapCase(uri[i]!))),
      fc
        .tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[A-Za-z0-9]{0,8}$/))
        .map(([name, value]) => `${uri}${uri.includes("?") ? "&" : "?"}${name}=${value}`),
      fc.tuple(indexOf(uri), fc.boolean()).map(([i, lowerHex]) => {
        const hex = uri.charCodeAt(i).toString(16).padStart(2, "0")
        return replaceAt(uri, i, `%${lowerHex ? hex.toLowerCase() : hex.toUpperCase()}`)
      }),
      fc.constantFrom(`${uri}#`, `${uri}?`, `${uri} `, ` ${uri}`)
    )
    .filter((variant) => variant !== uri)
}

/** A vehicle identification number: 17 characters, no I, O or Q. */
export const vin: fc.Arbitrary<string> = fc.stringMatching(/^[A-HJ-NPR-Z0-9]{17}$/)

/** A `Retry-After` in seconds: mostly short, sometimes around or past the client's 60-second limit. */
const retryAfterSeconds = fc.oneof(
  fc.integer({ min: 0, max: 3 }),
  fc.constantFrom(60, 61),
  fc.integer({ min: 0, max: 90 })
)

/** Every kind of fault, latency kept under the client's 10-second per-attempt timeout. */
export const fault: fc.Arbitrary<Faults.Fault> = fc.oneof(
  fc
    .tuple(fc.constantFrom(500, 502, 503, 504), fc.option(retryAfterSeconds, { nil: undefined }))
    .map(([status, retryAfter]) => Faults.serverError(status, retryAfter)),
  retryAfterSeconds.map(Faults.rateLimited),
  fc.constantFrom(401, 404, 429, 502, 503).map(Faults.htmlErrorPage),
  fc.constant(Faults.refused),
  fc.constant(Faults.hang),
  fc.integer({ min: 0, max: 9_000 }).map(Faults.latency),
  fc.constant(Faults.malformedJson),
  fc.constant(Faults.commitThenLose)
)

/**
 * One to four fault rules on one endpoint, each striking some of its first four requests or each request with
 * a probability (often certain or even): enough to exhaust the client's four attempts, or to leave it a
 * success after some.
 */
export const faultSchedule = (endpoint: Faults.Endpoint): fc.Arbitrary<ReadonlyArray<Faults.Rule>> =>
  fc.array(
    fc.oneof(
      fc
        .tuple(fc.subarray([1, 2, 3, 4], { minLength: 1 }), fault)
        .map(([requests, struck]) => Faults.on(endpoint, requests, struck)),
      fc
        .tuple(fc.oneof(fc.constantFrom(1, 0.5), fc.double({ min: 0, max: 1, noNaN: true })), fault)
        .map(([probability, struck]) => Faults.sometimes(endpoint, probability, struck))
    ),
    { minLength: 1, maxLength: 4 }
  )
