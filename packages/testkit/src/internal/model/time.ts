/** Seconds from now as an epoch-ms instant. */
export const after = (now: number, seconds: number): number => now + seconds * 1000

/** HM's date format: ISO 8601 with microseconds, e.g. `2018-11-06T10:20:37.094533Z`. */
export const isoMicros = (epochMs: number): string => new Date(epochMs).toISOString().replace("Z", "000Z")
