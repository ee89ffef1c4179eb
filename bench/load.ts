/**
 * Load from autocannon: kept-alive connections with one request in flight on each, for a set time. Every answer is
 * read and judged, and only good ones count as throughput: a server that answers errors fast is not a fast server.
 */
import autocannon from "autocannon"

/** The requests of a load: one path, form-encoded bodies, and what makes an answer good. */
export interface Load {
  readonly baseUrl: string
  readonly path: string
  /** The body of the next request: built anew for each when a function (e.g. to spend a fresh token). */
  readonly body: string | (() => string)
  /** Whether a 2xx answer's body is the answer asked for; sees every 2xx body, so it can act on it. */
  readonly good: (body: string) => boolean
}

/** What became of a load's requests. */
export interface Tally {
  /** 2xx answers that `good` accepted. */
  readonly good: number
  /** 2xx answers that `good` refused. */
  readonly bad: number
  /** Every other status, by status code. */
  readonly refused: Readonly<Record<number, number>>
  /** Connection errors and timeouts, as autocannon counts them. */
  readonly errors: number
  readonly timeouts: number
  /** From the first connection to the last answer counted. */
  readonly seconds: number
}

// autocannon checks whether to stop on its sampling tick, 1 s by default: a short load would overrun.
const sampleMillis = 50

/** How long a load lasts: a time, or a number of requests. */
export type Extent = { readonly millis: number } | { readonly requests: number }

/** Applies `load` over `connections` connections for `millis` ms (or until it sent `requests` requests). */
export const apply = async (load: Load, connections: number, extent: number | Extent): Promise<Tally> => {
  const until = typeof extent === "number" ? { millis: extent } : extent
  let good = 0
  let bad = 0
  const refused: Record<number, number> = {}
  const { body } = load
  const request: autocannon.Request = {
    method: "POST",
    path: load.path,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    ...(typeof body === "string" ? { body } : { setupRequest: (request) => ({ ...request, body: body() }) }),
    onResponse: (status, text) => {
      if (status < 200 || status >= 300) refused[status] = (refused[status] ?? 0) + 1
      else if (load.good(text)) good++
      else bad++
    }
  }
  const result = await autocannon({
    url: load.baseUrl,
    connections,
    pipelining: 1,
    ...("millis" in until ? { duration: until.millis / 1000 } : { amount: until.requests }),
    sampleInt: sampleMillis,
    requests: [request]
  })
  return { good, bad, refused, errors: result.errors, timeouts: result.timeouts, seconds: result.duration }
}

/** The tallies of several loads added up. */
export const sum = (tallies: ReadonlyArray<Tally>): Tally =>
  tallies.reduce(
    (total, tally) => ({
      good: total.good + tally.good,
      bad: total.bad + tally.bad,
      refused: Object.fromEntries(
        [...new Set([...Object.keys(total.refused), ...Object.keys(tally.refused)])].map((status) => [
          status,
          (total.refused[Number(status)] ?? 0) + (tally.refused[Number(status)] ?? 0)
        ])
      ),
      errors: total.errors + tally.errors,
      timeouts: total.timeouts + tally.timeouts,
      seconds: total.seconds + tally.seconds
    }),
    { good: 0, bad: 0, refused: {}, errors: 0, timeouts: 0, seconds: 0 }
  )

/** A tally in words, e.g. `12,345 good, 0 refused, 0 bad, 0 errors`. */
export const describe = (tally: Tally): string => {
  const refusals = Object.entries(tally.refused)
  const refused = refusals.reduce((total, [, count]) => total + count, 0)
  const byStatus =
    refusals.length === 0 ? "" : ` (${refusals.map(([status, count]) => `${status}: ${count}`).join(", ")})`
  return (
    `${tally.good.toLocaleString("en")} good, ${refused} non-2xx${byStatus}, ${tally.bad} 2xx with a wrong body, ` +
    `${tally.errors} connection errors (${tally.timeouts} timeouts)`
  )
}
