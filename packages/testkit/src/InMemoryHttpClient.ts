/**
 * An `HttpClient` whose requests are answered in-process by a handler: no socket, no promise, no event-loop turn.
 * The handler sees each request as it would arrive on the wire and replies with a response, or with one of the
 * ways a network loses a request (a `FakeServer.Reply`). It is the transport of the in-memory fake server
 * (`FakeServer.layer`), and a quick stub for tests.
 *
 * @since 0.1.0
 */
import { HttpClient, HttpClientError, type HttpClientRequest, UrlParams } from "@effect/platform"
import { Effect, Either } from "effect"
import type { Reply } from "./FakeServer.js"
import { TextResponse } from "./internal/textResponse.js"

/** A request as it arrives: method, full URL, lower-case headers and the body as text. */
export interface Incoming {
  readonly method: string
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

const decoder = new TextDecoder()

const bodyText = (body: HttpClientRequest.HttpClientRequest["body"]): string => {
  switch (body._tag) {
    case "Uint8Array":
      return decoder.decode(body.body)
    case "Raw":
      return typeof body.body === "string" ? body.body : ""
    default:
      return ""
  }
}

// The `code`s a Node socket error carries, so clients can tell "never sent" from "maybe sent" as on a real network.
const refusedCause = () => Object.assign(new Error("connect ECONNREFUSED (in-memory)"), { code: "ECONNREFUSED" })
const resetCause = () => Object.assign(new Error("socket hang up (in-memory)"), { code: "ECONNRESET" })

/**
 * An `HttpClient` answering with `handler`. It is built with `HttpClient.makeWith`, not `HttpClient.make`: there
 * is no socket to abort, so it skips the per-request `AbortController`, and leaves spans to the caller.
 */
export const make = <R>(
  handler: (incoming: Incoming) => Effect.Effect<Reply, never, R>
): HttpClient.HttpClient.With<HttpClientError.HttpClientError, R> =>
  HttpClient.makeWith<never, never, HttpClientError.HttpClientError, R>(
    (effect) =>
      Effect.flatMap(effect, (request) =>
        Either.match(UrlParams.makeUrl(request.url, request.urlParams, request.hash), {
          onLeft: (cause) => Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause })),
          onRight: (url) =>
            Effect.flatMap(
              handler({ method: request.method, url, headers: request.headers, body: bodyText(request.body) }),
              (reply) => answer(request, reply)
            )
        })
      ),
    Effect.succeed
  )

const answer = (
  request: HttpClientRequest.HttpClientRequest,
  reply: Reply
): Effect.Effect<TextResponse, HttpClientError.RequestError> => {
  switch (reply._tag) {
    case "Response":
      return Effect.succeed(new TextResponse(request, reply.status, reply.headers, reply.body))
    case "Refused":
      return Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause: refusedCause() }))
    case "Reset":
      return Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause: resetCause() }))
  }
}
