/**
 * The one configured HTTP client all services share: base URL, JSON accept header, client authentication fields,
 * per-attempt timeout, operation-aware retry, and the translation of every answer into a value or a typed error.
 * A request goes: fields built (fresh per attempt) → encoded (the one place secrets are revealed) → sent with a
 * timeout → answer interpreted → retried when `Retry` allows.
 *
 * @since 0.1.0
 */
// Module paths, not the package index: the index loads all of platform (server, workers, sockets) on import.
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Clock, Context, Duration, Effect, Layer, Redacted, type Schema } from "effect"
import { HmOAuthConfig } from "./HmOAuthConfig.js"
import type { HmOAuthError, Operation, TokenEndpointError, VehicleInfoError } from "./HmOAuthError.js"
import { RequestTimeout } from "./HmOAuthError.js"
import { type Answer, interpret } from "./internal/responses.js"
import { transportError } from "./internal/transport.js"
import * as Retry from "./Retry.js"

/** Body fields: secrets stay `Redacted` until encoding; `undefined` fields are left out. */
export type Fields = Readonly<Record<string, string | Redacted.Redacted<string> | undefined>>

/** One API call, described independently of attempts. */
export interface HmRequest<O extends Operation> {
  readonly operation: O
  readonly method: "GET" | "POST" | "DELETE"
  /** Below the base URL, e.g. `/v1/access_tokens`. */
  readonly path: string
  /** Built anew for every attempt, so each carries a fresh client assertion. */
  readonly fields?: Effect.Effect<Fields> | undefined
  readonly bearerToken?: Redacted.Redacted<string> | undefined
}

/** The failures an operation can end with: only vehicle info reads a token, only token calls speak OAuth errors. */
export type FailureOf<O extends Operation> = O extends "vehicleInfo" ? VehicleInfoError : TokenEndpointError

/** The configured client. */
export class HmHttpClient extends Context.Tag("@hm-oauth/core/HmHttpClient")<
  HmHttpClient,
  {
    /** Runs the request with retries and decodes a success body with `schema`. */
    readonly execute: <O extends Operation, A, I>(
      request: HmRequest<O>,
      schema: Schema.Schema<A, I>
    ) => Effect.Effect<A, FailureOf<O>>
  }
>() {}

/** Builds the client from the configuration and the user's `HttpClient` (Fetch, undici, or the test kit). */
export const make: Effect.Effect<HmHttpClient["Type"], never, HmOAuthConfig | HttpClient.HttpClient> = Effect.gen(
  function* () {
    const config = yield* HmOAuthConfig
    const client = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest((request) =>
        request.pipe(HttpClientRequest.prependUrl(config.baseUrl), HttpClientRequest.acceptJson)
      )
    )
    const retrying = (operation: Operation) => Retry.retrying(operation, config.retrySchedule, config.maxRetryAfter)
    const timeoutMillis = Duration.toMillis(config.timeout)

    const encode = (request: HmRequest<Operation>, fields: Fields | undefined): HttpClientRequest.HttpClientRequest => {
      let encoded = HttpClientRequest.make(request.method)(request.path)
      if (request.bearerToken !== undefined) encoded = HttpClientRequest.bearerToken(encoded, request.bearerToken)
      if (fields === undefined) return encoded
      const revealed: Record<string, string> = {}
      for (const [name, value] of Object.entries(fields)) {
        if (value !== undefined) revealed[name] = Redacted.isRedacted(value) ? Redacted.value(value) : value
      }
      return config.bodyEncoding === "json"
        ? HttpClientRequest.bodyUnsafeJson(encoded, revealed)
        : HttpClientRequest.bodyUrlParams(encoded, revealed)
    }

    const send = (
      operation: Operation,
      request: HttpClientRequest.HttpClientRequest,
      secrets: ReadonlyArray<Redacted.Redacted<string>>
    ): Effect.Effect<Answer, HmOAuthError> =>
      client.execute(request).pipe(
        Effect.flatMap((response) =>
          Effect.map(
            response.text,
            (body): Answer => ({ status: response.status, header: (name) => response.headers[name], body })
          )
        ),
        Effect.mapError((error) => transportError(operation, error, secrets)),
        Effect.timeoutFail({
          duration: config.timeout,
          onTimeout: () => new RequestTimeout({ operation, timeoutMillis })
        })
      )

    const execute = <O extends Operation, A, I>(request: HmRequest<O>, schema: Schema.Schema<A, I>) => {
      const { operation } = request
      const attempt = Effect.gen(function* () {
        const fields = request.fields === undefined ? undefined : yield* request.fields
        const secrets = secretsOf(fields, request.bearerToken)
        const answer = yield* send(operation, encode(request, fields), secrets)
        const nowMillis = yield* Clock.currentTimeMillis
        return yield* interpret(schema, answer, { operation, nowMillis, secrets })
      })
      return retrying(operation)(attempt) as Effect.Effect<A, FailureOf<O>>
    }

    return HmHttpClient.of({ execute })
  }
)

/** The configured client, from `HmOAuthConfig` and an `HttpClient` the user provides. */
export const layer: Layer.Layer<HmHttpClient, never, HmOAuthConfig | HttpClient.HttpClient> = Layer.effect(
  HmHttpClient,
  make
)

const secretsOf = (
  fields: Fields | undefined,
  bearerToken: Redacted.Redacted<string> | undefined
): ReadonlyArray<Redacted.Redacted<string>> => {
  const secrets = fields === undefined ? [] : Object.values(fields).filter((value) => Redacted.isRedacted(value))
  return bearerToken === undefined ? secrets : [...secrets, bearerToken]
}
