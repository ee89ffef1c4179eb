/**
 * Single flight per key: the first caller forks the work into a fiber the manager's scope owns, and every caller
 * while it runs joins that fiber. A caller's interruption stops its own wait, never the work others wait on (the
 * reason a shared refresh never runs inside an Effect 3 `Cache` lookup, in the first caller's fiber). The fiber
 * leaves the map the moment it ends: nothing per key outlives its use.
 */
import { Effect, type Either, Fiber, FiberMap, Option, type Scope } from "effect"

export interface Flights<A, E> {
  /**
   * The flight for `key` now running, or a new one of `work()`: never two at once for one key. `work` is built only
   * when a flight starts, not for each of the callers that join one.
   */
  readonly start: (key: string, work: () => Effect.Effect<A, E>) => Fiber.RuntimeFiber<Either.Either<A, E>>
  /** Waits for the flight for `key` (starting `work()` if none runs) and answers with its outcome. */
  readonly join: (key: string, work: () => Effect.Effect<A, E>) => Effect.Effect<A, E>
  /** Whether a flight for `key` runs now. */
  readonly running: (key: string) => boolean
  readonly size: Effect.Effect<number>
}

export const make = <A, E>(): Effect.Effect<Flights<A, E>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const map = yield* FiberMap.make<string, Either.Either<A, E>, never>()
    const run = yield* FiberMap.runtime(map)()
    // The flight succeeds with its outcome: a failure nobody waits for (a refresh ahead of expiry) is no crash.
    const start = (key: string, work: () => Effect.Effect<A, E>) =>
      Option.getOrElse(FiberMap.unsafeGet(map, key), () => run(key, Effect.either(work())))
    return {
      start,
      // `await`, not `join`: a caller takes the flight's outcome, never its fiber refs (log annotations, spans…),
      // and ten thousand callers then cost no merging of fiber refs
      join: (key, work) => Effect.suspend(() => Effect.flatten(Effect.flatten(Fiber.await(start(key, work))))),
      running: (key) => FiberMap.unsafeHas(map, key),
      size: FiberMap.size(map)
    }
  })
