import { Either } from "effect"
import type { State, WireResponse } from "../../Model.js"
import { type JsonObject, readForm, readJsonObject } from "../fields.js"

/** Request parameters by name, from a JSON or form body. */
export type Params = Readonly<Record<string, string>>

/** What a handler answers, before serialization: a JSON body, or none. */
export interface Reply {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  /** An object, or an array: the bare-array 401 of HM's resource APIs. */
  readonly body?: JsonObject | ReadonlyArray<JsonObject>
}

/** A parsed request as an endpoint sees it. */
export interface Input {
  readonly params: Params
  readonly headers: Readonly<Record<string, string>>
}

/** One endpoint: the reply to a request and the next state. */
export type Handler = (state: State, now: number, input: Input) => readonly [Reply, State]

export const NO_PARAMS: Params = {}

/** A parameter's value; blank values count as missing, like Rails' "can't be blank". */
export const param = (params: Params, name: string): string | undefined => {
  const value = params[name]
  return value === undefined || value.trim() === "" ? undefined : value
}

const fromJson = (body: string): Params | undefined => {
  const read = readJsonObject(body)
  if (Either.isLeft(read)) return undefined
  const object = read.right
  let nulls = false
  for (const name in object) {
    const value = object[name]
    // null reads as an absent parameter; numbers, booleans or objects are not what the spec sends
    if (value === null) nulls = true
    else if (typeof value !== "string") return undefined
  }
  // every value was just checked to be a string (or null): the fresh object is the parameters as it is
  if (!nulls) return object as Params
  const params: Record<string, string> = {}
  for (const [name, value] of Object.entries(object)) if (typeof value === "string") params[name] = value
  return params
}

/**
 * Reads a body as JSON (the spec's format, also when no content-type is given) or as a form (what
 * RFC 6749 clients send). An empty body holds no parameters; anything unreadable is undefined (malformed).
 */
export const parseParams = (headers: Readonly<Record<string, string>>, body: string): Params | undefined => {
  if (body.trim() === "") return NO_PARAMS
  const mediaType = (headers["content-type"] ?? "").split(";", 1)[0]?.trim().toLowerCase()
  switch (mediaType) {
    case "":
    case "application/json":
      return fromJson(body)
    case "application/x-www-form-urlencoded":
      return Either.getOrUndefined(readForm(body))
    default:
      return undefined
  }
}

const JSON_TYPE = "application/json"

/** A JSON reply; its headers are complete (content-type included) so that `toWire` only serializes. */
export const jsonReply = (
  status: number,
  body: JsonObject | ReadonlyArray<JsonObject>,
  headers?: Readonly<Record<string, string>>
): Reply => ({
  status,
  body,
  headers: headers === undefined ? { "content-type": JSON_TYPE } : Object.assign({ "content-type": JSON_TYPE }, headers)
})

export const emptyReply = (status: number): Reply => ({ status })

/** The exact bytes of a reply; an empty reply carries no header at all. */
export const toWire = (reply: Reply): WireResponse => ({
  status: reply.status,
  headers: reply.headers ?? {},
  body: reply.body === undefined ? "" : JSON.stringify(reply.body)
})
