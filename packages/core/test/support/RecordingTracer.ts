/**
 * A tracer that keeps every span it makes, so tests can check their names and everything recorded on them:
 * attributes, events and how they ended.
 */
import { Effect, type Exit, Layer, type Option, Tracer } from "effect"
import type * as Context from "effect/Context"

/** A finished or running span, as recorded. */
export class RecordedSpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly spanId: string
  readonly traceId: string
  readonly sampled = true
  status: Tracer.SpanStatus
  readonly attributes = new Map<string, unknown>()
  readonly events: Array<readonly [string, Record<string, unknown>]> = []
  readonly links: Array<Tracer.SpanLink>

  constructor(
    readonly name: string,
    readonly parent: Option.Option<Tracer.AnySpan>,
    readonly context: Context.Context<never>,
    links: Iterable<Tracer.SpanLink>,
    startTime: bigint,
    readonly kind: Tracer.SpanKind,
    id: number
  ) {
    this.spanId = `span-${id}`
    this.traceId = parent._tag === "Some" ? parent.value.traceId : `trace-${id}`
    this.status = { _tag: "Started", startTime }
    this.links = [...links]
  }

  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    this.status = { _tag: "Ended", startTime: this.status.startTime, endTime, exit }
  }

  attribute(key: string, value: unknown): void {
    this.attributes.set(key, value)
  }

  event(name: string, _startTime: bigint, attributes: Record<string, unknown> = {}): void {
    this.events.push([name, attributes])
  }

  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    this.links.push(...links)
  }

  /** Everything the span holds as text: what an exporter would send. */
  get recorded(): string {
    return JSON.stringify({
      name: this.name,
      attributes: [...this.attributes],
      events: this.events,
      exit: this.status._tag === "Ended" ? String(this.status.exit) : undefined
    })
  }
}

/** A tracer and the spans it made, in order. */
export const make = () => {
  const spans: Array<RecordedSpan> = []
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const span = new RecordedSpan(name, parent, context, links, startTime, kind, spans.length)
      spans.push(span)
      return span
    },
    context: (f) => f()
  })
  return { spans, layer: Layer.setTracer(tracer) }
}

/** Runs `effect` with a fresh recording tracer and returns its exit and the spans it made. */
export const recording = <A, E, R>(effect: Effect.Effect<A, E, R>) => {
  const { layer, spans } = make()
  return Effect.map(Effect.exit(Effect.provide(effect, layer)), (exit) => ({ exit, spans }))
}
