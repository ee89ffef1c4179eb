/**
 * An `HttpClient` wrapper that keeps every exchange as it crossed the wire, raw: method, path, headers and
 * body of the request, status, headers and body of the response. For checking traffic against the spec.
 */
import { HttpClient, type HttpClientRequest } from "@effect/platform"
import { Effect, Layer } from "effect"
import { TextResponse } from "../../src/internal/textResponse.js"
import type * as SpecValidator from "../../src/SpecValidator.js"

/** One request and its response, as sent and received. */
export interface Exchange {
  readonly request: SpecValidator.Request & { readonly method: string; readonly path: string }
  readonly response: SpecValidator.Response
}

const bodyOf = (request: HttpClientRequest.HttpClientRequest): string =>
  request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""

/** A layer that wraps the `HttpClient` below it, recording into `exchanges`. */
export const layer = (exchanges: Array<Exchange>) =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) =>
      HttpClient.transform(client, (response, request) =>
        Effect.flatMap(response, (received) =>
          Effect.map(received.text, (body) => {
            exchanges.push({
              request: {
                method: request.method,
                path: new URL(request.url).pathname,
                headers: request.headers,
                body: bodyOf(request)
              },
              response: { status: received.status, headers: received.headers, body }
            })
            // the body has been read: hand the client a response that holds it
            return new TextResponse(request, received.status, received.headers, body)
          })
        )
      )
    )
  )
