import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { parse } from "yaml"
import { SpecValidator } from "../src/index.js"

const validator = SpecValidator.make()

const TOKENS = "/v1/access_tokens"
const VEHICLE_INFO = "/v1/vehicleinfo"
const JSON_TYPE = { "content-type": "application/json" }
const FORM_TYPE = { "content-type": "application/x-www-form-urlencoded" }
const TOKEN = "81bcb5ee-3aa1-4fc6-bc54-79019af30a45"

const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = JSON_TYPE) =>
  validator.validateRequest({ method, path, headers, body: body === undefined ? undefined : JSON.stringify(body) })

const response = (method: string, path: string, status: number, body?: unknown) =>
  validator.validateResponse(
    { method, path },
    body === undefined ? { status } : { status, headers: JSON_TYPE, body: JSON.stringify(body) }
  )

const conforms = { violations: [], deviations: [] }

// The parts of the document the examples are read from.
type Named<A> = Readonly<Record<string, A>>
interface MediaType {
  readonly schema?: { readonly $ref?: string }
  readonly examples?: Named<{ readonly value: unknown }>
}
interface OperationObject {
  readonly requestBody?: { readonly content: Named<MediaType> }
  readonly responses: Named<{ readonly content?: Named<MediaType> }>
}
interface Document {
  readonly paths: Named<Named<OperationObject>>
  readonly components: { readonly schemas: Named<{ readonly example?: unknown }> }
}

interface Example {
  readonly title: string
  readonly method: string
  readonly path: string
  readonly mediaType: string
  readonly value: unknown
}
interface ResponseExample extends Example {
  readonly status: number
}

const document = parse(readFileSync(SpecValidator.defaultDocument, "utf8")) as Document
const requestExamples: Array<Example> = []
const responseExamples: Array<ResponseExample> = []
for (const [path, item] of Object.entries(document.paths)) {
  for (const [method, operation] of Object.entries(item)) {
    const line = { method: method.toUpperCase(), path }
    for (const [mediaType, media] of Object.entries(operation.requestBody?.content ?? {})) {
      for (const [title, { value }] of Object.entries(media.examples ?? {})) {
        requestExamples.push({ ...line, mediaType, title, value })
      }
    }
    for (const [status, { content }] of Object.entries(operation.responses)) {
      for (const [mediaType, media] of Object.entries(content ?? {})) {
        const at = { ...line, status: Number(status), mediaType }
        for (const [title, { value }] of Object.entries(media.examples ?? {})) {
          responseExamples.push({ ...at, title, value })
        }
        // a schema's own `example` is an example of every response that uses the schema
        const schema = media.schema?.$ref?.replace("#/components/schemas/", "")
        const value = schema === undefined ? undefined : document.components.schemas[schema]?.example
        if (value !== undefined) responseExamples.push({ ...at, title: `${schema}'s example`, value })
      }
    }
  }
}

describe("SpecValidator: the document's own examples", () => {
  it("finds all 18 examples: 6 token requests, 6 token responses, 4 token errors, 2 schema examples", () => {
    expect(requestExamples).toHaveLength(6)
    expect(responseExamples.filter((example) => example.status === 200)).toHaveLength(6 + 2)
    expect(responseExamples.filter((example) => example.status === 400)).toHaveLength(4)
  })

  // the refresh examples say `grant_type: refresh`, outside the document's own enum
  const refreshExamples = ["ConsentFlow:web: Refresh access token", "ConsentFlow:in-app: Refresh access token"]
  for (const { title, method, path, mediaType, value } of requestExamples) {
    it(`request example "${title}" validates${refreshExamples.includes(title) ? ", as RefreshGrantType" : ""}`, () => {
      const report = request(method, path, value, { "content-type": mediaType })
      expect(report.violations).toEqual([])
      expect(report.deviations).toEqual(refreshExamples.includes(title) ? ["RefreshGrantType"] : [])
    })
  }

  for (const { title, method, path, status, value } of responseExamples) {
    it(`${status} response example "${title}" validates`, () => {
      expect(response(method, path, status, value)).toMatchObject(conforms)
    })
  }
})

