/**
 * Keeps secrets out of errors. Everything a server sends is untrusted text that may echo what it was sent, or
 * carry tokens it issued, so text is shown only after it went through here, as the last step before display:
 * - every secret of the request is replaced in every form a reader could turn back into it: raw, JSON-escaped
 *   (once or twice, with or without `\u` escapes), URL- and form-encoded (either hex case), and base64 or base64url
 *   at any alignment inside a longer encoding;
 * - a value after a key that names a credential (`access_token`, `accessToken`, `client_secret`, `code`…,
 *   `Authorization: Bearer …`) is blanked wherever it stands;
 * - in a body excerpt, the values a JSON body holds under such keys (at any depth, in JSON strings holding JSON
 *   too) are learnt and replaced everywhere, and every token-looking run (16 or more token characters mixing
 *   letters and digits: UUIDs, JWTs, random strings) is blanked;
 * - the result is cut to a bound.
 *
 * A secret shorter than 8 characters cannot be scrubbed without mangling the text around it (or showing through
 * the marks), so a request holding one gets no server text at all in its errors: `withheld` instead.
 */
import { Encoding, Redacted } from "effect"

const marker = "<redacted>"

/** Stands for all the server's text when a request secret is too short to be scrubbed reliably. */
export const withheld = "<withheld: a secret of this request is too short to scrub>"

/** Secrets shorter than this make the server's text withheld rather than scrubbed. */
export const minimumSecretLength = 8

/** The bounds of what an error shows. */
export const limits = { short: 128, description: 512, excerpt: 256 } as const

/** Key names that carry credentials, in any spelling: `access_token`, `accessToken`, `Client-Secret`… */
const credentialKey = /token|secret|code|verifier|assertion|passw|private_?key|credential|authori[sz]ation|cookie/i

