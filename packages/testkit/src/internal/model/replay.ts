import { HashMap } from "effect"
import type { SeenAssertions } from "../../Model.js"
import { dropOldest, oldest, push } from "./log.js"

/**
 * Replay detection for client assertions (RFC 7523 §3: a `jti` is used once). An accepted assertion's id is
 * remembered until the assertion would be refused as stale anyway (`forgetAt`): past that, its jti can be forgotten,
 * so the memory is bounded by the rate of assertions, not their total. Ids are scoped by key, the issuer that chose
 * them.
 */

/** The key an assertion id is remembered under: its signing key's id and the jti. */
export const seenKey = (keyId: string, jti: string): string => JSON.stringify([keyId, jti])

/** Whether an assertion id was accepted before (and is not yet forgotten). */
export const wasSeen = (seen: SeenAssertions, key: string): boolean => HashMap.has(seen.byKey, key)

/**
 * Remembers an accepted assertion id until `forgetAt`, and forgets those whose time has come. Entries are in
 * acceptance order, only roughly by age, so some stay a little longer than they must.
 */
export const remember = (seen: SeenAssertions, now: number, key: string, forgetAt: number): SeenAssertions => {
  let byKey = HashMap.set(seen.byKey, key, forgetAt)
  let order = push(seen.order, { key, forgetAt })
  for (let first = oldest(order); first !== undefined && first.forgetAt < now; first = oldest(order)) {
    byKey = HashMap.remove(byKey, first.key)
    order = dropOldest(order)
  }
  return { byKey, order }
}
