/**
 * How a response goes out on the wire, once for both transports: as the platform writes a text response, a body
 * goes with its content type (`text/plain` when the reply names none) and its length, after the reply's other
 * headers; an empty one with no content type at all. The in-memory client hands its caller exactly these headers,
 * so only what a socket adds of its own (`date`, `connection`, `keep-alive`) tells the transports apart.
 */
import type { WireResponse } from "../Model.js"

/** The status, headers and body of a response as it is sent. */
export const framed = (reply: WireResponse): WireResponse => {
  const { "content-type": contentType, ...headers } = reply.headers
  if (reply.body === "") return { status: reply.status, headers, body: "" }
  const length = String(Buffer.byteLength(reply.body))
  return {
    status: reply.status,
    headers: { ...headers, "content-type": contentType ?? "text/plain", "content-length": length },
    body: reply.body
  }
}
