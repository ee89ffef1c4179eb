/**
 * A per-attempt time limit that costs next to nothing when the answer comes at once. `Effect.timeoutFail` forks
 * two fibers through the scheduler on every call; here the attempt runs in one fiber started on the caller's
 * stack, so an answer already at hand (an in-memory transport) needs no timer at all, and a pending one gets a
 * single timer fiber that sleeps on the caller's `Clock` (so `TestClock` drives it) and interrupts the attempt
 * when it fires.
 */
import { Cause, Duration, Effect, Exit, Fiber, Runtime } from "effect"

/** Runs `self`, failing with `onTimeout()` once `millis` pass without an outcome; the late attempt is interrupted. */
export const timeoutFail = <A, E, E2, R>(
  self: Effect.Effect<A, E, R>,
  millis: number,
  onTimeout: () => E2
): Effect.Effect<A, E | E2, R> =>
  Effect.flatMap(Effect.runtime<R>(), (runtime) => {
    // `runFork` starts the fiber at once: it runs until its first asynchronous step before returning
    const attempt = Runtime.runFork(runtime)(self)
    const done = attempt.unsafePoll()
    if (done !== null) return done
    return Effect.async<A, E | E2>((resume) => {
      let timedOut = false
      const timer = Runtime.runFork(runtime)(Effect.sleep(Duration.millis(millis)))
      timer.addObserver((slept) => {
        if (Exit.isFailure(slept)) return
        timedOut = true
        attempt.unsafeInterruptAsFork(timer.id())
      })
      attempt.addObserver((exit) => {
        timer.unsafeInterruptAsFork(attempt.id())
        // an outcome that raced the timer wins; only the interruption the timer caused becomes the timeout
        resume(
          timedOut && Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause) ? Effect.fail(onTimeout()) : exit
        )
      })
      // the caller was interrupted: stop both, and wait for the attempt to let go of its resources
      return Effect.suspend(() => {
        timer.unsafeInterruptAsFork(attempt.id())
        return Fiber.interrupt(attempt)
      })
    })
  })
