/**
 * The contract's properties, each registered as one `it.effect.prop` whose title names the rule it checks. Every
 * case gets a fresh store from the layer (and, for a store over one shared database, a namespace of its own), time
 * from `TestClock`; concurrent operations run as concurrent fibers, so a store over a real database meets real
 * races.
 */
import { expect, it } from "@effect/vitest"
import { TokenStore } from "@hm-oauth/core"
import {
  Array as Arr,
  Clock,
  DateTime,
  Effect,
  Either,
  FastCheck as fc,
  type Layer,
  Option,
  Redacted,
  TestClock
} from "effect"
import { grantData, grantTokens, instant, namespace, newGrant, tokensView, view } from "./records.js"

/** How each property runs. */
export interface Settings {
  readonly runs: number
  readonly timeout: number
}

const reasons = fc.constantFrom<TokenStore.DeadReason>("InvalidGrant", "ConsentRevoked", "RevokedByUs", "RotationLost")

const backoff: fc.Arbitrary<TokenStore.Backoff> = fc.record({
  failures: fc.integer({ min: 1, max: 20 }),
  nextAttemptAt: instant,
  inDoubt: fc.boolean(),
  lastFailure: fc
    .option(fc.constantFrom("ServerUnavailable: refresh failed: server error 503", "RateLimited: 429"), {
      nil: undefined
    })
    .map(Option.fromNullable)
})

type Write = "commit" | "release" | "markDead"
const writes = fc.constantFrom<Write>("commit", "release", "markDead")

const nowMillis = Clock.currentTimeMillis

const leaseFor = (owner: string, millis: number) =>
  Effect.map(nowMillis, (now) => ({ owner, until: DateTime.unsafeMake(now + millis) }))

const storeOf = TokenStore.TokenStore

const current = (grantId: string) =>
  Effect.flatMap(storeOf, (store) => Effect.map(store.get(grantId), (record) => Option.getOrThrow(record)))

/** Claims `grantId` as `owner` for an hour and expects to win. */
const claimed = (grantId: string, owner = "node-a", millis = 3_600_000) =>
  Effect.gen(function* () {
    const store = yield* storeOf
    const outcome = yield* store.claim(grantId, yield* leaseFor(owner, millis))
    if (outcome._tag !== "Claimed") return expect.fail(`expected to claim ${grantId}, got ${outcome._tag}`)
    return outcome.record
  })

const write = (kind: Write, grantId: string, version: number, tokens: TokenStore.GrantTokens) =>
  Effect.flatMap(storeOf, (store) =>
    kind === "commit"
      ? store.commit(grantId, version, tokens)
      : kind === "release"
        ? store.release(grantId, version)
        : store.markDead(grantId, version, "InvalidGrant")
  )

/** Expects `record` (as a write returned it) and the stored record to be `expected`. */
const expectStored = (record: TokenStore.GrantRecord, expected: ReturnType<typeof view>) =>
  Effect.gen(function* () {
    expect(view(record)).toEqual(expected)
    expect(view(yield* current(record.grantId))).toEqual(expected)
  })

const written = (outcome: TokenStore.WriteOutcome): TokenStore.GrantRecord =>
  outcome._tag === "Written" ? outcome.record : expect.fail(`expected the write to land, got ${outcome._tag}`)

/** The record a refused write reports, which must be the record as it was. */
const moved = (outcome: TokenStore.WriteOutcome): Option.Option<TokenStore.GrantRecord> =>
  outcome._tag === "Moved" ? outcome.current : expect.fail("expected the write to be refused, it landed")

/** Every page of a scan of the namespace, until the last one or the first grant outside it. */
const scanNamespace = (prefix: string, query: Omit<TokenStore.ScanQuery, "after">) =>
  Effect.gen(function* () {
    const store = yield* storeOf
    const pages: Array<ReadonlyArray<TokenStore.GrantRecord>> = []
    let after = prefix
    for (;;) {
      const page = yield* store.scan({ ...query, after })
      const inside = page.records.filter((record) => record.grantId.startsWith(prefix))
      pages.push(inside)
      if (Option.isNone(page.next) || inside.length < page.records.length) return pages
      after = page.next.value
    }
  })

