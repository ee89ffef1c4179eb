/**
 * Reads one HTTP answer into a value or a typed error. Nothing a server sends becomes a defect: a wrong status,
 * a body that is not JSON, the wrong shape or an error body under a success status are all typed failures.
 */
import { Either, Option, ParseResult, type Redacted, Schema } from "effect"
import {
  OAuthProtocolError,
  type Operation,
  RateLimited,
  ServerUnavailable,
  Unauthorized,
  UnexpectedResponse
} from "../HmOAuthError.js"
import { parseRetryAfter } from "../Retry.js"
import { oauthErrorReason, unauthorizedReason } from "./errorReasons.js"
import { excerpt, isSecretField, scrub } from "./redact.js"

/** One HTTP answer, its body read as text. */
export interface Answer {
  readonly status: number
  /** A response header by lower-case name; read only when needed, since building all headers costs. */
  readonly header: (name: string) => string | undefined
  readonly body: string
}

/** What interpreting an answer needs besides the answer. */
export interface Context {
  readonly operation: Operation
  readonly nowMillis: number
  /** The request's secrets, scrubbed from anything the server says. */
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
}

/** The failures an answer can turn into. */
export type AnswerFailure = OAuthProtocolError | Unauthorized | RateLimited | ServerUnavailable | UnexpectedResponse

/** Interprets an answer: a 2xx body decoded with `schema`, or the typed failure its status and body mean. */
export const interpret = <A, I>(
  schema: Schema.Schema<A, I>,
  answer: Answer,
  context: Context
): Either.Either<A, AnswerFailure> => {
  const { status } = answer
  if (status >= 200 && status < 300) return decodeSuccess(schema, answer, context)
  if (status === 429) {
    return Either.left(new RateLimited({ operation: context.operation, ...retryAfter(answer, context) }))
  }
  if (status >= 500) {
    return Either.left(new ServerUnavailable({ operation: context.operation, status, ...retryAfter(answer, context) }))
  }
  if ((status === 401 || status === 403) && context.operation === "vehicleInfo") {
    return Either.left(unauthorized(answer, context))
  }
  if (status >= 400) {
    const oauthError = Schema.decodeUnknownOption(OAuthErrorBody)(parseJson(answer.body))
    if (Option.isSome(oauthError)) {
      const error = scrub(oauthError.value.error, context.secrets)
      const description = describe(oauthError.value.error_description, context)
      return Either.left(
        new OAuthProtocolError({
          operation: context.operation,
          status,
          error,
          ...description,
          reason: oauthErrorReason(context.operation, error, description.description)
        })
      )
    }
    return Either.left(unexpected(answer, context, "a client error without an OAuth error body"))
  }
  return Either.left(unexpected(answer, context, `status ${status} is not an answer this API gives`))
}

const OAuthErrorBody = Schema.Struct({ error: Schema.String, error_description: Schema.optional(Schema.String) })

const decodeSuccess = <A, I>(
  schema: Schema.Schema<A, I>,
  answer: Answer,
  context: Context
): Either.Either<A, UnexpectedResponse> => {
  const json = parseJson(answer.body)
  if (json === notJson) return Either.left(unexpected(answer, context, "the body is not JSON"))
  if (Option.isSome(Schema.decodeUnknownOption(OAuthErrorBody)(json))) {
    return Either.left(unexpected(answer, context, "a success status carrying an OAuth error body"))
  }
  return Either.mapLeft(Schema.decodeUnknownEither(schema)(json), (error) =>
    unexpected(answer, context, `the body does not match the spec: ${describeParseError(error)}`)
  )
}

const notJson = Symbol("notJson")

/** The body as JSON; an empty body is `undefined` (a bodiless success), anything unparsable is `notJson`. */
const parseJson = (body: string): unknown => {
  if (body.trim() === "") return undefined
  try {
    return JSON.parse(body)
  } catch {
    return notJson
  }
}

/** Schema issues as `path: message`, without the message where the path names a secret field (it may quote it). */
const describeParseError = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map(({ message, path }) => {
      const field = path.join(".")
      return path.some((key) => typeof key === "string" && isSecretField(key))
        ? `${field}: invalid`
        : `${field}: ${message}`
    })
    .join("; ")

const unexpected = (answer: Answer, context: Context, problem: string) =>
  new UnexpectedResponse({
    operation: context.operation,
    status: answer.status,
    problem: scrub(problem, context.secrets),
    excerpt: excerpt(answer.body, context.secrets)
  })

const retryAfter = (answer: Answer, context: Context) =>
  Option.match(parseRetryAfter(answer.header("retry-after"), context.nowMillis), {
    onNone: () => ({}),
    onSome: (duration) => ({ retryAfter: duration })
  })

const describe = (description: string | undefined, context: Context): { readonly description?: string } =>
  description === undefined ? {} : { description: scrub(description, context.secrets) }

const ErrorEntry = Schema.Struct({ title: Schema.String, detail: Schema.optional(Schema.String) })

/** High Mobility's three shapes of a refused token: `{ error, error_description }`, `{ errors: [...] }`, `[...]`. */
const UnauthorizedBody = Schema.Union(
  OAuthErrorBody,
  Schema.Struct({ errors: Schema.NonEmptyArray(ErrorEntry), request_id: Schema.optional(Schema.String) }),
  Schema.NonEmptyArray(ErrorEntry)
)

interface Refusal {
  readonly title: string
  readonly detail?: string | undefined
  readonly requestId?: string | undefined
}

const refusalOf = (body: typeof UnauthorizedBody.Type): Refusal => {
  if ("error" in body) return { title: body.error, detail: body.error_description }
  if ("errors" in body) return { ...body.errors[0], requestId: body.request_id }
  return body[0]
}

const unauthorized = (answer: Answer, context: Context): Unauthorized => {
  const refusal = Option.match(Schema.decodeUnknownOption(UnauthorizedBody)(parseJson(answer.body)), {
    onNone: (): Refusal => ({ title: "unauthorized" }),
    onSome: refusalOf
  })
  const error = scrub(refusal.title, context.secrets)
  const description = describe(refusal.detail, context)
  return new Unauthorized({
    operation: context.operation,
    status: answer.status,
    error,
    ...description,
    ...(refusal.requestId === undefined ? {} : { requestId: scrub(refusal.requestId, context.secrets) }),
    reason: unauthorizedReason(`${error} ${description.description ?? ""}`)
  })
}
