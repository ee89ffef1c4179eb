/**
 * sfc32 ("small fast counting", Chris Doty-Humphrey): four 32-bit words of state, plain integer arithmetic,
 * good statistical quality for test data. The state is an immutable tuple, so any server state can be
 * stepped again from where it stood and draw the same values.
 */
export type Rng = readonly [number, number, number, number]

const GOLDEN = 0x9e3779b9

// murmur3's finalizer spreads the bits of nearby seeds apart
const mix = (x: number): number => {
  let z = x | 0
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

// a lookup table: Number#toString(16) takes V8's slow radix path, six times the cost per word
const BYTE_HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"))

const wordHex = (word: number): string =>
  `${BYTE_HEX[word >>> 24]}${BYTE_HEX[(word >>> 16) & 0xff]}${BYTE_HEX[(word >>> 8) & 0xff]}${BYTE_HEX[word & 0xff]}`

/** Draws `words` 32-bit words as lower-case hex (8 characters each). */
export const hex = (rng: Rng, words: number): readonly [string, Rng] => {
  let [a, b, c, d] = rng
  let out = ""
  for (let i = 0; i < words; i++) {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    out += wordHex(t >>> 0)
  }
  return [out, [a, b, c, d]]
}

/** A generator from a 32-bit seed; the first outputs are discarded, as sfc32's author recommends. */
export const seeded = (seed: number): Rng => {
  const s = seed >>> 0
  return hex([mix(s + GOLDEN), mix(s + 2 * GOLDEN), mix(s + 3 * GOLDEN), mix(s + 4 * GOLDEN)], 12)[1]
}

// RFC 9562 §4.1: the variant's two high bits are 10, so the 17th hex digit is 8, 9, a or b
const VARIANT: Readonly<Record<string, string>> = Object.fromEntries(
  [..."0123456789abcdef"].map((digit) => [digit, "89ab"[Number.parseInt(digit, 16) & 3]!])
)

// murmur3's finalizer is a bijection on 32-bit words: each step (xor-shift, multiply by an odd constant) inverts
const unmix = (x: number): number => {
  let z = x >>> 0
  z = (z ^ (z >>> 16)) >>> 0
  z = Math.imul(z, 0x7ed1b41d) >>> 0
  z = (z ^ (z >>> 13) ^ (z >>> 26)) >>> 0
  z = Math.imul(z, 0xa5cb9243) >>> 0
  return (z ^ (z >>> 16)) >>> 0
}

/**
 * A random UUID whose first 32 bits carry `serial`, mixed with the state's `salt` so that consecutive ones share
 * nothing visible: the server finds the record a value names from its serial, with no map keyed by the value. The
 * other 90 bits are the generator's, and the value found is compared whole, so a guessed prefix finds nothing.
 */
export const serialUuid = (rng: Rng, serial: number, salt: number): readonly [string, Rng] => {
  const [value, next] = uuid(rng)
  return [`${wordHex(mix((serial ^ salt) >>> 0))}${value.slice(8)}`, next]
}

/** The serial a `serialUuid` value carries, or undefined for text that is not one. */
export const serialOfUuid = (value: string, salt: number): number | undefined => {
  if (value.length !== 36 || value.charCodeAt(8) !== 45) return undefined
  const word = Number.parseInt(value.slice(0, 8), 16)
  return Number.isNaN(word) ? undefined : (unmix(word) ^ salt) >>> 0
}

/**
 * A random UUID (RFC 9562 §5.4, version 4) from 122 seeded bits, as HM's tokens are and as the spec types the bearer
 * header (`format: uuid`): the version digit 4, the variant 10.
 */
export const uuid = (rng: Rng): readonly [string, Rng] => {
  const [h, next] = hex(rng, 4)
  const variant = VARIANT[h.charAt(16)]
  return [`${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20)}`, next]
}
