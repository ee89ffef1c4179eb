/**
 * Says what is wrong with a server's answer without quoting it. Effect's `ParseResult` formatters put the value
 * they failed on into the message (a token, or a body nested so deep that formatting it overflows the stack);
 * this describes each issue by its path and what the schema expected, both taken from the schema alone.
 */
import { Option, type ParseResult, SchemaAST } from "effect"

/** At most this many issues are listed. */
const maxIssues = 5

const expectation = (ast: SchemaAST.AST): string => {
  const named =
    Option.getOrUndefined(SchemaAST.getDescriptionAnnotation(ast)) ??
    Option.getOrUndefined(SchemaAST.getIdentifierAnnotation(ast)) ??
    String(ast)
  return named.length > 80 ? `${named.slice(0, 80)}…` : named
}

const pathText = (path: ReadonlyArray<PropertyKey>): string =>
  path.length === 0 ? "the body" : path.map((key) => (typeof key === "number" ? `[${key}]` : String(key))).join(".")

/** `path: problem; path: problem`, for at most five issues, never mentioning a value. */
export const describe = (issue: ParseResult.ParseIssue): string => {
  const found: Array<string> = []
  const pending: Array<readonly [ParseResult.ParseIssue, ReadonlyArray<PropertyKey>]> = [[issue, []]]
  while (pending.length > 0 && found.length < maxIssues) {
    const [current, path] = pending.pop()!
    const at = (problem: string) => found.push(`${pathText(path)}: ${problem}`)
    switch (current._tag) {
      case "Type":
        at(`expected ${expectation(current.ast)}`)
        break
      case "Missing":
        at("is missing")
        break
      case "Unexpected":
        at("is not expected")
        break
      case "Forbidden":
        at("cannot be checked")
        break
      case "Pointer":
        pending.push([current.issue, [...path, ...(Array.isArray(current.path) ? current.path : [current.path])]])
        break
      case "Refinement":
        if (current.kind === "Predicate") at(`expected ${expectation(current.ast)}`)
        else pending.push([current.issue, path])
        break
      case "Transformation":
        pending.push([current.issue, path])
        break
      case "Composite":
        // a union's members each fail for their own reason: what was expected says it better than all of them
        if (SchemaAST.isUnion(current.ast)) at(`expected ${expectation(current.ast)}`)
        else {
          const issues = Array.isArray(current.issues) ? current.issues : [current.issues]
          for (const inner of [...issues].reverse()) pending.push([inner, path])
        }
        break
    }
  }
  return found.join("; ")
}
