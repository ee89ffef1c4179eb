/**
 * The API over HTTP: each request is read off the socket into a wire request, answered by
 * `FakeServer.handle` (faults, then the model), and the reply written back byte for byte. A reply that loses
 * the request (`Refused`, `Reset`) destroys the connection: over a socket both look like a reset to the client.
 *
 * Two adapters share the wire form: `forward`, a route of the platform app (any path, any method), and `listener`,
 * a bare Node listener that the served fake puts in front of the app for the API's own paths. The platform spends
 * a traced fiber, a router and response objects on every request; the listener, one fiber for `handle`, which
 * about doubles the throughput of a served fake under load.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServerRequest } from "@effect/platform-node"
import { Effect, Exit, Option, Runtime } from "effect"
import type * as FakeServer_ from "../../FakeServer.js"
import { FakeServer } from "../../FakeServer.js"
import type * as Model from "../../Model.js"

/**
 * The status, headers and body of a response, as the platform writes a text response: a body goes out with its
 * content type (`text/plain` when the reply names none) and length after the reply's other headers; an empty one
 * with no content type at all.
 */
const outgoing = (reply: Model.WireResponse): Model.WireResponse => {
  const { "content-type": contentType, ...headers } = reply.headers
  if (reply.body === "") return { status: reply.status, headers, body: "" }
  const length = String(Buffer.byteLength(reply.body))
  return {
    status: reply.status,
    headers: { ...headers, "content-type": contentType ?? "text/plain", "content-length": length },
    body: reply.body
  }
}

const tooLarge = outgoing({
  status: 413,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ error: "invalid_request", error_description: "request body is too large" })
})

const declaredTooLarge = (headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>, max: number) =>
  Number(headers["content-length"] ?? 0) > max

const toPlatform = ({ body, headers, status }: Model.WireResponse) =>
  body === "" ? HttpServerResponse.empty({ status, headers }) : HttpServerResponse.raw(body, { status, headers })

/** Writes a reply; a lost one closes the connection and waits for the platform to interrupt this fiber. */
const respond = (request: HttpServerRequest.HttpServerRequest, reply: FakeServer_.Reply) => {
  if (reply._tag !== "Response") {
    NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()
    return Effect.never
  }
  return Effect.succeed(toPlatform(outgoing(reply)))
}

/** Forwards any request to the fake server; bodies over `maxBodyBytes` get 413 before the model sees them. */
export const forward = (maxBodyBytes: number) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (declaredTooLarge(request.headers, maxBodyBytes)) return toPlatform(tooLarge)
    const body = yield* request.text.pipe(HttpServerRequest.withMaxBodySize(Option.some(maxBodyBytes)), Effect.option)
    // A body that could not be read was too long (chunked, without a length) or cut off by the client.
    if (Option.isNone(body)) return toPlatform(tooLarge)
    const server = yield* FakeServer
    const reply = yield* server.handle({
      method: request.method,
      path: new URL(request.url, "http://fake.invalid").pathname,
      headers: request.headers,
      body: body.value
    })
    return yield* respond(request, reply)
  })

const apiPaths: ReadonlySet<string> = new Set(["/v1/access_tokens", "/v1/vehicleinfo"])

/**
 * The API path a request target names as it is, before its query, or undefined: a target that the platform would
 * normalise (dot segments, escapes, an absolute URL) is left to `forward`, which reads it as the platform does.
 */
export const apiPathOf = (target: string): string | undefined => {
  const end = target.search(/[?#]/)
  const path = end === -1 ? target : target.slice(0, end)
  return apiPaths.has(path) ? path : undefined
}

const write = (response: ServerResponse, { body, headers, status }: Model.WireResponse) => {
  response.writeHead(status, headers)
  if (body === "") response.end()
  else response.end(body)
}

/**
 * `forward` as a bare Node listener, for requests to `path` (from `apiPathOf`): the body read as the platform
 * reads it (UTF-8, at most `maxBodyBytes`, else 413, or a reset once reading has begun, as the platform's reader
 * gives up by destroying the request), `handle` run on a fiber that the client's going away interrupts, as the
 * platform's is, and the reply written as `forward` writes it.
 */
export const listener = (maxBodyBytes: number) =>
  Effect.gen(function* () {
    const server = yield* FakeServer
    const runCallback = Runtime.runCallback(yield* Effect.runtime<never>())
    return (path: string, request: IncomingMessage, response: ServerResponse): void => {
      if (declaredTooLarge(request.headers, maxBodyBytes)) {
        write(response, tooLarge)
        return
      }
      let body = ""
      let bytes = 0
      request.setEncoding("utf8")
      // a client that goes away mid-body leaves nothing to answer
      request.on("error", () => {})
      request.on("data", (chunk: string) => {
        body += chunk
        bytes += Buffer.byteLength(chunk)
        if (bytes > maxBodyBytes) request.destroy()
      })
      request.on("end", () => {
        const wire = {
          method: request.method!.toUpperCase(),
          path,
          headers: request.headers as Readonly<Record<string, string>>,
          body
        }
        const interrupt = runCallback(server.handle(wire), {
          onExit: (exit) => {
            if (Exit.isSuccess(exit)) {
              if (exit.value._tag === "Response") write(response, outgoing(exit.value))
              else request.socket.destroy()
            } else if (!Exit.isInterrupted(exit)) {
              // a defect: the platform answers 500 with no body
              write(response, { status: 500, headers: {}, body: "" })
            }
          }
        })
        response.on("close", () => {
          if (!response.writableEnded) interrupt()
        })
      })
    }
  })
