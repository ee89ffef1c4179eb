/**
 * Reads a response body as text, never more than a bound. A body that declares its length, without a content
 * coding, is bounded by the HTTP framing itself and read in one go when it fits; any other (chunked, or
 * compressed, which a `fetch` client inflates on the fly: a gzip bomb) is read chunk by chunk and abandoned as
 * soon as it passes the bound.
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, Stream } from "effect"

/** The body went past the bound: how far it got before the client stopped reading. */
export class BodyTooLarge {
  readonly _tag = "BodyTooLarge"
  constructor(
    readonly limit: number,
    /** The length the response declared, or at least how many bytes arrived before reading stopped. */
    readonly atLeast: number
  ) {}
}

const decimal = /^\d{1,15}$/

/** The body of `response` as text, or `BodyTooLarge` once more than `limit` bytes come. */
export const readText = (
  response: HttpClientResponse.HttpClientResponse,
  limit: number
): Effect.Effect<string, HttpClientError.ResponseError | BodyTooLarge> => {
  const declared = response.headers["content-length"]
  const coding = response.headers["content-encoding"]
  if (declared !== undefined && decimal.test(declared) && (coding === undefined || coding === "identity")) {
    const length = Number(declared)
    return length > limit ? Effect.fail(new BodyTooLarge(limit, length)) : response.text
  }
  return Stream.runFoldWhile(
    response.stream,
    { chunks: [] as Array<Uint8Array>, size: 0 },
    (read) => read.size <= limit,
    (read, chunk) => {
      read.chunks.push(chunk)
      read.size += chunk.length
      return read
    }
  ).pipe(
    Effect.flatMap(({ chunks, size }) =>
      size > limit ? Effect.fail(new BodyTooLarge(limit, size)) : Effect.succeed(decode(chunks, size))
    )
  )
}

const decoder = new TextDecoder()

const decode = (chunks: ReadonlyArray<Uint8Array>, size: number): string => {
  if (chunks.length === 1) return decoder.decode(chunks[0])
  const joined = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    joined.set(chunk, offset)
    offset += chunk.length
  }
  return decoder.decode(joined)
}
