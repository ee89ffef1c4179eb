/**
 * An `HttpClientResponse` over a body already in memory. The platform's `fromWeb` wraps a web `Response`, whose
 * body is read through a promise and a stream; this one answers `text` synchronously, so an in-memory call costs
 * no event-loop turn and runs deterministically under `TestClock`.
 */
import {
  Cookies,
  Headers,
  HttpClientError,
  type HttpClientRequest,
  HttpClientResponse,
  HttpIncomingMessage,
  UrlParams
} from "@effect/platform"
import { Effect, Inspectable, Option, Stream } from "effect"

const encoder = new TextEncoder()

/** A response whose body is a string in memory. */
export class TextResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly headers: Headers.Headers
  readonly text: Effect.Effect<string, HttpClientError.ResponseError>

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly status: number,
    headers: Readonly<Record<string, string>>,
    readonly body: string
  ) {
    super()
    // the length a server declares, as every HTTP server here does: clients bound what they read by it
    this.headers = Headers.fromInput({ "content-length": String(encoder.encode(body).length), ...headers })
    this.text = Effect.succeed(body)
  }

  get cookies(): Cookies.Cookies {
    const setCookie = this.headers["set-cookie"]
    return Cookies.fromSetCookie(setCookie === undefined ? [] : [setCookie])
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.try({
      try: () => (this.body === "" ? null : JSON.parse(this.body)),
      catch: (cause) => this.decodeError(cause)
    })
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.succeed(UrlParams.fromInput(new URLSearchParams(this.body)))
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.sync(() => new TextEncoder().encode(this.body).buffer as ArrayBuffer)
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.succeed(new TextEncoder().encode(this.body))
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.fail(this.decodeError("an in-memory response carries no form data"))
  }

  toJSON(): unknown {
    return { _id: "@hm-oauth/testkit/TextResponse", status: this.status, headers: Headers.redact(this.headers, []) }
  }

  private decodeError(cause: unknown) {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }
}
