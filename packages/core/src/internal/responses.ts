/**
 * Reads one HTTP answer into a value, a refusal the caller acts on, or a failure of the attempt. Nothing a server
 * sends becomes a defect: a wrong status, a body that is not JSON, the wrong shape, an error body under a success
 * status are all typed. What an answer can mean depends on the operation's `answers` in the `Operation` table.
 * Classification reads the raw answer; only the text an error shows is scrubbed.
 */
import { Either, Option, Redacted, Schema } from "effect"
import {
  InvalidAccessToken,
  OAuthProtocolError,
  RateLimited,
  ServerUnavailable,
  Unauthorized,
  UnexpectedResponse
} from "../HmOAuthError.js"
import type { Answers, AttemptFailure, Operation, RefusalOf } from "../Operation.js"
import { parseRetryAfter } from "../Retry.js"
import { isRegisteredCode, oauthErrorReason, unauthorizedReason } from "./errorReasons.js"
import { describe } from "./issues.js"
import { excerpt, limits, scrub } from "./redact.js"
import { bearerToken } from "./syntax.js"

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

/** An answer read: a value or a refusal (both final), or a failure of the attempt (which a retry may follow). */
export type Read<A, K extends Answers> = Either.Either<Either.Either<A, RefusalOf<K>>, AttemptFailure>

/** How the answers of one kind of operation are read. */
export interface Reader<K extends Answers> {
  /** A refusal known before sending: the request could not go on the wire as it is. */
  readonly unsendable: (operation: Operation, bearer: Redacted.Redacted<string> | undefined) => RefusalOf<K> | undefined
  readonly interpret: <A, I>(schema: Schema.Schema<A, I>, answer: Answer, context: Context) => Read<A, K>
}

/**
 * The answers common to every operation: a 2xx decoded with `schema`, 429 and 5xx; `undefined` for the statuses
 * each kind reads its own way.
 */
const common = <A, I>(
  schema: Schema.Schema<A, I>,
  answer: Answer,
  context: Context
): Either.Either<Either.Either<A, never>, AttemptFailure> | undefined => {
  const { status } = answer
  if (status >= 200 && status < 300) return Either.map(decodeSuccess(schema, answer, context), Either.right)
  if (status === 429) {
    return Either.left(new RateLimited({ operation: context.operation, ...retryAfter(answer, context) }))
  }
  if (status >= 500) {
    return Either.left(new ServerUnavailable({ operation: context.operation, status, ...retryAfter(answer, context) }))
  }
  if (status < 400) return Either.left(unexpected(answer, context, `status ${status} is not an answer this API gives`))
  return undefined
}

/** The readers, by the `answers` of the `Operation` table. */
export const readers: { readonly [K in Answers]: Reader<K> } = {
  token: {
    unsendable: () => undefined,
    interpret: (schema, answer, context) => {
      const read = common(schema, answer, context)
      if (read !== undefined) return read
      const body = Schema.decodeUnknownOption(OAuthErrorBody)(parseJson(answer.body))
      if (Option.isNone(body)) {
        return Either.left(unexpected(answer, context, "a client error without an OAuth error body"))
      }
      const { error, error_description } = body.value
      return Either.right(
        Either.left(
          new OAuthProtocolError({
            operation: context.operation,
            status: answer.status,
            error: codeShown(error, context),
            ...(error_description === undefined
              ? {}
              : { description: scrub(error_description, context.secrets, limits.description) }),
            reason: oauthErrorReason(context.operation, error, error_description)
          })
        )
      )
    }
  },
  resource: {
    unsendable: (operation, bearer) =>
      bearer === undefined || bearerToken.test(Redacted.value(bearer))
        ? undefined
        : new InvalidAccessToken({ operation }),
    interpret: (schema, answer, context) => {
      const read = common(schema, answer, context)
      if (read !== undefined) return read
      if (answer.status === 401 || answer.status === 403)
        return Either.right(Either.left(unauthorized(answer, context)))
      return Either.left(unexpected(answer, context, `status ${answer.status} is not an answer of this resource`))
    }
  }
}

const OAuthErrorBody = Schema.Struct({ error: Schema.String, error_description: Schema.optional(Schema.String) })
const isOAuthErrorBody = Schema.is(OAuthErrorBody)

const decodeSuccess = <A, I>(
  schema: Schema.Schema<A, I>,
  answer: Answer,
  context: Context
): Either.Either<A, UnexpectedResponse> => {
  const json = parseJson(answer.body)
  if (json === notJson) return Either.left(unexpected(answer, context, "the body is not JSON"))
  if (isOAuthErrorBody(json)) {
    return Either.left(unexpected(answer, context, "a success status carrying an OAuth error body"))
  }
  return Either.mapLeft(Schema.decodeUnknownEither(schema)(json), (error) =>
    unexpected(answer, context, `the body does not match the spec: ${describe(error.issue)}`)
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

const unexpected = (answer: Answer, context: Context, problem: string) =>
  new UnexpectedResponse({
    operation: context.operation,
    status: answer.status,
    // the problem is the client's own words (paths and expectations of the schema): it quotes nothing received
    problem: problem.length > limits.description ? `${problem.slice(0, limits.description)}…` : problem,
    excerpt: excerpt(answer.body, context.secrets)
  })

const retryAfter = (answer: Answer, context: Context) =>
  Option.match(parseRetryAfter(answer.header("retry-after"), context.nowMillis), {
    onNone: () => ({}),
    onSome: (duration) => ({ retryAfter: duration })
  })

/** An error code as shown: one of the registered codes as it is, anything else scrubbed. */
const codeShown = (code: string, context: Context): string =>
  isRegisteredCode(code) ? code : scrub(code, context.secrets, limits.short)

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
  return new Unauthorized({
    operation: context.operation,
    status: answer.status,
    error: codeShown(refusal.title, context),
    ...(refusal.detail === undefined
      ? {}
      : { description: scrub(refusal.detail, context.secrets, limits.description) }),
    ...(refusal.requestId === undefined ? {} : { requestId: scrub(refusal.requestId, context.secrets, limits.short) }),
    reason: unauthorizedReason(`${refusal.title} ${refusal.detail ?? ""}`)
  })
}
