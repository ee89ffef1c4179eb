/**
 * The token store in process memory: one `Map` of immutable records. Every operation reads the clock and does its
 * work in one synchronous step, so each is atomic without a lock; a record is replaced, never mutated, so a record
 * handed out never changes under its holder.
 */
import { type Clock, DateTime, Effect, Equal, Option } from "effect"
import {
  type Backoff,
  ClaimOutcome,
  type DeadReason,
  GrantExists,
  type GrantRecord,
  type GrantTokens,
  type NewGrant,
  type ScanPage,
  type ScanQuery,
  type Service,
  WriteOutcome
} from "../TokenStore.js"

const nowOf = (clock: Clock.Clock): DateTime.Utc => DateTime.unsafeMake(clock.unsafeCurrentTimeMillis())

/** Runs `f` at the clock's time, in one synchronous step. */
const atNow = <A>(f: (now: DateTime.Utc) => A): Effect.Effect<A> =>
  Effect.clockWith((clock) => Effect.succeed(f(nowOf(clock))))

/** The same grant onboarded again: same client, same authorization id (two `none`s alike). */
const sameGrant = (record: GrantRecord, grant: NewGrant): boolean =>
  record.clientId === grant.clientId && Equal.equals(record.authorizationId, grant.authorizationId)

/** The first index of `ids` (sorted) whose id sorts after `after`. */
const firstAfter = (ids: ReadonlyArray<string>, after: string | undefined): number => {
  if (after === undefined) return 0
  let low = 0
  let high = ids.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (ids[middle]! <= after) low = middle + 1
    else high = middle
  }
  return low
}

const matches = (record: GrantRecord, query: ScanQuery): boolean =>
  (query.status === undefined || record.status === query.status) &&
  (query.expiresBefore === undefined || record.expiresAt.epochMillis < query.expiresBefore.epochMillis)

/** A fresh, empty store. */
export const make = (): Service => {
  const records = new Map<string, GrantRecord>()
  // Sorted ids for `scan`, rebuilt on the first scan after an insert or a removal: updates keep the id set.
  let sorted: Array<string> | undefined

  /** A compare-and-set write: `write` runs only on a live record still at `expectedVersion`. */
  const writeIfAt = (
    grantId: string,
    expectedVersion: number,
    write: (record: GrantRecord, now: DateTime.Utc) => GrantRecord
  ) =>
    atNow((now): WriteOutcome => {
      const record = records.get(grantId)
      if (record === undefined || record.version !== expectedVersion || record.status === "dead") {
        return WriteOutcome.Moved({ current: Option.fromNullable(record) })
      }
      const written = write(record, now)
      records.set(grantId, written)
      return WriteOutcome.Written({ record: written })
    })

  return {
    get: (grantId) => Effect.sync(() => Option.fromNullable(records.get(grantId))),

    insert: (grant) =>
      Effect.clockWith((clock): Effect.Effect<GrantRecord, GrantExists> => {
        const existing = records.get(grant.grantId)
        if (existing !== undefined && existing.status !== "dead" && !sameGrant(existing, grant)) {
          return Effect.fail(new GrantExists({ grantId: grant.grantId }))
        }
        const { tokens } = grant
        const record: GrantRecord = {
          grantId: grant.grantId,
          clientId: grant.clientId,
          authorizationId: grant.authorizationId,
          accessToken: tokens.accessToken,
          expiresAt: tokens.expiresAt,
          refreshToken: tokens.refreshToken,
          scopes: tokens.scopes,
          status: tokens.status,
          validFrom: tokens.validFrom,
          validUntil: tokens.validUntil,
          deadReason: Option.none(),
          version: existing === undefined ? 1 : existing.version + 1,
          lease: Option.none(),
          failures: 0,
          nextAttemptAt: Option.none(),
          lastFailure: Option.none(),
          refreshInDoubt: false,
          updatedAt: nowOf(clock)
        }
        if (existing === undefined) sorted = undefined
        records.set(grant.grantId, record)
        return Effect.succeed(record)
      }),

    claim: (grantId, lease) =>
      atNow((now): ClaimOutcome => {
        const record = records.get(grantId)
        if (record === undefined) return ClaimOutcome.NotFound()
        if (record.status === "dead") return ClaimOutcome.Dead({ record })
        // a lease is live until its end, exclusive: from `until` on, it is taken over
        if (Option.isSome(record.lease) && record.lease.value.until.epochMillis > now.epochMillis) {
          return ClaimOutcome.Held({ record, lease: record.lease.value })
        }
        // a lease that ran out without a commit may have left a refresh processed and its answer lost
        const takenOver = Option.isSome(record.lease)
        const claimed: GrantRecord = {
          ...record,
          version: record.version + 1,
          lease: Option.some({ owner: lease.owner, until: lease.until }),
          refreshInDoubt: record.refreshInDoubt || takenOver,
          updatedAt: now
        }
        records.set(grantId, claimed)
        return ClaimOutcome.Claimed({ record: claimed, takenOver })
      }),

    commit: (grantId, expectedVersion, tokens: GrantTokens) =>
      writeIfAt(grantId, expectedVersion, (record, now) => ({
        ...record,
        accessToken: tokens.accessToken,
        expiresAt: tokens.expiresAt,
        // an answer without a refresh token keeps the one stored: never replace it with nothing
        refreshToken: Option.isSome(tokens.refreshToken) ? tokens.refreshToken : record.refreshToken,
        scopes: tokens.scopes,
        status: tokens.status,
        validFrom: tokens.validFrom,
        validUntil: tokens.validUntil,
        version: record.version + 1,
        lease: Option.none(),
        failures: 0,
        nextAttemptAt: Option.none(),
        lastFailure: Option.none(),
        refreshInDoubt: false,
        updatedAt: now
      })),

    release: (grantId, expectedVersion, backoff?: Backoff) =>
      writeIfAt(grantId, expectedVersion, (record, now) =>
        backoff === undefined
          ? { ...record, version: record.version + 1, lease: Option.none(), updatedAt: now }
          : {
              ...record,
              version: record.version + 1,
              lease: Option.none(),
              failures: backoff.failures,
              nextAttemptAt: Option.some(backoff.nextAttemptAt),
              lastFailure: backoff.lastFailure,
              refreshInDoubt: record.refreshInDoubt || backoff.inDoubt,
              updatedAt: now
            }
      ),

    markDead: (grantId, expectedVersion, reason: DeadReason) =>
      writeIfAt(grantId, expectedVersion, (record, now) => ({
        ...record,
        status: "dead",
        deadReason: Option.some(reason),
        version: record.version + 1,
        lease: Option.none(),
        updatedAt: now
      })),

    remove: (grantId) =>
      Effect.sync(() => {
        const removed = records.delete(grantId)
        if (removed) sorted = undefined
        return removed
      }),

    scan: (query) =>
      Effect.sync((): ScanPage => {
        sorted ??= [...records.keys()].sort()
        const limit = Math.max(1, Math.floor(query.limit))
        const page: Array<GrantRecord> = []
        for (let index = firstAfter(sorted, query.after); index < sorted.length; index++) {
          const record = records.get(sorted[index]!)!
          if (!matches(record, query)) continue
          // one match past a full page proves there is a next page; none, and this is the last
          if (page.length === limit) return { records: page, next: Option.some(page[limit - 1]!.grantId) }
          page.push(record)
        }
        return { records: page, next: Option.none() }
      })
  }
}
