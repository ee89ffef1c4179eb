/**
 * What can go wrong between a client and the server, scripted per endpoint and per request number, or drawn
 * by a seeded probability so a failing case replays. Each fault says whether the server acted on the request:
 *
 * | fault            | the server acts on the request | the client sees                                   |
 * |------------------|--------------------------------|---------------------------------------------------|
 * | `ServerError`    | no                             | a 5xx (503 by default), with `Retry-After` if set |
 * | `RateLimited`    | no                             | 429 with `Retry-After`                            |
 * | `HtmlErrorPage`  | no                             | a proxy's HTML error page (502 by default)        |
 * | `Refused`        | no (never reached it)          | a refused connection                              |
 * | `Hang`           | no                             | nothing, ever: only its own timeout ends the wait |
 * | `Latency`        | yes, after the delay           | the real answer, late                             |
 * | `MalformedJson`  | yes                            | the real status with its JSON body cut in half     |
 * | `CommitThenLose` | yes                            | a connection reset: the answer is lost            |
 *
 * `CommitThenLose` is the case that burns rotated refresh tokens: the server rotated, the client never heard.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { Reply } from "./FakeServer.js"
import { Millis, Seconds } from "./internal/durations.js"
import { frame } from "./internal/framing.js"
import * as endpoints from "./internal/model/endpoints.js"
import { hex, type Rng, seeded } from "./internal/model/rng.js"
import type { WireResponse } from "./Model.js"

/** One way a request can go wrong; the schema reads it from JSON (the control API's `PUT /testkit/faults`). */
export const Fault = Schema.Union(
  Schema.TaggedStruct("ServerError", {
    status: Schema.Int.pipe(Schema.between(500, 599)),
    retryAfterSeconds: Schema.optional(Seconds)
  }),
  Schema.TaggedStruct("RateLimited", { retryAfterSeconds: Seconds }),
  Schema.TaggedStruct("HtmlErrorPage", { status: Schema.Int.pipe(Schema.between(400, 599)) }),
  Schema.TaggedStruct("Refused", {}),
  Schema.TaggedStruct("Hang", {}),
  Schema.TaggedStruct("Latency", { millis: Millis }),
  Schema.TaggedStruct("MalformedJson", {}),
  Schema.TaggedStruct("CommitThenLose", {})
)
/** One way a request can go wrong. */
export type Fault = typeof Fault.Type

/** A 5xx answered without acting on the request. */
export const serverError = (status = 503, retryAfterSeconds?: number): Fault =>
  retryAfterSeconds === undefined ? { _tag: "ServerError", status } : { _tag: "ServerError", status, retryAfterSeconds }
/** A 429 with `Retry-After`, answered without acting on the request. */
export const rateLimited = (retryAfterSeconds: number): Fault => ({ _tag: "RateLimited", retryAfterSeconds })
/** An HTML error page of a proxy in front of the server. */
export const htmlErrorPage = (status = 502): Fault => ({ _tag: "HtmlErrorPage", status })
/** The connection is refused: the server never sees the request. */
export const refused: Fault = { _tag: "Refused" }
/** The request is never answered. */
export const hang: Fault = { _tag: "Hang" }
/** The request waits `millis` before the server acts on it. */
export const latency = (millis: number): Fault => ({ _tag: "Latency", millis })
/** The server acts; its JSON answer arrives cut in half. */
export const malformedJson: Fault = { _tag: "MalformedJson" }
/** The server acts; the connection breaks before its answer arrives. */
export const commitThenLose: Fault = { _tag: "CommitThenLose" }

/** The API's endpoints, as faults address them: the names of the model's route table. */
export const Endpoint = Schema.Literal(...endpoints.names)
/** The API's endpoints, as faults address them. */
export type Endpoint = typeof Endpoint.Type

/** The endpoint a request is for, or undefined for a path or method the API does not have. */
export const endpointOf: (method: string, target: string) => Endpoint | undefined = endpoints.endpointOf

/**
 * When a fault strikes: on the given endpoint (every endpoint if absent), for the given 1-based request
 * numbers of that endpoint (all if absent), with the given probability (always if absent).
 */
export const Rule = Schema.Struct({
  fault: Fault,
  endpoint: Schema.optional(Endpoint),
  requests: Schema.optional(Schema.Array(Schema.Int.pipe(Schema.positive()))),
  probability: Schema.optional(Schema.Number.pipe(Schema.between(0, 1)))
})
/** When a fault strikes. */
export type Rule = typeof Rule.Type

