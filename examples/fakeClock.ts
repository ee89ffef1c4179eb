/**
 * A `Clock` that agrees with the fake server's. The fake's time is this machine's clock plus every advance made
 * through its control API (`POST /testkit/clock` answers the new `now`); this clock adds the same advance, so the
 * fleet node and the fake see a token expire at the same moment. The manager, the store's leases and the token
 * endpoint's expiry all read Effect's `Clock`, so one `Effect.withClock` moves them together.
 */
import { Clock, Effect } from "effect"

/** A clock running at the machine's pace, set to another's time by `follow`. */
export interface FakeClock extends Clock.Clock {
  /** From now on, read `now` (epoch milliseconds) where the machine's clock reads the present. */
  readonly follow: (now: number) => void
}

/** A clock on the machine's time until it is told to `follow` the fake's. */
export const make = (): FakeClock => {
  const machine = Clock.make()
  let offset = 0
  const millis = () => machine.unsafeCurrentTimeMillis() + offset
  const nanos = () => machine.unsafeCurrentTimeNanos() + BigInt(offset) * 1_000_000n
  return {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: millis,
    currentTimeMillis: Effect.sync(millis),
    unsafeCurrentTimeNanos: nanos,
    currentTimeNanos: Effect.sync(nanos),
    // a wait is the machine's: advancing the fake's time does not end one early
    sleep: (duration) => machine.sleep(duration),
    follow: (now) => {
      offset = now - machine.unsafeCurrentTimeMillis()
    }
  }
}