/** `key: value`, `"key":"value"`, `\"key\":\"value\"`, `key=value`: the value after a credential-naming key. */
const keyedValue =
  /([A-Za-z0-9_.-]{0,32}(?:token|secret|code|verifier|assertion|passw|private_?key|credential|authori[sz]ation|cookie)[A-Za-z0-9_.-]{0,32}(?:\\*["'])?\s*[:=]\s*(?:\\*["'])?)(?:(?:Bearer|Basic)\s+)?[^\s"'\\,;&<>{}[\]]+/gi

/** `Bearer <token>` or `Basic <credentials>` anywhere, e.g. an echoed `WWW-Authenticate` or `Authorization`. */
const schemeValue = /\b(Bearer|Basic)(\s+)[A-Za-z0-9\-._~+/]+=*/g

/** A run of RFC 6750 token characters long enough to be a credential; blanked when it mixes letters and digits. */
const tokenRun = /[A-Za-z0-9\-._~+/]{16,}=*/g
const looksLikeToken = (run: string): boolean => /[0-9]/.test(run) && /[A-Za-z]/.test(run)

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

const jsonEscaped = (value: string): string => JSON.stringify(value).slice(1, -1)
const unicodeEscaped = (value: string): string =>
  jsonEscaped(value).replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`)

const utf8 = new TextEncoder()

/**
 * The part of base64(prefix ‖ value) that depends on `value` alone, for each of the three alignments `value` can
 * have inside a longer base64 text, in both alphabets.
 */
const base64Cores = (value: string): ReadonlyArray<string> => {
  const bytes = utf8.encode(value)
  const cores: Array<string> = []
  for (let offset = 0; offset < 3; offset++) {
    const padded = new Uint8Array(offset + bytes.length)
    padded.set(bytes, offset)
    const encoded = Encoding.encodeBase64(padded)
    // characters whose 6 bits all come from `value`
    const core = encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6))
    if (core.length > 0) cores.push(core, core.replace(/\+/g, "-").replace(/\//g, "_"))
  }
  return cores
}

/** A form as a pattern: the hex digits of `%XX` and `\uXXXX` escapes match in either case, the rest literally. */
const patternOf = (form: string): RegExp =>
  new RegExp(
    escapeRegExp(form).replace(/%[0-9A-Fa-f]{2}|\\\\u[0-9A-Fa-f]{4}/g, (escape) =>
      escape.replace(/[A-Fa-f]/g, (digit) => `[${digit.toLowerCase()}${digit.toUpperCase()}]`)
    ),
    "g"
  )

/** Every form of `value` a reader could turn back into it, longest first. */
const formsOf = (value: string): ReadonlyArray<string> => {
  const json = jsonEscaped(value)
  const forms = new Set([
    value,
    json,
    jsonEscaped(json),
    unicodeEscaped(value),
    encodeURIComponent(value),
    new URLSearchParams([["", value]]).toString().slice(1),
    ...base64Cores(value)
  ])
  return [...forms].sort((a, b) => b.length - a.length)
}

/** Replaces every form of every value, then checks that none is left (a value the marks themselves spell). */
const replaceForms = (text: string, values: ReadonlyArray<string>): string | undefined => {
  const patterns = values.flatMap(formsOf).map(patternOf)
  let result = text
  for (const pattern of patterns) result = result.replace(pattern, marker)
  return patterns.some((pattern) => pattern.test(result)) ? undefined : result
}

/**
 * How much of a text the key and token patterns look at: a few times what is shown, so that what a blanked run
 * leaves after it still fills the excerpt, while a hostile body costs little.
 */
const windowOf = (limit: number): number => 4 * limit

/** Scrubs text taken from an answer to a request holding `secrets`, for display in an error. */
export const scrub = (text: string, secrets: ReadonlyArray<Redacted.Redacted<string>>, limit: number): string =>
  scrubWith(text, secrets.map(Redacted.value), [], limit, false)

const scrubWith = (
  text: string,
  secrets: ReadonlyArray<string>,
  learnt: ReadonlyArray<string>,
  limit: number,
  blankTokens: boolean
): string => {
  if (text === "") return text
  if (secrets.some((secret) => secret.length < minimumSecretLength)) return withheld
  // the whole text first, so that no secret is cut in two by the window
  const replaced = replaceForms(text, [...secrets, ...learnt.filter((value) => value.length >= minimumSecretLength)])
  if (replaced === undefined) return withheld
  const window = windowOf(limit)
  // a run of token characters cut by the window could be the start of a token too short to be recognised
  let shown = replaced.length > window ? replaced.slice(0, window).replace(/[A-Za-z0-9\-._~+/=]+$/, "") : replaced
  shown = shown.replace(keyedValue, `$1${marker}`).replace(schemeValue, `$1$2${marker}`)
  if (blankTokens) shown = shown.replace(tokenRun, (run) => (looksLikeToken(run) ? marker : run))
  return shown.length > limit ? `${shown.slice(0, limit)}…` : shown
}

/**
 * The start of a response body for an error: scrubbed of the request's secrets and of every credential the
 * body itself carries, then cut to `limits.excerpt` characters.
 */
export const excerpt = (body: string, secrets: ReadonlyArray<Redacted.Redacted<string>>): string =>
  scrubWith(body, secrets.map(Redacted.value), credentialsIn(body), limits.excerpt, true)

/** How much of a body is searched for credentials: enough for any body under the default size bound. */
const searchBounds = { nodes: 20_000, nestedDocuments: 16 } as const

/**
 * The string values a JSON body holds under credential-naming keys, at any depth, JSON strings holding JSON
 * included. Iterative and bounded, so a body nested thousands of levels deep costs no stack.
 */
const credentialsIn = (body: string): ReadonlyArray<string> => {
  const found: Array<string> = []
  const pending: Array<readonly [value: unknown, underCredential: boolean]> = []
  let documents = 0
  const parse = (text: string, underCredential: boolean) => {
    if (documents >= searchBounds.nestedDocuments || !/^\s*[[{"]/.test(text)) return
    documents++
    try {
      pending.push([JSON.parse(text), underCredential])
    } catch {
      // not JSON: only the text patterns apply
    }
  }
  parse(body, false)
  for (let visited = 0; pending.length > 0 && visited < searchBounds.nodes; visited++) {
    const [value, underCredential] = pending.pop()!
    if (typeof value === "string") {
      if (underCredential) found.push(value)
      parse(value, underCredential)
    } else if (Array.isArray(value)) {
      for (const item of value) pending.push([item, underCredential])
    } else if (typeof value === "object" && value !== null) {
      for (const [key, item] of Object.entries(value)) pending.push([item, underCredential || credentialKey.test(key)])
    }
  }
  return found
}
