import { ParseResult } from "effect"

// Effect's messages quote the value they failed on ("Expected …, actual <value>", "Unable to decode <value> into …"):
// a registration or configuration holds secrets and keys, so only the expectation is kept.
const expectation = (message: string): string =>
  message.replace(/, actual [\s\S]*$/, "").replace(/^Unable to decode [\s\S]* into (an? )?/, "Expected $1")

/**
 * Every problem of a failed decode, one `path: expectation` line per path (`(document)` for the whole input), the
 * alternatives of a union joined by "or". Never the value that failed, which may be a secret.
 */
export const problems = (error: ParseResult.ParseError): ReadonlyArray<string> => {
  const byPath = new Map<string, Array<string>>()
  for (const { message, path } of ParseResult.ArrayFormatter.formatErrorSync(error)) {
    const where = path.length === 0 ? "(document)" : path.join(".")
    const expected = expectation(message)
    const messages = byPath.get(where) ?? []
    if (!messages.includes(expected)) messages.push(expected)
    byPath.set(where, messages)
  }
  return [...byPath].map(([where, messages]) => `${where}: ${messages.join(" or ")}`)
}
