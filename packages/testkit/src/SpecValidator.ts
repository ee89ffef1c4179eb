/**
 * Checks HTTP traffic against the API's OpenAPI document: the requests a client sends and the responses a server
 * gives. The document is compiled once, in `make`; each check is synchronous and returns a `Report`. Where real
 * traffic and the document knowingly part ways (see `deviations`), the traffic is tolerated and the deviation is
 * reported apart from the violations.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { descriptions } from "./internal/specValidator/deviations.js"
import { compile, load } from "./internal/specValidator/document.js"
import { checkRequest, checkResponse } from "./internal/specValidator/validate.js"

/** The method and path of a request; the path may carry a query string. */
export interface RequestLine {
  readonly method: string
  readonly path: string
}

/** A request as sent: headers in any case, the body as text (`content-type` says how to read it). */
export interface Request extends RequestLine {
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly body?: string | undefined
}

/** A response as received: headers in any case, the body as text ("" or absent for none). */
export interface Response {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly body?: string | undefined
}

/** A known way real traffic departs from the document, tolerated on purpose. */
export const Deviation = Schema.Literal(
  "BearerAuthorization",
  "RefreshGrantType",
  "RevocationWithoutClientSecret",
  "CreatedStatus",
  "UndocumentedBody",
  "FormEncodedBody"
)
/** A known way real traffic departs from the document, tolerated on purpose. */
export type Deviation = typeof Deviation.Type

/** What each deviation is, and why it is tolerated. */
export const deviations: Readonly<Record<Deviation, string>> = descriptions

/** The outcome of one check. */
export interface Report {
  /** What was checked: `POST /v1/access_tokens` for a request, `POST /v1/access_tokens 400` for a response. */
  readonly exchange: string
  /** Where the traffic breaks the document, one readable line each (never quoting a value); empty if it conforms. */
  readonly violations: ReadonlyArray<string>
  /** The known deviations the traffic showed: tolerated, not violations. */
  readonly deviations: ReadonlyArray<Deviation>
}

/** A validator compiled from one document. */
export interface SpecValidator {
  /** Checks a request against its operation: header parameters, content type and body. */
  readonly validateRequest: (request: Request) => Report
  /** Checks a response against the operation of the request it answers: status, content type and body. */
  readonly validateResponse: (request: RequestLine, response: Response) => Report
}

/** The document to validate against: a file path or URL (YAML or JSON), or an already parsed document. */
export interface Options {
  readonly document?: string | URL | object | undefined
}

/** The API's published OpenAPI document, as the repository keeps it byte for byte. */
export const defaultDocument: URL = new URL("../spec/hm-oauth-rest-v1.yml", import.meta.url)

/**
 * Compiles a validator, by default for `defaultDocument`. Throws if the document cannot be read, or uses what the
 * validator does not check (path templates, non-header parameters, external references).
 */
export const make = (options: Options = {}): SpecValidator => {
  const operations = compile(load(options.document ?? defaultDocument))
  return {
    validateRequest: (request) => checkRequest(operations, request),
    validateResponse: (request, response) => checkResponse(operations, request, response)
  }
}

/** Traffic that breaks the document. */
export class SpecViolation extends Schema.TaggedError<SpecViolation>()("SpecViolation", {
  exchange: Schema.String,
  violations: Schema.Array(Schema.String)
}) {
  override get message() {
    return `${this.exchange} breaks the OpenAPI document: ${this.violations.join("; ")}`
  }
}

/** A report as an effect: fails with `SpecViolation` if it holds violations, else succeeds with its deviations. */
export const check = (report: Report): Effect.Effect<ReadonlyArray<Deviation>, SpecViolation> =>
  report.violations.length === 0
    ? Effect.succeed(report.deviations)
    : Effect.fail(new SpecViolation({ exchange: report.exchange, violations: report.violations }))
