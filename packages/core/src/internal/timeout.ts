/**
 * Per-attempt time limits at a fraction of `Effect.timeoutFail`'s cost, which forks two fibers through the
 * scheduler on every call. Here an attempt runs in one fiber started on the caller's stack, so an answer already at
 * hand (an in-memory transport) needs no timer at all; a pending one is entered in a list of deadlines that one
 * timer watches for the whole client. That timer is a fiber sleeping on the `Clock` of the runtime the client was
 * built in (so `TestClock` drives it), set for the earliest deadline only: under steady traffic it wakes once a
 * timeout period, not once a request. When it fires, the attempts past their deadline are interrupted and fail with
 * their timeout error.
 */
import { Cause, type Clock, Duration, Effect, Exit, Fiber, FiberId, Runtime, type Scope } from "effect"

/**
 * Runs `self`, failing with `onTimeout()` once `millis` pass without an outcome; the late attempt is interrupted,
 * and the caller resumes once it has let go of its resources.
 */
export type TimeoutFail = <A, E, E2, R>(
  self: Effect.Effect<A, E, R>,
  millis: number,
  onTimeout: () => E2
) => Effect.Effect<A, E | E2, R>

interface Deadline {
  readonly at: number
  /** The attempt ended (or its caller left): nothing to do when the deadline comes. */
  settled: boolean
  readonly expire: () => void
}

/** The deadlines of pending attempts, earliest first, and the one timer set for the earliest. */
const deadlines = (clock: Clock.Clock, runtime: Runtime.Runtime<never>) => {
  // earliest first; settled entries are dropped when they reach the front (`start` marks the front)
  const entries: Array<Deadline> = []
  let start = 0
  let timer: { readonly at: number; readonly fiber: Fiber.RuntimeFiber<void> } | undefined

  const arm = (at: number) => {
    const fiber = Runtime.runFork(runtime)(
      Effect.sleep(Duration.millis(Math.max(0, at - clock.unsafeCurrentTimeMillis())))
    )
    timer = { at, fiber }
    fiber.addObserver((slept) => {
      if (Exit.isSuccess(slept) && timer?.fiber === fiber) fire()
    })
  }

  const fire = () => {
    timer = undefined
    const now = clock.unsafeCurrentTimeMillis()
    while (start < entries.length && (entries[start]!.settled || entries[start]!.at <= now)) {
      const entry = entries[start++]!
      if (!entry.settled) entry.expire()
    }
    // keep the array from growing with the entries already passed
    if (start > 1024 && start * 2 > entries.length) {
      entries.splice(0, start)
      start = 0
    }
    if (start < entries.length) arm(entries[start]!.at)
  }

  return {
    add: (entry: Deadline) => {
      // deadlines come mostly in order: look for the place from the end
      let index = entries.length
      while (index > start && entries[index - 1]!.at > entry.at) index--
      if (index === entries.length) entries.push(entry)
      else entries.splice(index, 0, entry)
      if (timer === undefined || entry.at < timer.at) {
        timer?.fiber.unsafeInterruptAsFork(FiberId.none)
        arm(entry.at)
      }
    },
    close: Effect.suspend(() => (timer === undefined ? Effect.void : Fiber.interrupt(timer.fiber)))
  }
}

/** A `TimeoutFail` for one client, its timer living as long as the scope. */
export const make: Effect.Effect<TimeoutFail, never, Scope.Scope> = Effect.gen(function* () {
  const clock = yield* Effect.clock
  const pending = deadlines(clock, yield* Effect.runtime<never>())
  yield* Effect.addFinalizer(() => pending.close)
  return <A, E, E2, R>(self: Effect.Effect<A, E, R>, millis: number, onTimeout: () => E2) =>
    Effect.flatMap(Effect.runtime<R>(), (caller) => {
      // `runFork` starts the fiber at once: it runs until its first asynchronous step before returning
      const attempt = Runtime.runFork(caller)(self)
      const done = attempt.unsafePoll()
      if (done !== null) return done
      return Effect.async<A, E | E2>((resume) => {
        let timedOut = false
        const deadline: Deadline = {
          at: clock.unsafeCurrentTimeMillis() + millis,
          settled: false,
          expire: () => {
            timedOut = true
            attempt.unsafeInterruptAsFork(FiberId.none)
          }
        }
        pending.add(deadline)
        attempt.addObserver((exit) => {
          deadline.settled = true
          // an outcome that raced the deadline wins; only the interruption it caused becomes the timeout
          resume(
            timedOut && Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause) ? Effect.fail(onTimeout()) : exit
          )
        })
        // the caller was interrupted: stop the attempt, and wait for it to let go of its resources
        return Effect.suspend(() => {
          deadline.settled = true
          return Fiber.interrupt(attempt)
        })
      })
    })
})
