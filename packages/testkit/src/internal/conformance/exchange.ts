/**
 * What crosses the wire during a check: every request the kit sends goes through `send`, which keeps it, with its
 * answer, for the report. Secrets never reach the report: each value of a secret-bearing field (a client secret, a
 * code, a verifier, a token, an assertion, a bearer header) gets a label the first time it is seen (`<refresh_token
 * #2>`), and every later sight of the value, anywhere in a request or an answer, shows the label. The same label
 * twice in a counterexample is the same value, which is what a reader needs to follow a replay or a reuse.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type { HttpMethod } from "@effect/platform/HttpMethod"
import { Clock, Duration, Effect, Redacted, Ref } from "effect"
import { DriverError } from "./driver.js"

/** A request as the kit sends it: the path under the base URL, headers, and the body as text. */
export interface Request {
  readonly method: HttpMethod
  readonly path: string
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly body?: string | undefined
}

/** An answer as received: status, lower-case headers, the body as text and, if it is JSON, parsed. */
export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly json: unknown
}

/** One request and its answer as the report shows them: secrets replaced by labels. */
export interface Exchange {
  readonly request: Request
  readonly answer: {
    readonly status: number
    readonly headers: Readonly<Record<string, string>>
    readonly body: string
  }
}

/** The body fields whose values are secrets, in requests and answers alike. */
const secretFields: ReadonlyArray<string> = [
  "client_secret",
  "code",
  "code_verifier",
  "refresh_token",
  "access_token",
  "token",
  "client_assertion"
]

/** The fields of a JSON object or form body, as strings; nothing for a body that is neither. */
const fieldsOf = (body: string): ReadonlyArray<readonly [string, string]> => {
  const trimmed = body.trim()
  if (trimmed === "") return []
  if (trimmed.startsWith("{")) {
    const parsed = parseJson(trimmed)
    return typeof parsed === "object" && parsed !== null
      ? Object.entries(parsed).flatMap(([name, value]) => (typeof value === "string" ? [[name, value] as const] : []))
      : []
  }
  return [...new URLSearchParams(trimmed)]
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Values seen so far and their labels; one per check run, so labels number from 1 in each report entry. */
export interface Labels {
  readonly byValue: Map<string, string>
  readonly counts: Map<string, number>
}

const newLabels = (): Labels => ({ byValue: new Map(), counts: new Map() })

const learn = (labels: Labels, kind: string, value: string) => {
  if (value.length === 0 || labels.byValue.has(value)) return
  const n = (labels.counts.get(kind) ?? 0) + 1
  labels.counts.set(kind, n)
  labels.byValue.set(value, `<${kind}#${n}>`)
}

const learnFields = (labels: Labels, body: string) => {
  for (const [name, value] of fieldsOf(body)) {
    if (secretFields.includes(name)) learn(labels, name, value)
  }
}

const learnHeaders = (labels: Labels, headers: Readonly<Record<string, string>>) => {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === "authorization") {
      const credentials = value.replace(/^\S+\s+/, "")
      learn(labels, value.toLowerCase().startsWith("basic") ? "basic" : "bearer", credentials)
    }
    if (name.toLowerCase() === "location") {
      const code = new URLSearchParams(value.split("?")[1] ?? "").get("code")
      if (code !== null) learn(labels, "code", code)
    }
  }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * `text` with every known value replaced by its label: a secret field's value wherever the field stands (JSON
 * member or form field), however short; any other sight of a value of eight characters or more (a short one would
 * match inside unrelated text).
 */
const hide = (labels: Labels, text: string): string => {
  let out = text
  for (const [value, label] of labels.byValue) {
    const json = new RegExp(`("(?:${secretFields.join("|")})"\\s*:\\s*)${escapeRegExp(JSON.stringify(value))}`, "g")
    const form = new RegExp(
      `(^|&)((?:${secretFields.join("|")})=)${escapeRegExp(encodeURIComponent(value))}(?=&|$)`,
      "g"
    )
    out = out.replace(json, `$1"${label}"`).replace(form, `$1$2${label}`)
    if (value.length >= 8) out = out.split(value).join(label)
  }
  return out
}

