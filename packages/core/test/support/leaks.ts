/**
 * An oracle of leaks, independent of the scrubbing it checks: every way a reader could decode a text (JSON
 * escapes, percent and form encoding, base64 and base64url at any alignment), so that a secret found in any
 * reading is a secret shown.
 */

const unescapeJson = (text: string): string =>
  text.replace(/\\(u[0-9a-fA-F]{4}|["\\/bfnrt])/g, (_, escape: string) =>
    escape.startsWith("u")
      ? String.fromCharCode(Number.parseInt(escape.slice(1), 16))
      : ({ '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" }[escape] ?? escape)
  )

const percentDecode = (text: string): string =>
  text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))

/** The base64 readings of every run of base64 characters, from each of the four alignments. */
const base64Readings = (text: string): ReadonlyArray<string> =>
  (text.match(/[A-Za-z0-9+/_-]{6,}={0,2}/g) ?? []).flatMap((run) =>
    [0, 1, 2, 3].map((offset) =>
      Buffer.from(run.slice(offset).replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("latin1")
    )
  )

/** Every reading of `text` a reader could make. */
export const readings = (text: string): ReadonlyArray<string> => {
  const once = unescapeJson(text)
  const texts = [text, once, unescapeJson(once)]
  const decoded = texts.flatMap((reading) => [percentDecode(reading), percentDecode(reading.replace(/\+/g, " "))])
  return [...texts, ...decoded, ...texts.flatMap(base64Readings)]
}

/** Whether any reading of `shown` holds `secret`. */
export const leaks = (shown: string, secret: string): boolean =>
  readings(shown).some((reading) => reading.includes(secret))