describe("SpecValidator: token requests", () => {
  const grant = { grant_type: "client_credentials", client_id: "app", client_secret: "secret" }

  it("conforms as the document writes it", () => {
    expect(request("POST", TOKENS, grant)).toEqual({ exchange: `POST ${TOKENS}`, ...conforms })
  })

  it("reports a missing grant_type", () => {
    const { grant_type: _, ...rest } = grant
    expect(request("POST", TOKENS, rest).violations).toEqual(["body: must have required property 'grant_type'"])
  })

  it("reports a grant_type outside the enum, naming the allowed values", () => {
    expect(request("POST", TOKENS, { ...grant, grant_type: "password" })).toMatchObject({
      violations: [
        "body/grant_type: must be equal to one of the allowed values: authorization_code, refresh_token, client_credentials"
      ],
      deviations: []
    })
  })

  it("tolerates grant_type refresh as RefreshGrantType, and still checks the rest of the body", () => {
    expect(request("POST", TOKENS, { grant_type: "refresh", client_id: 7 })).toMatchObject({
      violations: ["body/client_id: must be string"],
      deviations: ["RefreshGrantType"]
    })
  })

  it("reports wrong types, every one of them", () => {
    const report = request("POST", TOKENS, { ...grant, client_id: 42, code: ["c"], client_assertion_type: "jwt" })
    expect(report.violations).toEqual([
      "body/code: must be string",
      "body/client_id: must be string",
      "body/client_assertion_type: must be equal to one of the allowed values: " +
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    ])
  })

  it("reports a body that is not an object, not JSON, or missing", () => {
    expect(request("POST", TOKENS, ["grant_type"]).violations).toEqual(["body: must be object"])
    expect(
      validator.validateRequest({ method: "POST", path: TOKENS, headers: JSON_TYPE, body: "{" }).violations
    ).toEqual(["body: not valid JSON"])
    expect(request("POST", TOKENS).violations).toEqual(["body: missing, the document requires one"])
  })

  it("reports a content type the document does not list, or none", () => {
    expect(request("POST", TOKENS, grant, { "content-type": "text/plain" }).violations).toEqual([
      "content-type text/plain: the document gives application/json"
    ])
    expect(request("POST", TOKENS, grant, {}).violations).toEqual([
      "content-type missing: the document gives application/json"
    ])
  })

  it("reads content-type parameters and any header case", () => {
    expect(request("POST", TOKENS, grant, { "Content-Type": "application/json; charset=utf-8" })).toMatchObject(
      conforms
    )
  })

  it("tolerates a form body as FormEncodedBody, checking its fields against the JSON schema", () => {
    const form = (body: string) => validator.validateRequest({ method: "POST", path: TOKENS, headers: FORM_TYPE, body })
    expect(form(new URLSearchParams(grant).toString())).toMatchObject({
      violations: [],
      deviations: ["FormEncodedBody"]
    })
    expect(form("client_id=app&client_secret=secret")).toMatchObject({
      violations: ["body: must have required property 'grant_type'"],
      deviations: ["FormEncodedBody"]
    })
    expect(form("grant_type=client_credentials&client_id=a&client_id=b").violations).toEqual([
      "body: field client_id appears more than once"
    ])
  })

  it("refuses a JSON member given twice, which JSON.parse would read as its last value", () => {
    const body = '{"grant_type":"client_credentials","client_id":"a","client_secret":"s","client_id":"b"}'
    expect(validator.validateRequest({ method: "POST", path: TOKENS, headers: JSON_TYPE, body }).violations).toEqual([
      "body: field client_id appears more than once"
    ])
    // the same name in nested objects, or in a string, is no repetition
    const nested = '{"grant_type":"client_credentials","client_id":"a\\",\\"client_id\\":","client_secret":"s"}'
    expect(validator.validateRequest({ method: "POST", path: TOKENS, headers: JSON_TYPE, body: nested })).toMatchObject(
      conforms
    )
  })

  it("never quotes a value, which may be a secret", () => {
    const report = request("POST", TOKENS, {
      grant_type: "s3cr3t-grant",
      client_id: "app",
      client_secret: ["s3cr3t-secret"],
      client_assertion_type: "s3cr3t-type"
    })
    expect(report.violations).toHaveLength(3)
    expect(JSON.stringify(report)).not.toContain("s3cr3t")
  })
})

describe("SpecValidator: revocation requests", () => {
  const revoke = { token: TOKEN, client_id: "app", client_secret: "secret" }

  it("conforms with client_secret", () => {
    expect(request("DELETE", TOKENS, { ...revoke, token_type_hint: "access_token" })).toMatchObject(conforms)
  })

  it("tolerates a revocation without client_secret as RevocationWithoutClientSecret", () => {
    const { client_secret: _, ...publicClient } = revoke
    expect(request("DELETE", TOKENS, publicClient)).toMatchObject({
      violations: [],
      deviations: ["RevocationWithoutClientSecret"]
    })
  })

  it("reports a missing token and a token_type_hint outside the enum", () => {
    const { token: _, ...rest } = revoke
    expect(request("DELETE", TOKENS, { ...rest, token_type_hint: "id_token" }).violations).toEqual([
      "body: must have required property 'token'",
      "body/token_type_hint: must be equal to one of the allowed values: refresh_token, access_token"
    ])
  })
})

