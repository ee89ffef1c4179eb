/**
 * When a failed request is tried again, and how long the client waits in between.
 *
 * The schedule (how often, how long) is yours to replace; which failures are retried is not, because replaying
 * the wrong request loses data: a code is single-use and a refresh may rotate the refresh token. So:
 * - vehicle info, revocation and client credentials are idempotent: 5xx, 429, timeouts and transport failures
 *   are retried;
 * - code exchange and refresh are retried only when the request provably never reached the server; any other
 *   lost answer, and a success whose body cannot be read, fails with `OutcomeUnknown`;
 * - protocol errors (4xx) are never retried.
 * A `Retry-After` header stretches the next delay; one longer than `maxRetryAfter` ends the retries at once.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Option, Schedule } from "effect"
import type {
  HmOAuthError,
  Operation,
  RateLimited,
  RequestTimeout,
  ServerUnavailable,
  TransportError
} from "./HmOAuthError.js"
import { OutcomeUnknown } from "./HmOAuthError.js"

/** The failures a retry can follow: the schedule receives each one as its input. */
export type RetryableFailure = RateLimited | ServerUnavailable | RequestTimeout | TransportError

/** A retry schedule: decides the delays and when to give up. Its input is the failure that ended the attempt. */
export type RetrySchedule = Schedule.Schedule<unknown, RetryableFailure>

/** Exponential backoff from 250 ms, doubled each time with jitter, at most 3 retries and 30 seconds in all. */
export const defaultSchedule: RetrySchedule = Schedule.exponential("250 millis", 2).pipe(
  Schedule.jittered,
  Schedule.intersect(Schedule.recurs(3)),
  Schedule.upTo("30 seconds")
)

/** The default longest `Retry-After` the client waits for before giving up instead. */
export const defaultMaxRetryAfter: Duration.Duration = Duration.seconds(60)

/** Whether repeating the operation can never change its outcome. */
export const isIdempotent = (operation: Operation): boolean => operation !== "exchangeCode" && operation !== "refresh"

/** Whether the failure of one attempt may be followed by another. */
export const shouldRetry =
  (operation: Operation, maxRetryAfter: Duration.Duration) =>
  (failure: HmOAuthError): failure is RetryableFailure => {
    const idempotent = isIdempotent(operation)
    switch (failure._tag) {
      case "TransportError":
        return idempotent || !failure.mayHaveReachedServer
      case "RequestTimeout":
        return idempotent
      case "RateLimited":
      case "ServerUnavailable":
        return (
          idempotent &&
          (failure.retryAfter === undefined || Duration.lessThanOrEqualTo(failure.retryAfter, maxRetryAfter))
        )
      default:
        return false
    }
  }

/**
 * The failure reported once retries are over: for a non-idempotent operation, a lost answer becomes
 * `OutcomeUnknown`, because the server may have acted on the request.
 */
export const finalFailure =
  (operation: Operation) =>
  (failure: HmOAuthError): HmOAuthError => {
    if (isIdempotent(operation)) return failure
    switch (failure._tag) {
      case "TransportError":
        return failure.mayHaveReachedServer ? new OutcomeUnknown({ operation, failure }) : failure
      case "RequestTimeout":
      case "ServerUnavailable":
        return new OutcomeUnknown({ operation, failure })
      // a success status means the server acted: the tokens it issued are lost with the unreadable body
      case "UnexpectedResponse":
        return failure.status >= 200 && failure.status < 300 ? new OutcomeUnknown({ operation, failure }) : failure
      default:
        return failure
    }
  }

/**
 * Runs `attempt` under the retry rules of `operation`: only failures `shouldRetry` allows ever reach the
 * schedule (so a user's schedule can never replay a code exchange), each delay honours `Retry-After`, and the
 * last failure goes through `finalFailure`.
 */
export const retrying =
  (operation: Operation, schedule: RetrySchedule, maxRetryAfter: Duration.Duration) =>
  <A, R>(attempt: Effect.Effect<A, HmOAuthError, R>): Effect.Effect<A, HmOAuthError, R> => {
    const retryable = shouldRetry(operation, maxRetryAfter)
    // The schedule's driver is built on the first retryable failure: a call that succeeds at once pays nothing for it.
    const retried = (first: RetryableFailure) =>
      Effect.flatMap(Schedule.driver(honourRetryAfter(schedule)), (driver) => {
        const next = (failure: RetryableFailure): Effect.Effect<A, HmOAuthError, R> =>
          Effect.matchEffect(driver.next(failure), {
            onFailure: () => Effect.fail(failure),
            onSuccess: () => Effect.catchIf(attempt, retryable, next)
          })
        return next(first)
      })
    return attempt.pipe(Effect.catchIf(retryable, retried), Effect.mapError(finalFailure(operation)))
  }

/** Wraps a schedule so that each delay is at least the failure's `Retry-After`. */
export const honourRetryAfter = (schedule: RetrySchedule): RetrySchedule =>
  Schedule.intersect(
    schedule,
    Schedule.identity<RetryableFailure>().pipe(
      Schedule.addDelay((failure) => ("retryAfter" in failure && failure.retryAfter) || Duration.zero)
    )
  )

/**
 * Parses a `Retry-After` header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3), relative to `nowMillis`.
 * Anything else is ignored rather than trusted.
 */
export const parseRetryAfter = (header: string | undefined, nowMillis: number): Option.Option<Duration.Duration> => {
  if (header === undefined) return Option.none()
  const value = header.trim()
  if (/^\d+$/.test(value)) return Option.some(Duration.seconds(Number(value)))
  const date = Date.parse(value)
  if (Number.isNaN(date) || !/[a-z]/i.test(value)) return Option.none()
  return Option.some(Duration.millis(Math.max(0, date - nowMillis)))
}
