/** The API's OpenAPI document, for tests that check the wire against its examples. */
import { readFileSync } from "node:fs"
import { parse } from "yaml"

const document = parse(readFileSync(new URL("../../../testkit/spec/hm-oauth-rest-v1.yml", import.meta.url), "utf8"))

type Examples = Readonly<Record<string, { readonly value: Record<string, unknown> }>>

const tokenPost = document.paths["/v1/access_tokens"].post

/** The request examples of `POST /v1/access_tokens`, by name. */
export const tokenRequestExamples: Examples = tokenPost.requestBody.content["application/json"].examples

/** The 200 response examples of `POST /v1/access_tokens`, by name. */
export const tokenResponseExamples: Examples = tokenPost.responses["200"].content["application/json"].examples

/** The 400 response examples of `POST /v1/access_tokens`, by name. */
export const tokenErrorExamples: Examples = tokenPost.responses["400"].content["application/json"].examples

/** The `example` of a component schema. */
export const schemaExample = (name: string): Record<string, unknown> => document.components.schemas[name].example