describe("SpecValidator: vehicle info requests", () => {
  const get = (headers: Record<string, string>) =>
    validator.validateRequest({ method: "GET", path: VEHICLE_INFO, headers })

  it("conforms with the bare token the document asks for", () => {
    expect(get({ authorization: TOKEN })).toMatchObject(conforms)
  })

  it("tolerates `Bearer <token>` as BearerAuthorization, in any header case", () => {
    expect(get({ Authorization: `Bearer ${TOKEN}` })).toMatchObject({
      violations: [],
      deviations: ["BearerAuthorization"]
    })
  })

  it("still checks the token after Bearer, and any other scheme, against format uuid", () => {
    expect(get({ authorization: "Bearer not-a-uuid" })).toMatchObject({
      violations: ['header Authorization: must match format "uuid"'],
      deviations: ["BearerAuthorization"]
    })
    expect(get({ authorization: `Basic ${TOKEN}` })).toMatchObject({
      violations: ['header Authorization: must match format "uuid"'],
      deviations: []
    })
  })

  it("reports a missing Authorization header, and a body the document does not define", () => {
    expect(get({}).violations).toEqual(["header Authorization: missing, the document requires it"])
    expect(request("GET", VEHICLE_INFO, {}, { authorization: TOKEN }).violations).toEqual([
      "body: the document defines no request body here"
    ])
  })
})

describe("SpecValidator: unknown operations", () => {
  it("reports an unknown path and an undocumented method, for requests and responses", () => {
    expect(request("GET", "/v1/nope").violations).toEqual([
      "path /v1/nope is not in the document (it has /v1/access_tokens, /v1/vehicleinfo)"
    ])
    expect(request("put", TOKENS, {}).violations).toEqual([
      "method PUT is not documented for /v1/access_tokens (it has POST, DELETE)"
    ])
    expect(response("GET", "/v1/vehicle_info", 200, { vin: "V", sub: "S" })).toMatchObject({
      exchange: "GET /v1/vehicle_info 200",
      violations: ["path /v1/vehicle_info is not in the document (it has /v1/access_tokens, /v1/vehicleinfo)"]
    })
  })

  it("routes on the path alone, ignoring a query string", () => {
    expect(
      validator.validateRequest({ method: "GET", path: `${VEHICLE_INFO}?x=1`, headers: { authorization: TOKEN } })
    ).toMatchObject({ exchange: `GET ${VEHICLE_INFO}`, ...conforms })
  })
})

describe("SpecValidator: responses", () => {
  const tokens = { access_token: TOKEN, token_type: "bearer", expires_in: 3600 }

  it("reports expires_in as a string, where the document says integer", () => {
    expect(response("POST", TOKENS, 200, { ...tokens, expires_in: "3600" }).violations).toEqual([
      "body/expires_in: must be integer"
    ])
  })

  it("reports a status outside the enum and a missing access_token", () => {
    const { access_token: _, ...rest } = tokens
    expect(response("POST", TOKENS, 200, { ...rest, status: "revoked" }).violations).toEqual([
      "body: must have required property 'access_token'",
      "body/status: must be equal to one of the allowed values: pending, approved"
    ])
  })

  it("reports a vehicle without vin, or with a vin of the wrong type", () => {
    expect(response("GET", VEHICLE_INFO, 200, { sub: "s" }).violations).toEqual([
      "body: must have required property 'vin'"
    ])
    expect(response("GET", VEHICLE_INFO, 200, { vin: 1, sub: "s" }).violations).toEqual(["body/vin: must be string"])
  })

  it("tolerates 201 for a token as CreatedStatus, checking its body as a 200's", () => {
    expect(response("POST", TOKENS, 201, tokens)).toMatchObject({ violations: [], deviations: ["CreatedStatus"] })
    expect(response("POST", TOKENS, 201, { ...tokens, expires_in: "60" })).toMatchObject({
      violations: ["body/expires_in: must be integer"],
      deviations: ["CreatedStatus"]
    })
  })

  it("reports undocumented statuses, 201 included where no token is created", () => {
    expect(response("POST", TOKENS, 401, { error: "invalid_client" }).violations).toEqual([
      "status 401: not documented (the document gives 200, 400, 500)"
    ])
    expect(response("DELETE", TOKENS, 201).violations).toEqual([
      "status 201: not documented (the document gives 200, 400, 503)"
    ])
    expect(response("GET", VEHICLE_INFO, 403, { error: "forbidden" }).violations).toEqual([
      "status 403: not documented (the document gives 200, 401, 500)"
    ])
  })

  it("reports an error response without its body or its error field", () => {
    expect(response("POST", TOKENS, 400).violations).toEqual(["body: missing, the document gives application/json"])
    expect(response("DELETE", TOKENS, 400, { error_description: "token is invalid" }).violations).toEqual([
      "body: must have required property 'error'"
    ])
    expect(response("GET", VEHICLE_INFO, 401, { error: "invalid_token", error_description: "expired" })).toMatchObject(
      conforms
    )
  })

  it("reports a JSON body sent without content-type", () => {
    const report = validator.validateResponse(
      { method: "POST", path: TOKENS },
      { status: 200, body: JSON.stringify(tokens) }
    )
    expect(report.violations).toEqual(["content-type missing: the document gives application/json"])
  })

  it("accepts no body where the document defines none, and tolerates one as UndocumentedBody", () => {
    for (const [method, path, status] of [
      ["POST", TOKENS, 500],
      ["DELETE", TOKENS, 200],
      ["DELETE", TOKENS, 503],
      ["GET", VEHICLE_INFO, 500]
    ] as const) {
      expect(response(method, path, status)).toMatchObject(conforms)
      expect(response(method, path, status, {})).toMatchObject({ violations: [], deviations: ["UndocumentedBody"] })
    }
  })
})

