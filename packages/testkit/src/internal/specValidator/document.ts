/**
 * Reads an OpenAPI 3.0 document and compiles, once, a validator for every schema traffic is checked against.
 * Ajv compiles each schema in place, by its JSON pointer into the document, so `$ref`s between schemas resolve
 * exactly as the document wrote them.
 */
import { readFileSync } from "node:fs"
import { Ajv, type ValidateFunction } from "ajv"
import formats from "ajv-formats"
import { parse } from "yaml"

/** A header parameter of an operation. */
export interface Header {
  readonly name: string
  readonly required: boolean
  readonly validate: ValidateFunction
}

/** Body schemas by media type (`undefined` where a media type has no schema); empty for "no body". */
export type Content = ReadonlyMap<string, ValidateFunction | undefined>

/** One operation, ready to check traffic against. */
export interface Operation {
  /** `METHOD /path`, as reports name it. */
  readonly name: string
  readonly headers: ReadonlyArray<Header>
  readonly requestBody: { readonly required: boolean; readonly content: Content } | undefined
  /** By status key as the document writes it: `200`, `4XX` or `default`. */
  readonly responses: ReadonlyMap<string, Content>
}

/** The operations by path, then by upper-case method. */
export type Operations = ReadonlyMap<string, ReadonlyMap<string, Operation>>

type Node = Readonly<Record<string, unknown>>

const isNode = (value: unknown): value is Node => typeof value === "object" && value !== null && !Array.isArray(value)

/** Reads a document from a path or URL (YAML, which JSON also is), or takes an already parsed one. */
export const load = (document: string | URL | object): Node => {
  const parsed: unknown =
    typeof document === "string" || document instanceof URL ? parse(readFileSync(document, "utf8")) : document
  if (!isNode(parsed) || !isNode(parsed.paths)) throw new Error("not an OpenAPI document: it has no paths")
  return parsed
}

const DOCUMENT_ID = "openapi-document"
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

const unsupported = (what: string): never => {
  throw new Error(`the OpenAPI document uses ${what}, which the validator does not check`)
}

/** A JSON pointer one level down, in the URI-fragment form Ajv resolves. */
const down = (pointer: string, key: string | number): string =>
  `${pointer}/${encodeURIComponent(String(key).replaceAll("~", "~0").replaceAll("/", "~1"))}`

const at = (document: Node, pointer: string): unknown =>
  pointer
    .split("/")
    .slice(1)
    .map((key) => decodeURIComponent(key).replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce<unknown>((node, key) => (isNode(node) || Array.isArray(node) ? (node as Node)[key] : undefined), document)

/** The object at `pointer`, following a `$ref` (parameters, request bodies and responses may be references). */
const objectAt = (document: Node, pointer: string): readonly [Node, string] | undefined => {
  const node = at(document, pointer)
  if (!isNode(node)) return undefined
  if (typeof node.$ref !== "string") return [node, pointer]
  if (!node.$ref.startsWith("#/")) unsupported(`the external reference ${node.$ref}`)
  return objectAt(document, node.$ref.slice(1))
}

/** The `x-` extension keys used anywhere in the document. */
const extensions = (node: unknown, found: Set<string> = new Set()): Set<string> => {
  if (Array.isArray(node)) for (const item of node) extensions(item, found)
  else if (isNode(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith("x-")) found.add(key)
      extensions(value, found)
    }
  }
  return found
}

// OpenAPI 3.0 schema objects are JSON Schema plus annotations and `x-` extensions Ajv does not know; Ajv itself
// knows `nullable` and `discriminator`. Strict mode rejects any other unknown keyword or format: nothing is skipped.
// The document's top-level keys are declared too: Ajv compiles the whole document (a no-op) before a fragment.
// No meta-schema check of the document: it would reach none of its schemas (they sit under keys JSON Schema does
// not know) and cost half of `make`; compiling each schema in strict mode checks it instead.
const ajvOver = (document: Node, coerceTypes: boolean): Ajv => {
  const ajv = new Ajv({ allErrors: true, strict: true, discriminator: true, coerceTypes, validateSchema: false })
  const annotations = new Set(["example", "xml", "externalDocs", ...Object.keys(document), ...extensions(document)])
  ajv.addVocabulary([...annotations].filter((keyword) => ajv.getKeyword(keyword) === false))
  // ajv-formats is CommonJS: under NodeNext its default import is the module, whose `default` is the plugin
  formats.default(ajv)
  return ajv.addSchema(document, DOCUMENT_ID)
}

/** Compiles every operation of the document. */
export const compile = (document: Node): Operations => {
  const bodies = ajvOver(document, false)
  // header values are text: a schema saying `integer` means text that reads as one, as OpenAPI serializes it
  const parameters = ajvOver(document, true)
  const validator = (ajv: Ajv, pointer: string): ValidateFunction => {
    const validate = ajv.getSchema(`${DOCUMENT_ID}#${pointer}`)
    if (validate === undefined) throw new Error(`no schema at ${pointer}`)
    return validate
  }
  const content = (pointer: string): Content => {
    const contentPointer = down(pointer, "content")
    const media = at(document, contentPointer)
    return new Map(
      Object.entries(isNode(media) ? media : {}).map(([type, entry]) => [
        type.toLowerCase(),
        isNode(entry) && entry.schema !== undefined
          ? validator(bodies, down(down(contentPointer, type), "schema"))
          : undefined
      ])
    )
  }
  const header = (pointer: string): Header => {
    const [parameter, resolved] =
      objectAt(document, pointer) ?? unsupported(`a parameter without an object at ${pointer}`)
    if (parameter.in !== "header") unsupported(`a parameter in ${String(parameter.in)}`)
    return {
      name: String(parameter.name),
      required: parameter.required === true,
      validate: validator(parameters, down(resolved, "schema"))
    }
  }
  const headers = (pointer: string): ReadonlyArray<Header> => {
    const list = at(document, down(pointer, "parameters"))
    return Array.isArray(list) ? list.map((_, index) => header(down(down(pointer, "parameters"), index))) : []
  }
  const operation = (path: string, itemPointer: string, method: string): Operation | undefined => {
    const pointer = down(itemPointer, method)
    if (!isNode(at(document, pointer))) return undefined
    const requestBody = objectAt(document, down(pointer, "requestBody"))
    const responses = at(document, down(pointer, "responses"))
    return {
      name: `${method.toUpperCase()} ${path}`,
      headers: [...headers(itemPointer), ...headers(pointer)],
      requestBody:
        requestBody === undefined
          ? undefined
          : { required: requestBody[0].required === true, content: content(requestBody[1]) },
      responses: new Map(
        Object.keys(isNode(responses) ? responses : {}).map((status) => {
          const response = objectAt(document, down(down(pointer, "responses"), status))
          return [status, response === undefined ? new Map() : content(response[1])]
        })
      )
    }
  }
  const operations = new Map<string, ReadonlyMap<string, Operation>>()
  for (const path of Object.keys(document.paths as Node)) {
    if (path.includes("{")) unsupported(`the path template ${path}`)
    const item = objectAt(document, down(down("", "paths"), path))
    if (item === undefined) continue
    const byMethod = new Map<string, Operation>()
    for (const method of METHODS) {
      const found = operation(path, item[1], method)
      if (found !== undefined) byMethod.set(method.toUpperCase(), found)
    }
    operations.set(path, byMethod)
  }
  return operations
}
