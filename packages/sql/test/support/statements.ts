/**
 * Counts the statements an effect runs, by their first word: `@effect/sql` opens one `sql.execute` span per
 * statement, with its text as the `db.query.text` attribute. For the tests and the benchmarks (statements per refresh).
 */
import { Effect, Tracer } from "effect"

export const countStatements = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const statements: Array<string> = []
    const parent = yield* Effect.tracer
    const tracer = Tracer.make({
      span: (name, ...rest) => {
        const span = parent.span(name, ...rest)
        if (name === "sql.execute") {
          const attribute = span.attribute.bind(span)
          span.attribute = (key, value) => {
            if (key === "db.query.text") statements.push(String(value).split(/\s/)[0]!)
            attribute(key, value)
          }
        }
        return span
      },
      context: parent.context
    })
    const result = yield* Effect.withTracer(effect, tracer)
    return { result, statements }
  })
