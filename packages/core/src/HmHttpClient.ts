/**
 * The one configured HTTP client all services share: base URL, JSON accept header, client authentication fields,
 * a body size bound, per-attempt timeout, operation-aware retry, a span per call, and the translation of every
 * answer into a value or a typed error. A call goes: fields built (fresh per attempt) → encoded (the one place
 * secrets are revealed) → sent and its body read with a timeout → answer read → retried when `Retry` allows.
 * What differs between operations comes from the `Operation` table, and so does each one's exact error type.
 *
 * @since 0.1.0
 */
// Module paths, not the package index: the index loads all of platform (server, workers, sockets) on import.
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import { Context, Effect, Layer, Redacted, type Schema, type Scope, type Tracer } from "effect"
import { HmOAuthConfig } from "./HmOAuthConfig.js"
import { RequestTimeout, type TransportError, UnexpectedResponse } from "./HmOAuthError.js"
import { readText } from "./internal/body.js"
import { type Answer, readers } from "./internal/responses.js"
import * as Timeout from "./internal/timeout.js"
import { transportError } from "./internal/transport.js"
import { answersOf, type ErrorOf, idempotencyOf, type Operation, operations } from "./Operation.js"
import * as Retry from "./Retry.js"

/**
 * Body fields: secrets stay `Redacted` until encoding; `undefined` fields are left out.
 *
 * @since 0.1.0
 * @category models
 */
export type Fields = Readonly<Record<string, string | Redacted.Redacted<string> | undefined>>

/**
 * What one call sends besides what the `Operation` table fixes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Parts {
  /** Built anew for every attempt, so each carries a fresh client assertion. */
  readonly fields?: Effect.Effect<Fields> | undefined
  readonly bearerToken?: Redacted.Redacted<string> | undefined
}

/**
 * The configured client.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Runs the operation with retries and decodes a success body with `schema`; fails with exactly `ErrorOf<O>`. */
  readonly execute: <O extends Operation, A, I>(
    operation: O,
    parts: Parts,
    schema: Schema.Schema<A, I>
  ) => Effect.Effect<A, ErrorOf<O>>
}

/**
 * The configured client.
 *
 * @since 0.1.0
 * @category tags
 */
export class HmHttpClient extends Context.Tag("@hm-oauth/core/HmHttpClient")<HmHttpClient, Service>() {}