describe("SpecValidator.check", () => {
  it.effect("succeeds with the deviations of conforming traffic", () =>
    Effect.gen(function* () {
      const deviations = yield* SpecValidator.check(response("POST", TOKENS, 500, { error: "boom" }))
      expect(deviations).toEqual(["UndocumentedBody"])
    })
  )

  it.effect("fails with SpecViolation naming the exchange and what it breaks", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(SpecValidator.check(request("POST", TOKENS, { client_id: "app" })))
      expect(error._tag).toBe("SpecViolation")
      expect(error.message).toBe(
        "POST /v1/access_tokens breaks the OpenAPI document: body: must have required property 'grant_type'"
      )
    })
  )
})

describe("SpecValidator.make", () => {
  it("reads the document from a file path as from the default URL", () => {
    const fromPath = SpecValidator.make({ document: fileURLToPath(SpecValidator.defaultDocument) })
    const body = JSON.stringify({ grant_type: "refresh_token", client_id: "app", refresh_token: TOKEN })
    expect(fromPath.validateRequest({ method: "POST", path: TOKENS, headers: JSON_TYPE, body })).toMatchObject(conforms)
    expect(
      fromPath.validateRequest({ method: "POST", path: TOKENS, headers: JSON_TYPE, body: "[]" }).violations
    ).toEqual(["body: must be object"])
  })

  // A small document using what the published one does not: references to parameters and responses, status
  // ranges, `default`, `nullable`, non-string header parameters and an `x-` extension.
  const things = SpecValidator.make({
    document: {
      openapi: "3.0.3",
      info: { title: "things", version: "1" },
      paths: {
        "/things": {
          get: {
            parameters: [{ $ref: "#/components/parameters/Limit" }],
            responses: { "2XX": { $ref: "#/components/responses/Things" }, default: { description: "error" } }
          }
        }
      },
      components: {
        parameters: {
          Limit: { in: "header", name: "X-Limit", required: true, schema: { type: "integer", minimum: 1 } }
        },
        responses: {
          Things: {
            description: "things",
            content: {
              "application/json": { schema: { type: "array", items: { $ref: "#/components/schemas/Thing" } } }
            }
          }
        },
        schemas: {
          Thing: {
            type: "object",
            "x-origin": "test",
            required: ["id"],
            properties: { id: { type: "string", nullable: true } }
          }
        }
      }
    }
  })

  it("follows references to parameters, and reads header values as text", () => {
    const get = (limit: string) =>
      things.validateRequest({ method: "GET", path: "/things", headers: { "x-limit": limit } })
    expect(get("2")).toMatchObject(conforms)
    expect(get("0").violations).toEqual(["header X-Limit: must be >= 1"])
  })

  it("follows references to responses, matches status ranges and default", () => {
    const got = (status: number, body: unknown) =>
      things.validateResponse(
        { method: "GET", path: "/things" },
        { status, headers: JSON_TYPE, body: JSON.stringify(body) }
      )
    expect(got(206, [{ id: null }])).toMatchObject(conforms)
    expect(got(200, [{}]).violations).toEqual(["body/0: must have required property 'id'"])
    expect(got(404, { anything: true })).toMatchObject({ violations: [], deviations: ["UndocumentedBody"] })
  })

  it("refuses a document it could not check faithfully", () => {
    expect(() => SpecValidator.make({ document: { openapi: "3.0.3" } })).toThrow("not an OpenAPI document")
    expect(() => SpecValidator.make({ document: { paths: { "/things/{id}": { get: { responses: {} } } } } })).toThrow(
      "the path template /things/{id}"
    )
    expect(() =>
      SpecValidator.make({
        document: { paths: { "/things": { get: { parameters: [{ in: "query", name: "q" }], responses: {} } } } }
      })
    ).toThrow("a parameter in query")
    expect(() =>
      SpecValidator.make({
        document: { paths: { "/things": { get: { responses: { 200: { $ref: "other.yml#/Things" } } } } } }
      })
    ).toThrow("the external reference other.yml#/Things")
  })
})
