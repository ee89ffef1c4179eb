/**
 * When a failed request is tried again, and how long the client waits in between.
 *
 * The schedule (how often, how long) is yours to replace; which failures are retried is not, because replaying
 * the wrong request loses data. The rules follow each operation's idempotency in the `Operation` table:
 * - an idempotent operation (vehicle info, revocation, client credentials) retries 5xx, 429, timeouts and
 *   transport failures;
 * - an operation that runs `once` (code exchange, refresh) retries only a request that provably never reached
 *   the server; any other lost answer, and a success whose body cannot be read, fails with `OutcomeUnknown`;
 * - refusals (4xx) and unusable answers are never retried.
 * A `Retry-After` header stretches the next delay; one longer than `maxRetryAfter` ends the retries at once. The
 * whole call, waits included, keeps within `retryBudget`: no retry starts, or waits, past it, and a retry's
 * timeout is cut to what is left of it.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Option, Schedule, ScheduleDecision, ScheduleIntervals } from "effect"
import type { RateLimited, RequestTimeout, ServerUnavailable, TransportError } from "./HmOAuthError.js"
import { OutcomeUnknown } from "./HmOAuthError.js"
import { parseHttpDate } from "./internal/httpDate.js"
import type { AttemptFailure, ConcludedFailure, Idempotency, Operation } from "./Operation.js"

/**
 * The failures a retry can follow: the schedule receives each one as its input.
 *
 * @since 0.1.0
 * @category models
 */
export type RetryableFailure = RateLimited | ServerUnavailable | RequestTimeout | TransportError

/**
 * A retry schedule: decides the delays and when to give up. Its input is the failure that ended the attempt.
 *
 * @since 0.1.0
 * @category models
 */
export type RetrySchedule = Schedule.Schedule<unknown, RetryableFailure>

/**
 * Exponential backoff from 250 ms, doubled each time with jitter, at most 3 retries. The 30 seconds a call may
 * take in all are `defaultRetryBudget`'s, which holds whatever the schedule.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultSchedule: RetrySchedule = Schedule.exponential("250 millis", 2).pipe(
  Schedule.jittered,
  Schedule.intersect(Schedule.recurs(3))
)

/**
 * The default longest `Retry-After` the client waits for before giving up instead.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultMaxRetryAfter: Duration.Duration = Duration.seconds(60)

/**
 * The default time a call may take with its retries and the waits between them.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultRetryBudget: Duration.Duration = Duration.seconds(30)

/**
 * Whether the failure of one attempt may be followed by another, for an operation of the given idempotency.
 *
 * @since 0.1.0
 * @category predicates
 */
export const shouldRetry =
  (idempotency: Idempotency, maxRetryAfter: Duration.Duration) =>
  (failure: AttemptFailure): failure is RetryableFailure => {
    const idempotent = idempotency === "idempotent"
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
      case "UnexpectedResponse":
        return false
    }
  }

/**
 * The failure reported once retries are over, by idempotency: for an operation that runs `once`, a lost answer
 * (a timeout, a server error, a transport failure after sending, a success whose body could not be read) is
 * `OutcomeUnknown`, because the server may have acted on the request.
 *
 * @since 0.1.0
 * @category combinators
 */
export const conclusions: {
  readonly [I in Idempotency]: (operation: Operation, failure: AttemptFailure) => ConcludedFailure<I>
} = {
  idempotent: (_, failure) => failure,
  once: (operation, failure) => {
    switch (failure._tag) {
      case "TransportError":
        return failure.mayHaveReachedServer ? new OutcomeUnknown({ operation, failure }) : failure
      case "RequestTimeout":
      case "ServerUnavailable":
        return new OutcomeUnknown({ operation, failure })
      // a success status means the server acted: the tokens it issued are lost with the unreadable body
      case "UnexpectedResponse":
        return failure.status >= 200 && failure.status < 300 ? new OutcomeUnknown({ operation, failure }) : failure
      case "RateLimited":
        return failure
    }
  }
}

/**
 * How the attempts of one call are run.
 *
 * @since 0.1.0
 * @category models
 */
export interface Policy {
  readonly schedule: RetrySchedule
  readonly maxRetryAfter: Duration.Duration
  readonly budget: Duration.Duration
  /** The timeout of one attempt. */
  readonly timeout: Duration.Duration
}

/**
 * Runs `attempt` (given its timeout in milliseconds) under the retry rules of an operation: only failures
 * `shouldRetry` allows ever reach the schedule (so a user's schedule can never replay a code exchange), each
 * delay honours `Retry-After`, no retry starts past the budget, and the last failure goes through `conclusions`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const retrying =
  <I extends Idempotency>(operation: Operation, idempotency: I, policy: Policy) =>
  <A, R>(
    attempt: (timeoutMillis: number) => Effect.Effect<A, AttemptFailure, R>
  ): Effect.Effect<A, ConcludedFailure<I>, R> => {
    const retryable = shouldRetry(idempotency, policy.maxRetryAfter)
    const timeoutMillis = Duration.toMillis(policy.timeout)
    const budgetMillis = Duration.toMillis(policy.budget)
    const conclude = conclusions[idempotency]
    // One step for the clock and one for the outcome: a call that succeeds at once pays for no more.
    return Effect.clockWith((clock) => {
      const deadline = clock.unsafeCurrentTimeMillis() + budgetMillis
      const failed = (failure: AttemptFailure) => Effect.fail(conclude(operation, failure))
      // The schedule is stepped only once an attempt failed.
      const retried = (first: RetryableFailure): Effect.Effect<A, ConcludedFailure<I>, R> => {
        let state = policy.schedule.initial
        const next = (failure: RetryableFailure): Effect.Effect<A, ConcludedFailure<I>, R> => {
          const now = clock.unsafeCurrentTimeMillis()
          return Effect.flatMap(policy.schedule.step(now, failure, state), ([stepped, , decision]) => {
            state = stepped
            if (ScheduleDecision.isDone(decision)) return failed(failure)
            const scheduled = ScheduleIntervals.start(decision.intervals) - now
            const retryAfter = "retryAfter" in failure && failure.retryAfter ? Duration.toMillis(failure.retryAfter) : 0
            const begins = now + Math.max(0, scheduled, retryAfter)
            if (begins >= deadline) return failed(failure)
            const again = Effect.catchAll(attempt(Math.min(timeoutMillis, deadline - begins)), (failure) =>
              retryable(failure) ? next(failure) : failed(failure)
            )
            return begins > now ? Effect.zipRight(Effect.sleep(Duration.millis(begins - now)), again) : again
          })
        }
        return next(first)
      }
      return Effect.catchAll(attempt(timeoutMillis), (failure) =>
        retryable(failure) ? retried(failure) : failed(failure)
      )
    })
  }

/**
 * Parses a `Retry-After` header, relative to `nowMillis`: delay-seconds, or an HTTP-date in any of the three
 * forms of RFC 9110 §5.6.7 (§10.2.3). Anything else is ignored rather than guessed at.
 *
 * @since 0.1.0
 * @category parsers
 */
export const parseRetryAfter = (header: string | undefined, nowMillis: number): Option.Option<Duration.Duration> => {
  if (header === undefined) return Option.none()
  const value = header.trim()
  // more digits than any sane delay: an infinite one, which ends the retries
  if (/^\d+$/.test(value)) return Option.some(value.length > 9 ? Duration.infinity : Duration.seconds(Number(value)))
  return Option.map(parseHttpDate(value, nowMillis), (date) => Duration.millis(Math.max(0, date - nowMillis)))
}