/**
 * Builds the client from the configuration and the user's `HttpClient` (Fetch, undici, or the test kit).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, HmOAuthConfig | HttpClient.HttpClient | Scope.Scope> = Effect.gen(
  function* () {
    const config = yield* HmOAuthConfig
    const client = yield* HttpClient.HttpClient
    const timeoutFail = yield* Timeout.make
    const policy: Retry.Policy = {
      schedule: config.retrySchedule,
      maxRetryAfter: config.maxRetryAfter,
      budget: config.retryBudget,
      timeout: config.timeout
    }
    const serverAddress = new URL(config.baseUrl).host

    /** The request with its secrets revealed: the one place they leave `Redacted`. */
    const encode = (
      template: HttpClientRequest.HttpClientRequest,
      fields: Fields | undefined,
      bearer: Redacted.Redacted<string> | undefined
    ): HttpClientRequest.HttpClientRequest => {
      const request = bearer === undefined ? template : HttpClientRequest.bearerToken(template, bearer)
      if (fields === undefined) return request
      const revealed: Record<string, string> = {}
      for (const name in fields) {
        const value = fields[name]
        if (value !== undefined) revealed[name] = Redacted.isRedacted(value) ? Redacted.value(value) : value
      }
      return HttpClientRequest.setBody(
        request,
        config.bodyEncoding === "json"
          ? HttpBody.unsafeJson(revealed)
          : HttpBody.urlParams(UrlParams.fromInput(revealed))
      )
    }

    const answerOf = (
      operation: Operation,
      response: HttpClientResponse.HttpClientResponse,
      secrets: ReadonlyArray<Redacted.Redacted<string>>
    ): Effect.Effect<Answer, TransportError | UnexpectedResponse> =>
      readText(response, config.maxResponseBytes).pipe(
        Effect.mapBoth({
          onFailure: (failure) =>
            failure._tag === "BodyTooLarge"
              ? new UnexpectedResponse({
                  operation,
                  status: response.status,
                  problem: `the body is larger than ${failure.limit} bytes (at least ${failure.atLeast})`,
                  excerpt: ""
                })
              : transportError(operation, failure, secrets),
          onSuccess: (body): Answer => ({ status: response.status, header: (name) => response.headers[name], body })
        })
      )

    /**
     * Sends the request and reads its answer within the timeout. Tracing is off below this point: the platform's
     * client span records every response header, and a server may echo a secret in one (or a bearer token in
     * `WWW-Authenticate`); the call's own span records what is safe.
     */
    const send = (
      operation: Operation,
      request: HttpClientRequest.HttpClientRequest,
      timeoutMillis: number,
      secrets: ReadonlyArray<Redacted.Redacted<string>>
    ): Effect.Effect<Answer, RequestTimeout | TransportError | UnexpectedResponse> =>
      timeoutFail(
        client.execute(request).pipe(
          Effect.mapError((error) => transportError(operation, error, secrets)),
          Effect.flatMap((response) => answerOf(operation, response, secrets)),
          Effect.withTracerEnabled(false)
        ),
        timeoutMillis,
        () => new RequestTimeout({ operation, timeoutMillis })
      )

    /** What every call of an operation starts from, built once: its request without a body, its span's options. */
    const prepare = (operation: Operation) => {
      const { method, path } = operations[operation]
      const url = config.baseUrl + path
      return {
        request: HttpClientRequest.make(method)(url, { acceptJson: true }),
        span: {
          kind: "client",
          // a stack trace per call costs more than the rest of the span; the span name says where it came from
          captureStackTrace: false,
          attributes: { "http.request.method": method, "server.address": serverAddress, "url.full": url }
        } satisfies Tracer.SpanOptions
      }
    }
    const prepared = {
      exchangeCode: prepare("exchangeCode"),
      refresh: prepare("refresh"),
      clientCredentials: prepare("clientCredentials"),
      revoke: prepare("revoke"),
      vehicleInfo: prepare("vehicleInfo")
    } satisfies Record<Operation, ReturnType<typeof prepare>>

    const execute = <O extends Operation, A, I>(
      operation: O,
      parts: Parts,
      schema: Schema.Schema<A, I>
    ): Effect.Effect<A, ErrorOf<O>> => {
      const reader = readers[answersOf(operation)]
      const { request, span } = prepared[operation]
      return Effect.useSpan(operations[operation].span, span, (current) => {
        const refused = reader.unsendable(operation, parts.bearerToken)
        if (refused !== undefined) return Effect.fail(refused)
        let attempts = 0
        const attempt = (timeoutMillis: number) =>
          Effect.flatMap(parts.fields ?? noFields, (fields) => {
            current.attribute("hm_oauth.attempts", ++attempts)
            const secrets = secretsOf(fields, parts.bearerToken)
            return Effect.flatMap(
              send(operation, encode(request, fields, parts.bearerToken), timeoutMillis, secrets),
              (answer) => {
                current.attribute("http.response.status_code", answer.status)
                return Effect.clockWith((clock) =>
                  reader.interpret(schema, answer, { operation, nowMillis: clock.unsafeCurrentTimeMillis(), secrets })
                )
              }
            )
          })
        return Effect.flatten(Retry.retrying(operation, idempotencyOf(operation), policy)(attempt))
      })
    }

    return HmHttpClient.of({ execute })
  }
)

/**
 * The configured client, from `HmOAuthConfig` and an `HttpClient` the user provides.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<HmHttpClient, never, HmOAuthConfig | HttpClient.HttpClient> = Layer.scoped(
  HmHttpClient,
  make
)

const noFields: Effect.Effect<Fields | undefined> = Effect.succeed(undefined)

const secretsOf = (
  fields: Fields | undefined,
  bearerToken: Redacted.Redacted<string> | undefined
): ReadonlyArray<Redacted.Redacted<string>> => {
  const secrets: Array<Redacted.Redacted<string>> = bearerToken === undefined ? [] : [bearerToken]
  if (fields !== undefined) {
    for (const name in fields) {
      const value = fields[name]
      if (Redacted.isRedacted(value)) secrets.push(value)
    }
  }
  return secrets
}
