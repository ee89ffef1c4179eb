/**
 * The manager's options resolved once: defaults applied, durations as milliseconds, and every value checked, so a
 * wrong one is a `ConfigError` when the manager is built rather than a surprise later.
 */
import { ConfigError, Duration, Effect } from "effect"
import type { HmOAuthConfig } from "../../HmOAuthConfig.js"
import type { Options } from "../../TokenManager.js"

export interface Settings {
  readonly refreshAhead: number
  readonly refreshJitter: number
  readonly clockSkew: number
  readonly leaseTime: number
  readonly backoffInitial: number
  readonly backoffMax: number
  readonly maxRefreshesInFlight: number
  readonly pendingCheckInterval: number
  readonly pollInterval: number
  readonly idleTimeToLive: number
  readonly nodeId: string
}

const invalid = (name: string, problem: string) => ConfigError.InvalidData([name], `${name} ${problem}`)

/** Resolves `options` against the client's configuration (whose per-attempt timeout bounds the lease). */
export const resolve = (
  options: Options,
  config: HmOAuthConfig["Type"]
): Effect.Effect<Settings, ConfigError.ConfigError> =>
  Effect.gen(function* () {
    const timeout = Duration.toMillis(config.timeout)
    const millis = (name: keyof Options, value: Duration.DurationInput | undefined, fallback: number) =>
      Effect.gen(function* () {
        if (value === undefined) return fallback
        const decoded = Duration.decodeUnknown(value)
        if (decoded._tag === "None" || !Duration.isFinite(decoded.value)) {
          return yield* Effect.fail(invalid(name, "must be a finite duration"))
        }
        return Duration.toMillis(decoded.value)
      })
    const settings: Settings = {
      refreshAhead: yield* millis("refreshAhead", options.refreshAhead, 5 * 60_000),
      refreshJitter: yield* millis("refreshJitter", options.refreshJitter, 60_000),
      clockSkew: yield* millis("clockSkew", options.clockSkew, 30_000),
      // a refresh is one attempt, retried only when it never left: a few timeouts and a margin cover it
      leaseTime: yield* millis("leaseTime", options.leaseTime, 4 * timeout + 30_000),
      backoffInitial: yield* millis("backoffInitial", options.backoffInitial, 1_000),
      backoffMax: yield* millis("backoffMax", options.backoffMax, 5 * 60_000),
      maxRefreshesInFlight: options.maxRefreshesInFlight ?? 64,
      pendingCheckInterval: yield* millis("pendingCheckInterval", options.pendingCheckInterval, 60_000),
      pollInterval: yield* millis("pollInterval", options.pollInterval, 500),
      idleTimeToLive: yield* millis("idleTimeToLive", options.idleTimeToLive, 10 * 60_000),
      nodeId: options.nodeId ?? `node-${crypto.randomUUID()}`
    }
    // the lease must outlast at least one attempt, or another holder would refresh while this one's request is out
    if (settings.leaseTime <= timeout) {
      return yield* Effect.fail(invalid("leaseTime", `must be longer than the per-attempt timeout (${timeout} ms)`))
    }
    if (!Number.isInteger(settings.maxRefreshesInFlight) || settings.maxRefreshesInFlight < 1) {
      return yield* Effect.fail(invalid("maxRefreshesInFlight", "must be a whole number, at least 1"))
    }
    if (settings.backoffInitial <= 0 || settings.backoffMax < settings.backoffInitial) {
      return yield* Effect.fail(invalid("backoffInitial", "must be positive and at most backoffMax"))
    }
    for (const name of ["pendingCheckInterval", "pollInterval", "idleTimeToLive"] as const) {
      if (settings[name] <= 0) return yield* Effect.fail(invalid(name, "must be positive"))
    }
    if (settings.nodeId.trim() === "") return yield* Effect.fail(invalid("nodeId", "must not be empty"))
    return settings
  })
