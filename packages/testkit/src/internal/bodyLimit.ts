/**
 * The request body limit, once for both transports. A body that declares a length over the limit is answered 413
 * before it is read; one that turns out longer than the limit without declaring it (a chunked stream) loses its
 * connection, as the served fake stops reading and drops it. Neither reaches the model or the fault plan.
 */
import type { Reply } from "../FakeServer.js"
import { frame } from "./framing.js"

/** 64 KiB: far more than any request of this API, far less than a client could make a server hold. */
export const defaultMaxBodyBytes = 64 * 1024

/** The 413 answer. */
export const tooLarge: Extract<Reply, { readonly _tag: "Response" }> = frame({
  status: 413,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ error: "invalid_request", error_description: "request body is too large" })
})

/** Whether a request declares a body over the limit. */
export const declaredTooLarge = (
  headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>,
  max: number
): boolean => Number(headers["content-length"] ?? 0) > max
