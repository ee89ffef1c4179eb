/**
 * Every way the validator departs from the letter of the document, in one place. Each is a point where real
 * traffic (RFC-conforming clients, High Mobility's own examples and SDKs) and the document disagree. A rule applies
 * only where the document rejects the traffic, and what it tolerates is reported as a deviation, never hidden.
 */
import type { ErrorObject } from "ajv"
import type { Deviation } from "../../SpecValidator.js"
import { bearerToken } from "../bearer.js"
import type { Content, Operation } from "./document.js"

/** What each deviation is, and why it is tolerated. */
export const descriptions: Readonly<Record<Deviation, string>> = {
  BearerAuthorization:
    "GET /v1/vehicleinfo types the Authorization header as `format: uuid`, but the API reads `Bearer <token>` " +
    "(RFC 6750 §2.1): the token after `Bearer ` is checked against the header's schema.",
  RefreshGrantType:
    "The document's own refresh request examples send `grant_type: refresh`, outside its enum; RFC 6749 §6 and " +
    "the enum say `refresh_token`, which is what clients send.",
  RevocationWithoutClientSecret:
    "DELETE /v1/access_tokens requires `client_secret`, which a public (PKCE) client does not have: RFC 7009 §2.1 " +
    "lets it revoke with `client_id` alone, and lets other clients authenticate as at the token endpoint (e.g. " +
    "with a client assertion).",
  CreatedStatus:
    "POST /v1/access_tokens answered 201: the document lists only 200, but High Mobility's SDKs accept 201; " +
    "the body is checked as a 200's.",
  UndocumentedBody:
    "A body on a response the document defines without one (POST 500, DELETE 200 and 503, GET 500): it is not " +
    "checked, as the document says nothing of its shape.",
  FormEncodedBody:
    "A request body sent as application/x-www-form-urlencoded, as RFC 6749 §4.1.3 has clients send it, where the " +
    "document lists only JSON: its fields are checked against the JSON schema."
}

const TOKENS = "/v1/access_tokens"

/** BearerAuthorization: the token of `Authorization: Bearer <token>`, for a header that rejects the whole value. */
export const bearerTokenOf = (header: string, value: string): string | undefined =>
  header.toLowerCase() === "authorization" ? bearerToken(value) : undefined

/** FormEncodedBody: the documented media type whose schema checks a form body the document does not list. */
export const formAsJson = (mediaType: string, content: Content): string | undefined =>
  mediaType === "application/x-www-form-urlencoded" && content.has("application/json") ? "application/json" : undefined

/** RefreshGrantType and RevocationWithoutClientSecret: the deviation a body schema error stands for, if known. */
export const toleratedError = (operation: Operation, error: ErrorObject, body: unknown): Deviation | undefined => {
  if (
    operation.name === `POST ${TOKENS}` &&
    error.keyword === "enum" &&
    error.instancePath === "/grant_type" &&
    (body as { readonly grant_type?: unknown }).grant_type === "refresh"
  ) {
    return "RefreshGrantType"
  }
  if (
    operation.name === `DELETE ${TOKENS}` &&
    error.keyword === "required" &&
    error.instancePath === "" &&
    error.params.missingProperty === "client_secret"
  ) {
    return "RevocationWithoutClientSecret"
  }
  return undefined
}

/** CreatedStatus: the documented status a token response's undocumented one is checked as. */
export const createdAsOk = (operation: Operation, status: number): string | undefined =>
  operation.name === `POST ${TOKENS}` && status === 201 && operation.responses.has("200") ? "200" : undefined

/** UndocumentedBody: whether a response carries a body where the document defines none. */
export const undocumentedBody = (content: Content, body: string): boolean => content.size === 0 && body !== ""
