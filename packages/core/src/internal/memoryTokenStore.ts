/**
 * The token store in process memory: one `Map` of immutable entries. Every operation reads the clock and does its
 * work in one synchronous step, so each is atomic without a lock; an entry is replaced, never mutated.
 *
 * An entry is kept compact — instants as epoch milliseconds, absent values as `undefined`, scope lists shared
 * between grants that have the same — and turned into a `GrantRecord` when read: a fleet of a hundred thousand
 * grants then takes half the memory that records would (see `bench/token-memory.ts`). Tokens stay `Redacted`.
 */
import { type Clock, DateTime, Effect, Option, type Redacted } from "effect"
import {
  type Backoff,
  ClaimOutcome,
  type DeadReason,
  GrantExists,
  type GrantRecord,
  type GrantStatus,
  type GrantTokens,
  type ScanPage,
  type ScanQuery,
  type Service,
  WriteOutcome
} from "../TokenStore.js"

interface Entry {
  readonly clientId: string
  readonly authorizationId: string | undefined
  readonly accessToken: Redacted.Redacted<string>
  readonly expiresAt: number
  readonly refreshToken: Redacted.Redacted<string> | undefined
  readonly scopes: ReadonlyArray<string>
  readonly status: GrantStatus
  readonly validFrom: number | undefined
  readonly validUntil: number | undefined
  readonly deadReason: DeadReason | undefined
  readonly version: number
  readonly leaseOwner: string | undefined
  readonly leaseUntil: number
  readonly failures: number
  readonly nextAttemptAt: number | undefined
  readonly lastFailure: string | undefined
  readonly refreshInDoubt: boolean
  readonly updatedAt: number
}

const millis = (instant: Option.Option<DateTime.Utc>): number | undefined =>
  Option.isSome(instant) ? instant.value.epochMillis : undefined

const instant = (millis: number | undefined): Option.Option<DateTime.Utc> =>
  millis === undefined ? Option.none() : Option.some(DateTime.unsafeMake(millis))

const toRecord = (grantId: string, entry: Entry): GrantRecord => ({
  grantId,
  clientId: entry.clientId,
  authorizationId: Option.fromNullable(entry.authorizationId),
  accessToken: entry.accessToken,
  expiresAt: DateTime.unsafeMake(entry.expiresAt),
  refreshToken: Option.fromNullable(entry.refreshToken),
  scopes: entry.scopes,
  status: entry.status,
  validFrom: instant(entry.validFrom),
  validUntil: instant(entry.validUntil),
  deadReason: Option.fromNullable(entry.deadReason),
  version: entry.version,
  lease:
    entry.leaseOwner === undefined
      ? Option.none()
      : Option.some({ owner: entry.leaseOwner, until: DateTime.unsafeMake(entry.leaseUntil) }),
  failures: entry.failures,
  nextAttemptAt: instant(entry.nextAttemptAt),
  lastFailure: Option.fromNullable(entry.lastFailure),
  refreshInDoubt: entry.refreshInDoubt,
  updatedAt: DateTime.unsafeMake(entry.updatedAt)
})

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

const matches = (entry: Entry, query: ScanQuery): boolean =>
  (query.status === undefined || entry.status === query.status) &&
  (query.expiresBefore === undefined || entry.expiresAt < query.expiresBefore.epochMillis)

// A fleet's grants mostly share one scope list: one copy each, up to this many distinct lists (then no sharing).
const maxSharedScopeLists = 1024

