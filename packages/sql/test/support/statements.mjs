// Counts the statements effects run, by their first word: `@effect/sql` opens one `sql.execute` span per statement,
// with its text as the `db.query.text` attribute. For the tests and the benchmarks (statements per refresh); plain
// JavaScript so that the benchmarks, built apart from the tests, load it as it is.
import { Effect, Tracer } from "effect"

/**
 * A counter: `counting(effect)` runs `effect` with a tracer that adds each statement's first word to `statements`,
 * and so does every fiber it starts (a service built inside it keeps the tracer for the fibers it forks later).
 */
export const statementCounter = Effect.gen(function* () {
  const statements = []
  const parent = yield* Effect.tracer
  const tracer = Tracer.make({
    span: (name, ...rest) => {
      const span = parent.span(name, ...rest)
      if (name === "sql.execute") {
        const attribute = span.attribute.bind(span)
        span.attribute = (key, value) => {
          if (key === "db.query.text") statements.push(String(value).split(/\s/)[0])
          attribute(key, value)
        }
      }
      return span
    },
    context: parent.context
  })
  return { statements, counting: (effect) => Effect.withTracer(effect, tracer) }
})

/** Runs `effect` and says which statements it ran. */
export const countStatements = (effect) =>
  Effect.flatMap(statementCounter, ({ counting, statements }) =>
    Effect.map(counting(effect), (result) => ({ result, statements }))
  )