const hideHeaders = (labels: Labels, headers: Readonly<Record<string, string>>) =>
  Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      name.toLowerCase() === "authorization"
        ? value.replace(/^(\S+\s+)(.*)$/, (_, scheme, rest) => `${scheme}${labels.byValue.get(rest) ?? rest}`)
        : hide(labels, value)
    ])
  )

/** The exchanges of one check run, and the labels their secrets got. */
export interface Recorder {
  readonly exchanges: Ref.Ref<ReadonlyArray<Exchange>>
  readonly labels: Labels
  /** Forgets every exchange and label but the driver's secrets': a property case starts its labels from #1. */
  readonly clear: Effect.Effect<void>
}

/** A fresh recorder that already knows the secrets the driver holds. */
export const recorder = (secrets: ReadonlyArray<readonly [kind: string, value: Redacted.Redacted<string>]>) =>
  Effect.map(Ref.make<ReadonlyArray<Exchange>>([]), (exchanges): Recorder => {
    const labels = newLabels()
    const learnSecrets = () => {
      for (const [kind, value] of secrets) learn(labels, kind, Redacted.value(value))
    }
    learnSecrets()
    return {
      exchanges,
      labels,
      clear: Effect.zipRight(
        Ref.set(exchanges, []),
        Effect.sync(() => {
          labels.byValue.clear()
          labels.counts.clear()
          learnSecrets()
        })
      )
    }
  })

/** Sends `request` to the driver's base URL, keeps the exchange in `recorder`, and hands back the answer. */
export const send = (
  http: HttpClient.HttpClient,
  baseUrl: string,
  recorder: Recorder,
  request: Request
): Effect.Effect<Answer, DriverError> =>
  Effect.gen(function* () {
    const headers = request.headers ?? {}
    const body = request.body ?? ""
    learnHeaders(recorder.labels, headers)
    learnFields(recorder.labels, body)
    const outgoing = HttpClientRequest.make(request.method)(`${baseUrl}${request.path}`).pipe(
      HttpClientRequest.setHeaders(headers),
      body === "" ? (r) => r : HttpClientRequest.bodyText(body, headers["content-type"] ?? "application/json")
    )
    const response = yield* http.execute(outgoing)
    const text = yield* response.text
    const answer: Answer = { status: response.status, headers: response.headers, body: text, json: parseJson(text) }
    learnFields(recorder.labels, text)
    learnHeaders(recorder.labels, answer.headers)
    const labels = recorder.labels
    yield* Ref.update(recorder.exchanges, (kept) => [
      ...kept,
      {
        request: {
          method: request.method,
          path: request.path,
          headers: hideHeaders(labels, headers),
          body: hide(labels, body)
        },
        answer: { status: answer.status, headers: hideHeaders(labels, answer.headers), body: hide(labels, text) }
      }
    ])
    return answer
  }).pipe(
    Effect.scoped,
    Effect.catchTags({
      RequestError: (error) =>
        Effect.fail(new DriverError({ operation: `${request.method} ${request.path}`, problem: error.message })),
      ResponseError: (error) =>
        Effect.fail(new DriverError({ operation: `${request.method} ${request.path}`, problem: error.message }))
    })
  )

/**
 * The driver's client, bounded: a request to any origin but `baseUrl`'s is refused before it leaves, and at most
 * `rate` requests a second start (none when `rate` is undefined).
 */
export const bounded = (http: HttpClient.HttpClient, baseUrl: string, rate: number | undefined) =>
  Effect.map(Ref.make(0), (nextSlot) => {
    const { origin } = new URL(baseUrl)
    const spacing = rate === undefined ? 0 : 1000 / rate
    const wait =
      spacing === 0
        ? Effect.void
        : Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.flatMap(
              Ref.modify(nextSlot, (slot) => {
                const start = Math.max(slot, now)
                return [start - now, start + spacing]
              }),
              (delay) => (delay > 0 ? Effect.sleep(Duration.millis(delay)) : Effect.void)
            )
          )
    return HttpClient.mapRequestEffect(http, (request) =>
      new URL(request.url).origin === origin
        ? Effect.as(wait, request)
        : Effect.fail(
            new HttpClientError.RequestError({
              request,
              reason: "InvalidUrl",
              description: `the conformance kit sends nothing outside ${origin}`
            })
          )
    )
  })
