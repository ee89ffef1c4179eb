/**
 * The per-attempt time limit: each attempt fails at its own deadline and not before, an answer that comes in time
 * wins, an answer at hand costs no timer, and steady traffic keeps one timer for all its attempts.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, TestClock } from "effect"
import * as Timeout from "../src/internal/timeout.js"

const pendingFor = <A>(effect: Effect.Effect<A>) =>
  Effect.zipRight(
    Effect.promise(() => Promise.resolve()),
    effect
  )

describe("timeout", () => {
  it.scoped("attempts time out at their own deadlines, a shorter one added later included", () =>
    Effect.gen(function* () {
      const timeoutFail = yield* Timeout.make
      const first = yield* Effect.fork(timeoutFail(Effect.never, 10_000, () => "first"))
      yield* TestClock.adjust("1 second")
      const second = yield* Effect.fork(timeoutFail(Effect.never, 10_000, () => "second"))
      yield* TestClock.adjust("1 second")
      const shorter = yield* Effect.fork(timeoutFail(Effect.never, 3_000, () => "shorter"))
      yield* TestClock.adjust("2999 millis")
      expect(shorter.unsafePoll()).toBe(null)
      yield* TestClock.adjust("1 millis")
      expect(yield* Fiber.await(shorter)).toEqual(Exit.fail("shorter"))
      yield* TestClock.adjust("4999 millis")
      expect(first.unsafePoll()).toBe(null)
      yield* TestClock.adjust("1 millis")
      expect(yield* Fiber.await(first)).toEqual(Exit.fail("first"))
      expect(second.unsafePoll()).toBe(null)
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.await(second)).toEqual(Exit.fail("second"))
    })
  )

  it.scoped("an answer in time wins, and an answer at hand sets no timer at all", () =>
    Effect.gen(function* () {
      const timeoutFail = yield* Timeout.make
      expect(yield* timeoutFail(Effect.succeed(1), 10, () => "late")).toBe(1)
      expect(yield* TestClock.sleeps()).toHaveLength(0)
      const answered = yield* Effect.fork(timeoutFail(Effect.as(Effect.sleep("5 seconds"), 2), 10_000, () => "late"))
      yield* TestClock.adjust("5 seconds")
      expect(yield* Fiber.join(answered)).toBe(2)
    })
  )

  it.scoped("a hundred attempts one after the other share one timer", () =>
    Effect.gen(function* () {
      const timeoutFail = yield* Timeout.make
      for (let attempt = 0; attempt < 100; attempt++) {
        expect(yield* timeoutFail(pendingFor(Effect.succeed(attempt)), 10_000, () => "late")).toBe(attempt)
      }
      // every sleep ever started on the test clock stays listed until its time: one timer was set, for the first
      expect(yield* TestClock.sleeps()).toHaveLength(1)
    })
  )
})
