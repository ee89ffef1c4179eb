import { Schema } from "effect"

/**
 * The longest duration a knob, a fault or a clock advance may name: 100 years. Any instant the server computes
 * from such durations stays far inside what a `Date` holds (±8.64e15 ms), so no expiry becomes `Infinity`, `NaN`
 * or an unprintable date.
 */
export const MAX_SECONDS = 3_155_760_000

/** A whole number of seconds from 0 to 100 years. */
export const Seconds = Schema.Int.pipe(Schema.between(0, MAX_SECONDS), Schema.annotations({ identifier: "Seconds" }))

/** A whole number of milliseconds from 0 to 100 years. */
export const Millis = Schema.Int.pipe(
  Schema.between(0, MAX_SECONDS * 1000),
  Schema.annotations({ identifier: "Millis" })
)
