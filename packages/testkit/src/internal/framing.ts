/**
 * How a response goes out on the wire, once for both transports: as the platform writes a text response, a body
 * goes with its content type (`text/plain` when the reply names none) and its length, after the reply's other
 * headers; an empty one with no content type at all. Every reply `FakeServer.handle` gives is framed so, and the
 * in-memory client hands its caller exactly these headers: only what a socket adds of its own (`date`,
 * `connection`, `keep-alive`) tells the transports apart.
 */
import type { Reply } from "../FakeServer.js"
import type { WireResponse } from "../Model.js"

/** A response as it is sent. */
export const frame = (response: WireResponse): Extract<Reply, { readonly _tag: "Response" }> => {
  const headers: Record<string, string> = {}
  let contentType: string | undefined
  // a plain loop: every request passes here, and a rest pattern copies through V8's slow path
  for (const name in response.headers) {
    if (name === "content-type") contentType = response.headers[name]
    else headers[name] = response.headers[name]!
  }
  const { status, body } = response
  if (body === "") return { _tag: "Response", status, headers, body }
  headers["content-type"] = contentType ?? "text/plain"
  headers["content-length"] = String(Buffer.byteLength(body))
  return { _tag: "Response", status, headers, body }
}
