/**
 * Keeps secrets out of errors. Everything a server says is untrusted text that may echo what it was sent, so
 * each string taken from a response is scrubbed of the request's secret values, and JSON fields that carry
 * tokens are blanked in excerpts.
 */
import { Redacted } from "effect"

const hidden = "<redacted>"

/** Fields whose values are credentials or tokens wherever they appear in a body. */
const secretFields = new Set([
  "access_token",
  "refresh_token",
  "id_token",
  "code",
  "code_verifier",
  "client_secret",
  "client_assertion",
  "token",
  "private_key"
])

/** Whether a body field holds a secret value. */
export const isSecretField = (name: string): boolean => secretFields.has(name)

/** Replaces every occurrence of every secret (of 4 characters or more: shorter ones are noise) with a marker. */
export const scrub = (text: string, secrets: ReadonlyArray<Redacted.Redacted<string>>): string => {
  let result = text
  for (const secret of secrets) {
    const value = Redacted.value(secret)
    if (value.length >= 4 && result.includes(value)) result = result.split(value).join(hidden)
  }
  return result
}

const excerptLength = 200

/**
 * The start of a response body for an error: JSON objects with their secret fields blanked, anything else as
 * text; both scrubbed and cut to 200 characters.
 */
export const excerpt = (body: string, secrets: ReadonlyArray<Redacted.Redacted<string>>): string => {
  const shown = scrub(blankSecretFields(body), secrets)
  return shown.length > excerptLength ? `${shown.slice(0, excerptLength)}…` : shown
}

const blankSecretFields = (body: string): string => {
  try {
    return JSON.stringify(JSON.parse(body), (key, value) => (isSecretField(key) ? hidden : value))
  } catch {
    // Not JSON: a cut-off body may still hold a token after a known field name, so blank the rest of such lines.
    return body.replace(new RegExp(`(${[...secretFields].join("|")})(["'\\s:=]+)[^\\s"'&,}<]+`, "g"), `$1$2${hidden}`)
  }
}
