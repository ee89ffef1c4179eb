/**
 * The API over HTTP: each request is read off the socket into a wire request, answered by
 * `FakeServer.handle` (faults, then the model), and the reply written back byte for byte. A reply that loses
 * the request (`Refused`, `Reset`) destroys the connection: over a socket both look like a reset to the client.
 */
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServerRequest } from "@effect/platform-node"
import { Effect, Option } from "effect"
import { FakeServer } from "../../FakeServer.js"
import type * as InMemoryHttpClient from "../../InMemoryHttpClient.js"

const tooLarge = HttpServerResponse.unsafeJson(
  { error: "invalid_request", error_description: "request body is too large" },
  { status: 413 }
)

/** Writes a reply; a lost one closes the connection and waits for the platform to interrupt this fiber. */
const respond = (request: HttpServerRequest.HttpServerRequest, reply: InMemoryHttpClient.Reply) => {
  if (reply._tag !== "Response") {
    NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()
    return Effect.never
  }
  const { "content-type": contentType, ...headers } = reply.headers
  return Effect.succeed(
    reply.body === ""
      ? HttpServerResponse.empty({ status: reply.status, headers })
      : HttpServerResponse.text(reply.body, { status: reply.status, headers, contentType })
  )
}

/** Forwards any request to the fake server; bodies over `maxBodyBytes` get 413 before the model sees them. */
export const forward = (maxBodyBytes: number) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const declared = Number(request.headers["content-length"] ?? 0)
    if (declared > maxBodyBytes) return tooLarge
    const body = yield* request.text.pipe(HttpServerRequest.withMaxBodySize(Option.some(maxBodyBytes)), Effect.option)
    // A body that could not be read was too long (chunked, without a length) or cut off by the client.
    if (Option.isNone(body)) return tooLarge
    const server = yield* FakeServer
    const reply = yield* server.handle({
      method: request.method,
      path: new URL(request.url, "http://fake.invalid").pathname,
      headers: request.headers,
      body: body.value
    })
    return yield* respond(request, reply)
  })
