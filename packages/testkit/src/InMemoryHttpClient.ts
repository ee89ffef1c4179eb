/**
 * An `HttpClient` whose requests are answered in-process by a handler: no socket, and for a body already in memory
 * no promise and no event-loop turn.
 * The handler sees each request as it would arrive on the wire and replies with a response, or with one of the
 * ways a network loses a request (a `FakeServer.Reply`). It is the transport of the in-memory fake server
 * (`FakeServer.layer`), and a quick stub for tests.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as UrlParams from "@effect/platform/UrlParams"
import { Effect, Either, Stream } from "effect"
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

interface Encoded {
  readonly text: string
  /** What a socket client adds for the body: the content type and length of a form it encodes itself. */
  readonly headers: Readonly<Record<string, string>>
}

const plain = (text: string): Encoded => ({ text, headers: {} })

const isBodyInit = (body: unknown): body is BodyInit =>
  ArrayBuffer.isView(body) ||
  body instanceof ArrayBuffer ||
  body instanceof Blob ||
  body instanceof URLSearchParams ||
  body instanceof ReadableStream

/**
 * The body as text, as it would cross a socket: bytes decoded as UTF-8 (as the served fake reads them), a stream
 * read to its end, `FormData` encoded as multipart with the content type and length a socket client sends.
 */
const encode = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<Encoded, HttpClientError.RequestError> => {
  const { body } = request
  switch (body._tag) {
    case "Empty":
      return Effect.succeed(plain(""))
    case "Uint8Array":
      return Effect.succeed(plain(decoder.decode(body.body)))
    case "Raw": {
      const raw = body.body
      if (typeof raw === "string") return Effect.succeed(plain(raw))
      // any other body as a `fetch` Response reads it: bytes, a Blob, URLSearchParams, a web stream
      if (isBodyInit(raw))
        return Effect.map(
          Effect.promise(() => new Response(raw).text()),
          plain
        )
      return Effect.fail(
        new HttpClientError.RequestError({ request, reason: "Encode", cause: new TypeError("unsupported raw body") })
      )
    }
    case "FormData":
      return Effect.promise(async () => {
        const encoded = new Response(body.formData)
        const bytes = new Uint8Array(await encoded.arrayBuffer())
        const contentType = encoded.headers.get("content-type") ?? "multipart/form-data"
        return {
          text: decoder.decode(bytes),
          headers: { "content-type": contentType, "content-length": String(bytes.byteLength) }
        }
      })
    case "Stream":
      return body.stream.pipe(
        Stream.decodeText(),
        Stream.mkString,
        Effect.map(plain),
        Effect.mapError((cause) => new HttpClientError.RequestError({ request, reason: "Encode", cause }))
      )
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
            encode(request).pipe(
              Effect.flatMap(({ text, headers }) =>
                handler({
                  method: request.method,
                  url,
                  headers: Object.keys(headers).length === 0 ? request.headers : { ...request.headers, ...headers },
                  body: text
                })
              ),
              Effect.flatMap((reply) => answer(request, reply))
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
