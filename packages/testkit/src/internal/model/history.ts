import type { Types } from "effect"
import type { HistoryEntry, State } from "../../Model.js"
import { bearerToken } from "../bearer.js"
import type { JsonObject } from "../fields.js"
import { update } from "./copy.js"
import { dropOldest, push, size } from "./log.js"
import { handleOf } from "./records.js"
import type { Params, Reply } from "./wire.js"

const REDACTED = "<redacted>"

/** What the history shows of a body that could not be read: never its text, which may hold secrets. */
export const MALFORMED = "<malformed>"

// values naming a token or code the server issued: shown as its handle, so the history still tells which
const BY_HANDLE: ReadonlySet<string> = new Set(["code", "refresh_token", "token", "access_token"])
// values that are secrets in themselves
const SECRET: ReadonlySet<string> = new Set(["client_secret", "code_verifier", "client_assertion"])

const redactValue = (state: State, name: string, value: unknown): unknown => {
  if (SECRET.has(name)) return REDACTED
  if (!BY_HANDLE.has(name)) return value
  return (typeof value === "string" ? handleOf(state, value) : undefined) ?? REDACTED
}

const redact = (state: State, fields: JsonObject): JsonObject => {
  const redacted: Record<string, unknown> = {}
  // a plain loop: every exchange passes here. A "__proto__" parameter (own, from JSON.parse) is dropped by
  // the assignment, harmlessly: its value is a string.
  for (const name in fields) redacted[name] = redactValue(state, name, fields[name])
  return redacted
}

const redactAuthorization = (state: State, header: string): string => {
  const token = bearerToken(header)
  return token === undefined ? REDACTED : `Bearer ${handleOf(state, token) ?? REDACTED}`
}

// `Array.isArray` does not narrow a readonly array out of a union
const isArray = (body: NonNullable<Reply["body"]>): body is ReadonlyArray<JsonObject> => Array.isArray(body)

/** One exchange as the router saw it: the parameters it read (if it read a body) and its reply. */
export interface Exchange {
  readonly method: string
  readonly path: string
  readonly authorization: string | undefined
  readonly request: Params | typeof MALFORMED | undefined
  readonly reply: Reply
}

/**
 * Appends an exchange to the history, redacted against the state after the step (which knows every handle
 * the step minted). The oldest entries go once the policy's limit is passed; each append costs O(log n).
 */
export const record = (state: State, now: number, exchange: Exchange): State => {
  const { method, path, authorization, request, reply } = exchange
  const entry: Types.Mutable<HistoryEntry> = { seq: state.history.tail, at: now, method, path, status: reply.status }
  // fields added one by one, not spread in: a spread copies through V8's slow path, and every exchange passes here
  if (authorization !== undefined) entry.authorization = redactAuthorization(state, authorization)
  if (request !== undefined) entry.request = request === MALFORMED ? MALFORMED : redact(state, request)
  // an array is the bare 401 of HM's resource APIs: error entries, no secret among them
  if (reply.body !== undefined) entry.response = isArray(reply.body) ? reply.body : redact(state, reply.body)
  let history = push(state.history, entry)
  while (size(history) > state.policy.historyLimit) history = dropOldest(history)
  return update(state, { history })
}