/** A fresh, empty store. */
export const make = (): Service => {
  const entries = new Map<string, Entry>()
  const scopeLists = new Map<string, ReadonlyArray<string>>()
  // Sorted ids for `scan`, rebuilt on the first scan after an insert or a removal: updates keep the id set.
  let sorted: Array<string> | undefined

  const shared = (scopes: ReadonlyArray<string>): ReadonlyArray<string> => {
    const key = scopes.join(" ")
    const known = scopeLists.get(key)
    if (known !== undefined) return known
    if (scopeLists.size >= maxSharedScopeLists) return scopes
    const copy = Object.freeze([...scopes])
    scopeLists.set(key, copy)
    return copy
  }

  const tokenFields = (tokens: GrantTokens) => ({
    accessToken: tokens.accessToken,
    expiresAt: tokens.expiresAt.epochMillis,
    scopes: shared(tokens.scopes),
    status: tokens.status,
    validFrom: millis(tokens.validFrom),
    validUntil: millis(tokens.validUntil)
  })

  /** Runs `f` at the clock's time, in one synchronous step. */
  const atNow = <A>(f: (now: number) => A): Effect.Effect<A> =>
    Effect.clockWith((clock: Clock.Clock) => Effect.succeed(f(clock.unsafeCurrentTimeMillis())))

  /** A compare-and-set write: `write` runs only on a live entry still at `expectedVersion`. */
  const writeIfAt = (grantId: string, expectedVersion: number, write: (entry: Entry, now: number) => Entry) =>
    atNow((now): WriteOutcome => {
      const entry = entries.get(grantId)
      if (entry === undefined || entry.version !== expectedVersion || entry.status === "dead") {
        return WriteOutcome.Moved({
          current: entry === undefined ? Option.none() : Option.some(toRecord(grantId, entry))
        })
      }
      const written = write(entry, now)
      entries.set(grantId, written)
      return WriteOutcome.Written({ record: toRecord(grantId, written) })
    })

  return {
    get: (grantId) =>
      Effect.sync(() => {
        const entry = entries.get(grantId)
        return entry === undefined ? Option.none() : Option.some(toRecord(grantId, entry))
      }),

    insert: (grant) =>
      Effect.clockWith((clock): Effect.Effect<GrantRecord, GrantExists> => {
        const existing = entries.get(grant.grantId)
        const authorizationId = Option.getOrUndefined(grant.authorizationId)
        // the same grant onboarded again: same client, same authorization id (two `none`s alike)
        const sameGrant = existing?.clientId === grant.clientId && existing.authorizationId === authorizationId
        if (existing !== undefined && existing.status !== "dead" && !sameGrant) {
          return Effect.fail(new GrantExists({ grantId: grant.grantId }))
        }
        const entry: Entry = {
          clientId: grant.clientId,
          authorizationId,
          ...tokenFields(grant.tokens),
          refreshToken: Option.getOrUndefined(grant.tokens.refreshToken),
          deadReason: undefined,
          version: existing === undefined ? 1 : existing.version + 1,
          leaseOwner: undefined,
          leaseUntil: 0,
          failures: 0,
          nextAttemptAt: undefined,
          lastFailure: undefined,
          refreshInDoubt: false,
          updatedAt: clock.unsafeCurrentTimeMillis()
        }
        if (existing === undefined) sorted = undefined
        entries.set(grant.grantId, entry)
        return Effect.succeed(toRecord(grant.grantId, entry))
      }),

    claim: (grantId, lease) =>
      atNow((now): ClaimOutcome => {
        const entry = entries.get(grantId)
        if (entry === undefined) return ClaimOutcome.NotFound()
        if (entry.status === "dead") return ClaimOutcome.Dead({ record: toRecord(grantId, entry) })
        // a lease is live until its end, exclusive: from `until` on, it is taken over
        if (entry.leaseOwner !== undefined && entry.leaseUntil > now) {
          const record = toRecord(grantId, entry)
          return ClaimOutcome.Held({ record, lease: Option.getOrThrow(record.lease) })
        }
        // a lease that ran out without a commit may have left a refresh processed and its answer lost
        const takenOver = entry.leaseOwner !== undefined
        const claimed: Entry = {
          ...entry,
          version: entry.version + 1,
          leaseOwner: lease.owner,
          leaseUntil: lease.until.epochMillis,
          refreshInDoubt: entry.refreshInDoubt || takenOver,
          updatedAt: now
        }
        entries.set(grantId, claimed)
        return ClaimOutcome.Claimed({ record: toRecord(grantId, claimed), takenOver })
      }),

    commit: (grantId, expectedVersion, tokens) =>
      writeIfAt(grantId, expectedVersion, (entry, now) => ({
        ...entry,
        ...tokenFields(tokens),
        // an answer without a refresh token keeps the one stored: never replace it with nothing
        refreshToken: Option.getOrElse(tokens.refreshToken, () => entry.refreshToken),
        version: entry.version + 1,
        leaseOwner: undefined,
        leaseUntil: 0,
        failures: 0,
        nextAttemptAt: undefined,
        lastFailure: undefined,
        refreshInDoubt: false,
        updatedAt: now
      })),

    release: (grantId, expectedVersion, backoff?: Backoff) =>
      writeIfAt(grantId, expectedVersion, (entry, now) => ({
        ...entry,
        ...(backoff === undefined
          ? {}
          : {
              failures: backoff.failures,
              nextAttemptAt: backoff.nextAttemptAt.epochMillis,
              lastFailure: Option.getOrUndefined(backoff.lastFailure),
              refreshInDoubt: entry.refreshInDoubt || backoff.inDoubt
            }),
        version: entry.version + 1,
        leaseOwner: undefined,
        leaseUntil: 0,
        updatedAt: now
      })),

    markDead: (grantId, expectedVersion, reason) =>
      writeIfAt(grantId, expectedVersion, (entry, now) => ({
        ...entry,
        status: "dead",
        deadReason: reason,
        version: entry.version + 1,
        leaseOwner: undefined,
        leaseUntil: 0,
        updatedAt: now
      })),

    remove: (grantId) =>
      Effect.sync(() => {
        const removed = entries.delete(grantId)
        if (removed) sorted = undefined
        return removed
      }),

    scan: (query) =>
      Effect.sync((): ScanPage => {
        sorted ??= [...entries.keys()].sort()
        const limit = Math.max(1, Math.floor(query.limit))
        const page: Array<GrantRecord> = []
        for (let index = firstAfter(sorted, query.after); index < sorted.length; index++) {
          const grantId = sorted[index]!
          const entry = entries.get(grantId)!
          if (!matches(entry, query)) continue
          // one match past a full page proves there is a next page; none, and this is the last
          if (page.length === limit) return { records: page, next: Option.some(page[limit - 1]!.grantId) }
          page.push(toRecord(grantId, entry))
        }
        return { records: page, next: Option.none() }
      })
  }
}