/** Registers every property of the contract against `layer`. */
export const register = <E>(layer: Layer.Layer<TokenStore.TokenStore, E>, settings: Settings): void => {
  const options = { timeout: settings.timeout, fastCheck: { numRuns: settings.runs } }
  const prop = <const Arbs extends ReadonlyArray<fc.Arbitrary<unknown>>>(
    title: string,
    arbitraries: Arbs,
    check: (
      values: { [K in keyof Arbs]: Arbs[K] extends fc.Arbitrary<infer T> ? T : never }
    ) => Effect.Effect<unknown, unknown, TokenStore.TokenStore>
  ) =>
    it.effect.prop(
      title,
      arbitraries as unknown as Array<fc.Arbitrary<unknown>>,
      (values) => Effect.provide(check(values as never), layer),
      options
    )

  prop(
    "insert stores a new grant at version 1 as given, with no lease, failures, backoff or doubt",
    [grantData(), fc.integer({ min: 0, max: 4_000_000_000_000 })],
    ([data, at]) =>
      Effect.gen(function* () {
        yield* TestClock.setTime(at)
        const store = yield* storeOf
        const grantId = `${namespace()}grant`
        const expected = {
          grantId,
          clientId: data.clientId,
          authorizationId: Option.getOrUndefined(data.authorizationId),
          ...tokensView(data.tokens),
          deadReason: undefined,
          version: 1,
          lease: undefined,
          failures: 0,
          nextAttemptAt: undefined,
          lastFailure: undefined,
          refreshInDoubt: false,
          updatedAt: at
        }
        yield* expectStored(yield* store.insert(newGrant(grantId, data)), expected)
        expect(Option.isNone(yield* store.get(`${grantId}-other`))).toBe(true)
      })
  )

  prop(
    "insert never overwrites a different live grant; the same grant, or any over a dead one, goes in at the next version",
    [grantData(), grantData(), fc.boolean(), fc.boolean()],
    ([first, second, sameGrant, firstDead]) =>
      Effect.gen(function* () {
        const store = yield* storeOf
        const grantId = `${namespace()}grant`
        const other = first.clientId === "client-a" ? "client-b" : "client-a"
        const next = sameGrant
          ? { ...second, clientId: first.clientId, authorizationId: first.authorizationId }
          : { ...second, clientId: other }
        const inserted = yield* store.insert(newGrant(grantId, first))
        if (firstDead) written(yield* store.markDead(grantId, inserted.version, "ConsentRevoked"))
        const before = yield* current(grantId)
        const outcome = yield* Effect.either(store.insert(newGrant(grantId, next)))
        if (!firstDead && !sameGrant) {
          expect(Either.getLeft(outcome).pipe(Option.getOrThrow)).toMatchObject({ _tag: "GrantExists", grantId })
          expect(view(yield* current(grantId))).toEqual(view(before))
          return
        }
        const record = Either.getOrThrow(outcome)
        expect(view(record)).toMatchObject({
          clientId: next.clientId,
          ...tokensView(next.tokens),
          version: before.version + 1,
          deadReason: undefined,
          failures: 0,
          refreshInDoubt: false
        })
        expect(view(yield* current(grantId))).toEqual(view(record))
      })
  )

  prop(
    "N concurrent claimers: exactly one wins, every other sees its lease, and the version grows by one",
    [grantData(), fc.integer({ min: 2, max: 16 }), fc.integer({ min: 1, max: 86_400_000 })],
    ([data, claimers, millis]) =>
      Effect.gen(function* () {
        const store = yield* storeOf
        const grantId = `${namespace()}grant`
        yield* store.insert(newGrant(grantId, data))
        const outcomes = yield* Effect.all(
          Arr.makeBy(claimers, (n) =>
            Effect.flatMap(leaseFor(`node-${n}`, millis), (lease) => store.claim(grantId, lease))
          ),
          { concurrency: "unbounded" }
        )
        const winners = outcomes.flatMap((outcome) => (outcome._tag === "Claimed" ? [outcome] : []))
        expect(winners).toHaveLength(1)
        const winner = winners[0]!
        expect(winner.takenOver).toBe(false)
        expect(winner.record.version).toBe(2)
        const lease = view(winner.record).lease
        for (const outcome of outcomes) {
          if (outcome._tag === "Claimed") continue
          expect(outcome._tag).toBe("Held")
          if (outcome._tag === "Held") {
            expect({ owner: outcome.lease.owner, until: DateTime.toEpochMillis(outcome.lease.until) }).toEqual(lease)
          }
        }
        expect(view(yield* current(grantId))).toEqual(view(winner.record))
      })
  )

  prop(
    "a lease holds until its end and is taken over (in doubt) from then on; one given up is no take-over",
    [
      grantData(),
      fc.integer({ min: 1, max: 86_400_000 }),
      // around the lease's end, where an off-by-one hides, or anywhere
      fc.oneof(fc.constantFrom(-1, 0, 1), fc.integer({ min: -86_400_000, max: 86_400_000 })),
      fc.boolean()
    ],
    ([data, millis, offset, givenUp]) =>
      Effect.gen(function* () {
        const wait = Math.max(0, millis + offset)
        const store = yield* storeOf
        const grantId = `${namespace()}grant`
        yield* store.insert(newGrant(grantId, data))
        const first = yield* claimed(grantId, "node-a", millis)
        if (givenUp) written(yield* store.release(grantId, first.version))
        yield* TestClock.adjust(wait)
        const before = yield* current(grantId)
        const outcome = yield* store.claim(grantId, yield* leaseFor("node-b", 1_000))
        if (!givenUp && wait < millis) {
          expect(outcome._tag).toBe("Held")
          expect(view(yield* current(grantId))).toEqual(view(before))
          return
        }
        if (outcome._tag !== "Claimed") return expect.fail(`expected a claim, got ${outcome._tag}`)
        expect(outcome.takenOver).toBe(!givenUp)
        expect(view(outcome.record)).toMatchObject({
          version: before.version + 1,
          lease: { owner: "node-b", until: (yield* nowMillis) + 1_000 },
          refreshInDoubt: !givenUp,
          updatedAt: yield* nowMillis
        })
      })
  )

  prop(
    "a write naming another version than the current one is refused and changes nothing; the current one writes once",
    [grantData(), grantTokens(), writes, fc.integer({ min: -3, max: 3 })],
    ([data, tokens, kind, offset]) =>
      Effect.gen(function* () {
        const grantId = `${namespace()}grant`
        yield* (yield* storeOf).insert(newGrant(grantId, data))
        const { version } = yield* claimed(grantId)
        const before = yield* current(grantId)
        const outcome = yield* write(kind, grantId, version + offset, tokens)
        if (offset !== 0) {
          expect(view(Option.getOrThrow(moved(outcome)))).toEqual(view(before))
          expect(view(yield* current(grantId))).toEqual(view(before))
          return
        }
        expect(written(outcome).version).toBe(version + 1)
        expect(view(Option.getOrThrow(moved(yield* write(kind, grantId, version, tokens))))).toEqual(
          view(written(outcome))
        )
      })
  )

  prop(
    "concurrent writes naming one version: exactly one lands",
    [grantData(), grantTokens(), fc.array(writes, { minLength: 2, maxLength: 12 })],
    ([data, tokens, kinds]) =>
      Effect.gen(function* () {
        const grantId = `${namespace()}grant`
        yield* (yield* storeOf).insert(newGrant(grantId, data))
        const { version } = yield* claimed(grantId)
        const outcomes = yield* Effect.all(
          kinds.map((kind) => write(kind, grantId, version, tokens)),
          { concurrency: "unbounded" }
        )
        const landed = outcomes.flatMap((outcome) => (outcome._tag === "Written" ? [outcome.record] : []))
        expect(landed).toHaveLength(1)
        expect(view(yield* current(grantId))).toEqual(view(landed[0]!))
      })
  )

  prop(
    "commit writes the tokens, keeps the stored refresh token when given none, and clears lease, failures, backoff and doubt",
    [grantData(), grantTokens(), fc.option(backoff, { nil: undefined })],
    ([data, tokens, failed]) =>
      Effect.gen(function* () {
        const store = yield* storeOf
        const grantId = `${namespace()}grant`
        yield* store.insert(newGrant(grantId, data))
        if (failed !== undefined) written(yield* store.release(grantId, (yield* claimed(grantId)).version, failed))
        const before = yield* claimed(grantId)
        const record = written(yield* store.commit(grantId, before.version, tokens))
        const expected = {
          ...view(before),
          ...tokensView(tokens),
          refreshToken: Option.getOrUndefined(
            Option.map(
              Option.orElse(tokens.refreshToken, () => before.refreshToken),
              Redacted.value
            )
          ),
          version: before.version + 1,
          lease: undefined,
          failures: 0,
          nextAttemptAt: undefined,
          lastFailure: undefined,
          refreshInDoubt: false,
          updatedAt: yield* nowMillis
        }
        yield* expectStored(record, expected)
      })
  )

  prop(
    "release gives the lease up, records a backoff as given and never clears doubt; without one nothing else changes",
    [grantData(), fc.option(backoff, { nil: undefined }), fc.boolean()],
    ([data, given, doubtBefore]) =>
      Effect.gen(function* () {
        const store = yield* storeOf
        const grantId = `${namespace()}grant`
        yield* store.insert(newGrant(grantId, data))
        if (doubtBefore) {
          // a take-over leaves the grant in doubt
          yield* claimed(grantId, "node-a", 1_000)
          yield* TestClock.adjust(1_000)
        }
        const before = yield* claimed(grantId, "node-b")
        expect(before.refreshInDoubt).toBe(doubtBefore)
        const record = written(yield* store.release(grantId, before.version, given))
        const expected = {
          ...view(before),
          ...(given === undefined
            ? {}
            : {
                failures: given.failures,
                nextAttemptAt: DateTime.toEpochMillis(given.nextAttemptAt),
                lastFailure: Option.getOrUndefined(given.lastFailure),
                refreshInDoubt: doubtBefore || given.inDoubt
              }),
          version: before.version + 1,
          lease: undefined,
          updatedAt: yield* nowMillis
        }
        yield* expectStored(record, expected)
      })
  )

  prop(
    "a dead grant keeps its reason: never claimed, never written again by commit, release or markDead",
    [grantData(), grantTokens(), reasons, writes],
    ([data, tokens, reason, kind]) =>
      Effect.gen(function* () {
        const store = yield* storeOf
        const grantId = `${namespace()}grant`
        yield* store.insert(newGrant(grantId, data))
        const { version } = yield* claimed(grantId)
        const dead = written(yield* store.markDead(grantId, version, reason))
        expect(view(dead)).toMatchObject({
          status: "dead",
          deadReason: reason,
          version: version + 1,
          lease: undefined
        })
        const claim = yield* store.claim(grantId, yield* leaseFor("node-b", 1_000))
        expect(claim._tag).toBe("Dead")
        expect(view(Option.getOrThrow(moved(yield* write(kind, grantId, dead.version, tokens))))).toEqual(view(dead))
        expect(view(yield* current(grantId))).toEqual(view(dead))
      })
  )

  prop(
    "remove forgets the grant: get finds nothing, claim answers NotFound, writes are refused; a second remove is false",
    [grantData(), grantTokens(), writes],
    ([data, tokens, kind]) =>
      Effect.gen(function* () {
        const store = yield* storeOf
        const grantId = `${namespace()}grant`
        const inserted = yield* store.insert(newGrant(grantId, data))
        expect(yield* store.remove(grantId)).toBe(true)
        expect(Option.isNone(yield* store.get(grantId))).toBe(true)
        expect((yield* store.claim(grantId, yield* leaseFor("node-a", 1_000)))._tag).toBe("NotFound")
        expect(Option.isNone(moved(yield* write(kind, grantId, inserted.version, tokens)))).toBe(true)
        expect(yield* store.remove(grantId)).toBe(false)
      })
  )

  const scanned = fc.record({
    id: fc.stringMatching(/^[A-Za-z0-9_-]{1,6}$/),
    status: fc.constantFrom("active" as const, "pending" as const, "dead" as const),
    expiresAt: fc.integer({ min: 0, max: 100 })
  })

  prop(
    "scan pages cover every matching grant exactly once, in grantId order, each page within its limit",
    [
      fc.uniqueArray(scanned, { selector: (grant) => grant.id, maxLength: 30 }),
      fc.constantFrom(undefined, "active" as const, "pending" as const, "dead" as const),
      fc.option(fc.integer({ min: 0, max: 101 }), { nil: undefined }),
      fc.integer({ min: 1, max: 7 }),
      grantData()
    ],
    ([grants, status, expiresBefore, limit, data]) =>
      Effect.gen(function* () {
        const store = yield* storeOf
        const prefix = namespace()
        for (const grant of grants) {
          const tokens = {
            ...data.tokens,
            expiresAt: DateTime.unsafeMake(grant.expiresAt),
            status: grant.status === "pending" ? ("pending" as const) : ("active" as const)
          }
          const inserted = yield* store.insert(newGrant(`${prefix}${grant.id}`, { ...data, tokens }))
          if (grant.status === "dead")
            written(yield* store.markDead(inserted.grantId, inserted.version, "InvalidGrant"))
        }
        const pages = yield* scanNamespace(prefix, {
          status,
          expiresBefore: expiresBefore === undefined ? undefined : DateTime.unsafeMake(expiresBefore),
          limit
        })
        const expected = grants
          .filter(
            (grant) =>
              (status === undefined || grant.status === status) &&
              (expiresBefore === undefined || grant.expiresAt < expiresBefore)
          )
          .map((grant) => `${prefix}${grant.id}`)
          .sort()
        for (const page of pages) expect(page.length).toBeLessThanOrEqual(limit)
        const records = pages.flat()
        expect(records.map((record) => record.grantId)).toEqual(expected)
        for (const record of records) expect(view(record)).toEqual(view(yield* current(record.grantId)))
      })
  )

  const contender = fc.record({
    kind: fc.constantFrom("claim" as const, "commit" as const, "release" as const, "markDead" as const),
    rounds: fc.integer({ min: 1, max: 3 })
  })

  prop(
    "concurrent writers on one grant form one chain of versions: each version is written once, by the write that named the one before",
    [grantData("active"), grantTokens("active"), fc.array(contender, { minLength: 2, maxLength: 10 })],
    ([data, tokens, contenders]) =>
      Effect.gen(function* () {
        const store = yield* storeOf
        const grantId = `${namespace()}grant`
        const inserted = yield* store.insert(newGrant(grantId, data))
        // each contender reads, then writes with what it read, a few times over
        const produced = yield* Effect.all(
          contenders.map(({ kind, rounds }, n) =>
            Effect.forEach(Arr.range(1, rounds), () =>
              Effect.gen(function* () {
                const seen = yield* current(grantId)
                if (kind === "claim") {
                  const outcome = yield* store.claim(grantId, yield* leaseFor(`node-${n}`, 1_000))
                  return outcome._tag === "Claimed" ? [{ kind, from: seen.version, to: outcome.record.version }] : []
                }
                const outcome = yield* write(kind, grantId, seen.version, tokens)
                return outcome._tag === "Written" ? [{ kind, from: seen.version, to: outcome.record.version }] : []
              })
            ).pipe(Effect.map((steps) => steps.flat()))
          ),
          { concurrency: "unbounded" }
        )
        const steps = produced.flat().sort((a, b) => a.to - b.to)
        const last = yield* current(grantId)
        const chain = Array.from({ length: last.version - inserted.version }, (_, n) => inserted.version + 1 + n)
        expect(steps.map((step) => step.to)).toEqual(chain)
        for (const step of steps) {
          // a claim is a compare-and-set on the lease, not on the version it read: it may follow other writes
          if (step.kind === "claim") expect(step.to).toBeGreaterThan(step.from)
          else expect(step.to).toBe(step.from + 1)
        }
      })
  )
}
