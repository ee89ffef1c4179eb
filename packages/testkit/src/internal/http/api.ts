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
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import { Effect, Exit, Option, Runtime } from "effect"
import type * as FakeServer_ from "../../FakeServer.js"
import { FakeServer } from "../../FakeServer.js"
import type * as Model from "../../Model.js"
import { declaredTooLarge, tooLarge } from "../bodyLimit.js"
import * as endpoints from "../model/endpoints.js"

const toPlatform = ({ body, headers, status }: Model.WireResponse) =>
  body === "" ? HttpServerResponse.empty({ status, headers }) : HttpServerResponse.raw(body, { status, headers })

/**
 * The request's headers as the wire request has them: lower-case names, a header sent twice joined by ", " (RFC 9110
 * §5.3). Node keeps only the first `Authorization` of two, where the model must see both to refuse them.
 */
const wireHeaders = (request: IncomingMessage): Readonly<Record<string, string>> => {
  const headers: Record<string, string> = {}
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (values !== undefined) headers[name] = values.join(", ")
  }
  return headers
}

/** Writes a reply; a lost one closes the connection and waits for the platform to interrupt this fiber. */
const respond = (request: HttpServerRequest.HttpServerRequest, reply: FakeServer_.Reply) => {
  if (reply._tag !== "Response") {
    NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()
    return Effect.never
  }
  return Effect.succeed(toPlatform(reply))
}

/**
 * Forwards any request to the fake server, its target as sent (the platform's URL parsing would resolve `//host/…`
 * and `/\\host/…` to another path); bodies over `maxBodyBytes` get 413 before the model sees them.
 */
export const forward = (maxBodyBytes: number) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (declaredTooLarge(request.headers, maxBodyBytes)) return toPlatform(tooLarge)
    const body = yield* request.text.pipe(HttpServerRequest.withMaxBodySize(Option.some(maxBodyBytes)), Effect.option)
    // A body that could not be read was too long (chunked, without a length) or cut off by the client.
    if (Option.isNone(body)) return toPlatform(tooLarge)
    const server = yield* FakeServer
    const incoming = NodeHttpServerRequest.toIncomingMessage(request)
    const reply = yield* server.handle({
      method: request.method,
      path: incoming.url ?? "",
      headers: wireHeaders(incoming),
      body: body.value
    })
    return yield* respond(request, reply)
  })

const apiPaths: ReadonlySet<string> = new Set(endpoints.names.map((name) => endpoints.routes[name].path))

/** Whether a request target is one of the API's paths as it is, before its query: the listener's to answer. */
export const isApiTarget = (target: string): boolean => apiPaths.has(endpoints.pathOf(target))

const write = (response: ServerResponse, { body, headers, status }: Model.WireResponse) => {
  response.writeHead(status, headers)
  if (body === "") response.end()
  else response.end(body)
}

/**
 * `forward` as a bare Node listener, for requests to the API's paths (`isApiTarget`): the body read as the platform
 * reads it (UTF-8, at most `maxBodyBytes`, else 413, or a reset once reading has begun, as the platform's reader
 * gives up by destroying the request), `handle` run on a fiber that the client's going away interrupts, as the
 * platform's is, and the reply written as `forward` writes it.
 */
export const listener = (maxBodyBytes: number) =>
  Effect.gen(function* () {
    const server = yield* FakeServer
    const runCallback = Runtime.runCallback(yield* Effect.runtime<never>())
    return (request: IncomingMessage, response: ServerResponse): void => {
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
        const wire = { method: request.method ?? "", path: request.url ?? "", headers: wireHeaders(request), body }
        const interrupt = runCallback(server.handle(wire), {
          onExit: (exit) => {
            if (Exit.isSuccess(exit)) {
              if (exit.value._tag === "Response") write(response, exit.value)
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
