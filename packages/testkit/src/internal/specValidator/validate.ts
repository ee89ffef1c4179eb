/**
 * Checks one request or response against its operation. Bodies are read by their content type; each schema error
 * becomes a line naming a place and a rule, never a value (traffic carries secrets); `deviations.ts` decides what
 * is tolerated.
 */
import type { ErrorObject } from "ajv"
import { Either } from "effect"
import type { Deviation, Report, Request, RequestLine, Response } from "../../SpecValidator.js"
import { readForm, readJson } from "../fields.js"
import * as Deviations from "./deviations.js"
import type { Content, Operation, Operations } from "./document.js"

class Findings {
  readonly violations: Array<string> = []
  readonly deviations = new Set<Deviation>()
  constructor(readonly exchange: string) {}

  report(): Report {
    return { exchange: this.exchange, violations: this.violations, deviations: [...this.deviations] }
  }
}

const describe = (where: string, error: ErrorObject): string => {
  const allowed = error.keyword === "enum" ? `: ${(error.params.allowedValues as Array<unknown>).join(", ")}` : ""
  return `${where}${error.instancePath}: ${error.message ?? error.keyword}${allowed}`
}

const listed = (keys: Iterable<string>): string => [...keys].join(", ")

const requestLine = (line: RequestLine): RequestLine => ({
  method: line.method.toUpperCase(),
  // the query string plays no part in routing
  path: line.path.split("?", 1)[0] ?? ""
})

const lookup = (operations: Operations, line: RequestLine, findings: Findings): Operation | undefined => {
  const byMethod = operations.get(line.path)
  if (byMethod === undefined) {
    findings.violations.push(`path ${line.path} is not in the document (it has ${listed(operations.keys())})`)
    return undefined
  }
  const operation = byMethod.get(line.method)
  if (operation === undefined) {
    findings.violations.push(
      `method ${line.method} is not documented for ${line.path} (it has ${listed(byMethod.keys())})`
    )
  }
  return operation
}

const lowerCased = (headers: Readonly<Record<string, string>> = {}): ReadonlyMap<string, string> =>
  new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]))

const mediaTypeOf = (headers: ReadonlyMap<string, string>): string =>
  (headers.get("content-type") ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? ""

const read = (mediaType: string, text: string): Either.Either<unknown, string> => {
  // a field maps to one property: a repeated one has no single value to check (RFC 6749 §3.2 forbids it)
  if (mediaType === "application/x-www-form-urlencoded")
    return Either.mapLeft(readForm(text), (problem) => `body: ${problem}`)
  if (mediaType !== "application/json" && !mediaType.endsWith("+json")) {
    return Either.left(`body: the validator cannot read ${mediaType}`)
  }
  return Either.mapLeft(readJson(text), (problem) => `body: ${problem}`)
}

const checkHeaders = (operation: Operation, headers: ReadonlyMap<string, string>, findings: Findings): void => {
  for (const { name, required, validate } of operation.headers) {
    const value = headers.get(name.toLowerCase())
    if (value === undefined) {
      if (required) findings.violations.push(`header ${name}: missing, the document requires it`)
      continue
    }
    if (validate(value)) continue
    const token = Deviations.bearerTokenOf(name, value)
    if (token !== undefined) findings.deviations.add("BearerAuthorization")
    if (token !== undefined && validate(token)) continue
    for (const error of validate.errors ?? []) findings.violations.push(describe(`header ${name}`, error))
  }
}

/** Checks a non-empty body. `request` is the operation whose request it is: requests may deviate, responses not. */
const checkBody = (
  content: Content,
  headers: ReadonlyMap<string, string>,
  text: string,
  findings: Findings,
  request?: Operation
): void => {
  const mediaType = mediaTypeOf(headers)
  let documented: string | undefined = mediaType
  if (!content.has(mediaType)) {
    documented = request === undefined ? undefined : Deviations.formAsJson(mediaType, content)
    if (documented === undefined) {
      const sent = mediaType === "" ? "missing" : mediaType
      findings.violations.push(`content-type ${sent}: the document gives ${listed(content.keys())}`)
      return
    }
    findings.deviations.add("FormEncodedBody")
  }
  const validate = content.get(documented)
  if (validate === undefined) return
  const body = read(mediaType, text)
  if (Either.isLeft(body)) {
    findings.violations.push(body.left)
    return
  }
  if (validate(body.right)) return
  for (const error of validate.errors ?? []) {
    const tolerated = request === undefined ? undefined : Deviations.toleratedError(request, error, body.right)
    if (tolerated === undefined) findings.violations.push(describe("body", error))
    else findings.deviations.add(tolerated)
  }
}

/** Checks a request: its operation exists, its header parameters and its body. */
export const checkRequest = (operations: Operations, request: Request): Report => {
  const line = requestLine(request)
  const findings = new Findings(`${line.method} ${line.path}`)
  const operation = lookup(operations, line, findings)
  if (operation === undefined) return findings.report()
  const headers = lowerCased(request.headers)
  checkHeaders(operation, headers, findings)
  const text = request.body ?? ""
  const { requestBody } = operation
  if (requestBody === undefined) {
    if (text !== "") findings.violations.push("body: the document defines no request body here")
  } else if (text === "") {
    if (requestBody.required) findings.violations.push("body: missing, the document requires one")
  } else {
    checkBody(requestBody.content, headers, text, findings, operation)
  }
  return findings.report()
}

const responseContent = (operation: Operation, status: number, findings: Findings): Content | undefined => {
  const { responses } = operation
  const documented =
    responses.get(String(status)) ?? responses.get(`${Math.floor(status / 100)}XX`) ?? responses.get("default")
  if (documented !== undefined) return documented
  const substitute = Deviations.createdAsOk(operation, status)
  if (substitute !== undefined) {
    findings.deviations.add("CreatedStatus")
    return responses.get(substitute)
  }
  findings.violations.push(`status ${status}: not documented (the document gives ${listed(responses.keys())})`)
  return undefined
}

/** Checks a response: the request's operation exists, documents the status, and the body matches. */
export const checkResponse = (operations: Operations, request: RequestLine, response: Response): Report => {
  const line = requestLine(request)
  const findings = new Findings(`${line.method} ${line.path} ${response.status}`)
  const operation = lookup(operations, line, findings)
  const content = operation === undefined ? undefined : responseContent(operation, response.status, findings)
  if (content === undefined) return findings.report()
  const text = response.body ?? ""
  if (Deviations.undocumentedBody(content, text)) findings.deviations.add("UndocumentedBody")
  else if (content.size > 0) {
    if (text === "") findings.violations.push(`body: missing, the document gives ${listed(content.keys())}`)
    else checkBody(content, lowerCased(response.headers), text, findings)
  }
  return findings.report()
}