/** `fault` on the given request numbers of `endpoint`. */
export const on = (endpoint: Endpoint, requests: ReadonlyArray<number>, fault: Fault): Rule => ({
  endpoint,
  requests,
  fault
})

/** `fault` on every request to `endpoint` with probability `probability`, drawn from the fault seed. */
export const sometimes = (endpoint: Endpoint | undefined, probability: number, fault: Fault): Rule => ({
  endpoint,
  probability,
  fault
})

/** The scripted faults and what deciding them needs: request counts per endpoint and a seeded generator. */
export interface Plan {
  readonly rules: ReadonlyArray<Rule>
  readonly counts: Readonly<Record<Endpoint, number>>
  readonly rng: Rng
}

// typed by the route table: an endpoint added there must be counted here
const noneCounted: Readonly<Record<Endpoint, number>> = { token: 0, revocation: 0, vehicleInfo: 0 }

/** A plan with no request counted yet. */
export const plan = (rules: ReadonlyArray<Rule>, seed = 0): Plan => ({
  rules,
  counts: noneCounted,
  rng: seeded(seed)
})

/** A uniform draw in [0, 1) from 32 bits of the generator. */
const draw = (rng: Rng): readonly [number, Rng] => {
  const [word, next] = hex(rng, 1)
  return [Number.parseInt(word, 16) / 2 ** 32, next]
}

/**
 * Counts the request and picks the first rule that strikes it. Probabilistic rules draw only when they are
 * reached, so adding a rule after them changes no earlier decision.
 */
export const decide = (current: Plan, endpoint: Endpoint | undefined): readonly [Fault | undefined, Plan] => {
  if (endpoint === undefined) return [undefined, current]
  const number = current.counts[endpoint] + 1
  const counts = { ...current.counts, [endpoint]: number }
  let rng = current.rng
  for (const rule of current.rules) {
    if (rule.endpoint !== undefined && rule.endpoint !== endpoint) continue
    if (rule.requests !== undefined && !rule.requests.includes(number)) continue
    if (rule.probability !== undefined) {
      const [value, next] = draw(rng)
      rng = next
      if (value >= rule.probability) continue
    }
    return [rule.fault, { ...current, counts, rng }]
  }
  return [undefined, { ...current, counts, rng }]
}

/**
 * What a fault makes of a request, decided before the model sees it: an answer in the server's place (the server
 * never acts), the model's own answer after a delay and reshaped on its way back, or no answer ever.
 */
export type Delivery =
  | { readonly _tag: "Answer"; readonly reply: Reply }
  | { readonly _tag: "Act"; readonly delayMillis: number; readonly deliver: (response: WireResponse) => Reply }
  | { readonly _tag: "Never" }

// every reply leaves framed as the wire carries it, whichever transport carries it
const asSent = frame

const emptyResponse = (status: number, headers: Readonly<Record<string, string>> = {}): Reply =>
  frame({ status, headers, body: "" })

const htmlPage = (status: number) =>
  `<!DOCTYPE html><html><head><title>${status} Bad Gateway</title></head><body><h1>${status} Bad Gateway</h1><p>The upstream server did not answer.</p></body></html>`

const actNow: Delivery = { _tag: "Act", delayMillis: 0, deliver: asSent }

/** How a request struck by `fault` (or by none) is delivered: the table at the top of this module, as a function. */
export const delivery = (fault: Fault | undefined): Delivery => {
  switch (fault?._tag) {
    case undefined:
      return actNow
    case "ServerError":
      return {
        _tag: "Answer",
        reply: emptyResponse(
          fault.status,
          fault.retryAfterSeconds === undefined ? {} : { "retry-after": String(fault.retryAfterSeconds) }
        )
      }
    case "RateLimited":
      return { _tag: "Answer", reply: emptyResponse(429, { "retry-after": String(fault.retryAfterSeconds) }) }
    case "HtmlErrorPage":
      return {
        _tag: "Answer",
        reply: frame({ status: fault.status, headers: { "content-type": "text/html" }, body: htmlPage(fault.status) })
      }
    case "Refused":
      return { _tag: "Answer", reply: { _tag: "Refused" } }
    case "Hang":
      return { _tag: "Never" }
    case "Latency":
      // the server acts when the request finally reaches it, at the clock's time then
      return { _tag: "Act", delayMillis: fault.millis, deliver: asSent }
    case "MalformedJson":
      return {
        _tag: "Act",
        delayMillis: 0,
        deliver: (response) => asSent({ ...response, body: response.body.slice(0, response.body.length >> 1) })
      }
    case "CommitThenLose":
      return { _tag: "Act", delayMillis: 0, deliver: () => ({ _tag: "Reset" }) }
  }
}
