/**
 * Reading named fields from a body, once for the model and the spec validator: a form, or a JSON object. A name
 * given twice is refused in both (RFC 6749 §3.2: "parameters MUST NOT be included more than once"), where
 * `URLSearchParams` would keep both and `JSON.parse` silently the last.
 */
import { Either } from "effect"

/** A parsed JSON object (never an array or null). */
export type JsonObject = Readonly<Record<string, unknown>>

/** Whether a parsed JSON value is an object. */
export const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const QUOTE = 34
const BACKSLASH = 92
const COLON = 58

/**
 * The names of a JSON object's own members, as written, for text that `JSON.parse` already read as an object: a
 * string at depth 1 followed by a colon is a name. The scan skips over strings, so no escape or bracket inside
 * one misleads it.
 */
const memberNames = (text: string): Array<string> => {
  const names: Array<string> = []
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      const start = i
      for (i++; text.charCodeAt(i) !== QUOTE; i++) if (text.charCodeAt(i) === BACKSLASH) i++
      if (depth !== 1) continue
      let next = i + 1
      while (/\s/.test(text.charAt(next))) next++
      if (text.charCodeAt(next) === COLON) names.push(JSON.parse(text.slice(start, i + 1)))
    } else if (c === 123 || c === 91) depth++
    else if (c === 125 || c === 93) depth--
  }
  return names
}

/** The first member name a JSON object's text gives twice, or undefined. `object` is what `JSON.parse` made of it. */
const repeatedMember = (text: string, object: JsonObject): string | undefined => {
  // A colon outside strings at depth 1 begins a member: as many as the object has keys means no name repeats, the
  // usual case, which this count settles without collecting a single name.
  let colons = 0
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      for (i++; text.charCodeAt(i) !== QUOTE; i++) if (text.charCodeAt(i) === BACKSLASH) i++
    } else if (c === COLON && depth === 1) colons++
    else if (c === 123 || c === 91) depth++
    else if (c === 125 || c === 93) depth--
  }
  if (colons === Object.keys(object).length) return undefined
  const seen = new Set<string>()
  for (const name of memberNames(text)) {
    if (seen.has(name)) return name
    seen.add(name)
  }
  return undefined
}

/** Reads JSON text whose top-level object, if it is one, gives no member twice; the problem otherwise. */
export const readJson = (text: string): Either.Either<unknown, string> => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return Either.left("not valid JSON")
  }
  const repeated = isJsonObject(value) ? repeatedMember(text, value) : undefined
  return repeated === undefined ? Either.right(value) : Either.left(`field ${repeated} appears more than once`)
}

/** Reads text that must hold one JSON object with no member given twice; the problem otherwise. */
export const readJsonObject = (text: string): Either.Either<JsonObject, string> =>
  Either.filterOrLeft(readJson(text), isJsonObject, () => "not a JSON object")

/** Reads a form (`application/x-www-form-urlencoded`) whose fields are each given once; the problem otherwise. */
export const readForm = (text: string): Either.Either<Readonly<Record<string, string>>, string> => {
  const fields = new Map<string, string>()
  for (const [name, value] of new URLSearchParams(text)) {
    if (fields.has(name)) return Either.left(`field ${name} appears more than once`)
    fields.set(name, value)
  }
  // a Map first, then an object: a field named "__proto__" becomes an own property, not the prototype
  return Either.right(Object.fromEntries(fields))
}
