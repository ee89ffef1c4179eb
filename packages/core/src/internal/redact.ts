/**
 * Keeps secrets out of errors. Everything a server sends is untrusted text that may echo what it was sent, or
 * carry tokens it issued, so text is shown only after it went through here, as the last step before display:
 * - every secret of the request is replaced where it stands raw or JSON-escaped, and every run of text that a
 *   reader could decode into one (JSON `\u` escapes, percent or form encoding in either hex case, base64 or
 *   base64url at any alignment inside a longer value) is replaced whole; then the text is read every one of
 *   those ways again, and if a secret still shows through (the marks themselves could spell one), nothing of
 *   the server's text is shown;
 * - a value after a key that names a credential (`access_token`, `accessToken`, `client_secret`, `code`…,
 *   `Authorization: Bearer …`) is blanked wherever it stands;
 * - in a body excerpt, the values a JSON body holds under such keys (at any depth, in JSON strings holding JSON
 *   too) are learnt and treated as secrets, and every token-looking run (16 or more token characters mixing
 *   letters and digits: UUIDs, JWTs, random strings) is blanked;
 * - the result is cut to a bound.
 *
 * A secret shorter than 8 characters cannot be scrubbed without mangling the text around it (or showing through
 * the marks), so a request holding one gets no server text at all in its errors: `withheld` instead.
 */
import { Either, Encoding, Redacted } from "effect"

const marker = "<redacted>"

/** Stands for all the server's text when it cannot be shown without risking a secret of the request. */
export const withheld = "<withheld: it could give away a secret of the request>"

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

const jsonEscapes: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t"
}
const unescapeJson = (text: string): string =>
  text.replace(/\\(u[0-9a-fA-F]{4}|["\\/bfnrt])/g, (_, escape: string) =>
    escape.length === 5 ? String.fromCharCode(Number.parseInt(escape.slice(1), 16)) : jsonEscapes[escape]!
  )

const percentDecoded = (text: string): string =>
  text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))

const latin1Decoder = new TextDecoder("latin1")
const latin1 = (bytes: Uint8Array): string => latin1Decoder.decode(bytes)

/** A run of base64 or base64url read from its start: whatever bytes it holds, as Latin-1 text. */
const base64Decoded = (run: string): string => {
  const standard = run.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/")
  const whole = standard.slice(0, standard.length - (standard.length % 4 === 1 ? 1 : 0))
  return Either.match(Encoding.decodeBase64(whole.padEnd(Math.ceil(whole.length / 4) * 4, "=")), {
    onLeft: () => "",
    onRight: latin1
  })
}

/** Every way a reader could decode `text`: as it is, JSON-unescaped (twice), percent- and form-decoded, base64. */
const readings = (text: string): ReadonlyArray<string> => {
  const once = unescapeJson(text)
  const texts = [text, once, unescapeJson(once)]
  const decoded = texts.flatMap((reading) => [percentDecoded(reading), percentDecoded(reading.replace(/\+/g, " "))])
  const base64 = texts.flatMap((reading) =>
    (reading.match(/[A-Za-z0-9+/_-]{6,}={0,2}/g) ?? []).flatMap((run) =>
      [0, 1, 2, 3].map((offset) => base64Decoded(run.slice(offset)))
    )
  )
  return [...texts, ...decoded, ...base64]
}

const showsAny = (text: string, values: ReadonlyArray<string>): boolean =>
  readings(text).some((reading) => values.some((value) => reading.includes(value)))

/**
 * `text` with every value replaced, raw or encoded; `undefined` if a value still shows through some reading,
 * which leaves nothing of the text fit to show.
 */
const replaceValues = (text: string, values: ReadonlyArray<string>): string | undefined => {
  let result = text
  // raw and JSON-escaped forms first: they may hold spaces, which the runs below never cross
  const forms = values.flatMap((value) => [value, jsonEscaped(value), jsonEscaped(jsonEscaped(value))])
  for (const form of [...new Set(forms)].sort((a, b) => b.length - a.length)) {
    result = result.replace(new RegExp(escapeRegExp(form), "g"), marker)
  }
  result = result.replace(/\S+/g, (run) => (showsAny(run, values) ? marker : run))
  return showsAny(result, values) ? undefined : result
}

/**
 * How much of a text the key and token patterns look at: a few times what is shown, so that what a blanked run
 * leaves after it still fills the excerpt, while a hostile body costs little.
 */
const windowOf = (limit: number): number => 4 * limit

/** How much of a text is scrubbed at all: whatever lies beyond is never shown. */
const scanned = 64 * 1024

/** How far a value's longest encoding reaches from where it starts (`\u` escapes take six characters a character). */
const reachOf = (values: ReadonlyArray<string>): number => 8 * Math.max(0, ...values.map((value) => value.length)) + 64

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
  const values = [...secrets, ...learnt.filter((value) => value.length >= minimumSecretLength)]
  const cut = text.length > scanned
  // Scrubbed before the window is taken, so that no value is cut in two by it. Past the scanned part a value may
  // stand cut off, unscrubbed, within its reach of the end: shown only if the replacements did not pull it
  // forward into the window, which would take a text packed with secrets.
  const replaced = replaceValues(cut ? text.slice(0, scanned) : text, values)
  if (replaced === undefined || (cut && replaced.length - reachOf(values) < windowOf(limit))) return withheld
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
const searchBounds = { length: 1024 * 1024, nodes: 20_000, nestedDocuments: 16 } as const

/**
 * The string values a JSON body holds under credential-naming keys, at any depth, JSON strings holding JSON
 * included. Iterative and bounded, so a body nested thousands of levels deep costs no stack.
 */
const credentialsIn = (body: string): ReadonlyArray<string> => {
  const found: Array<string> = []
  const pending: Array<readonly [value: unknown, underCredential: boolean]> = []
  let documents = 0
  const parse = (text: string, underCredential: boolean) => {
    if (documents >= searchBounds.nestedDocuments || text.length > searchBounds.length || !/^\s*[[{"]/.test(text)) {
      return
    }
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
