/**
 * The SQL store's operations on both dialects: compare-and-set claims and writes, onboarding, paging, and how many
 * statements a refresh costs.
 */
import { describe, expect, it } from "@effect/vitest"
import { TokenStore } from "@hm-oauth/core"
import { ConfigProvider, DateTime, Effect, Either, Option, Redacted, TestClock } from "effect"
import { SqlTokenStore, StoreEncryption } from "../src/index.js"
import { dialects, postgres, storeLayer } from "./support/dialects.js"
import { encryption, lease, newGrant, tokens } from "./support/fixtures.js"
import { countStatements } from "./support/statements.mjs"

const store = TokenStore.TokenStore

for (const dialect of dialects) {
  describe(`SqlTokenStore over ${dialect.name}`, () => {
    const withStore = <A, E>(body: Effect.Effect<A, E, TokenStore.TokenStore>) =>
      Effect.flatMap(dialect.fresh, (location) => Effect.provide(body, storeLayer(dialect, location, { encryption })))

    it.effect("onboards, claims once, commits by version, and keeps the refresh token when none comes back", () =>
      withStore(
        Effect.gen(function* () {
          const tokenStore = yield* store
          const grant = newGrant("car-1")
          const inserted = yield* tokenStore.insert(grant)
          expect(inserted.version).toBe(1)
          expect(Redacted.value(inserted.accessToken)).toBe(Redacted.value(grant.tokens.accessToken))

          const claimed = yield* tokenStore.claim("car-1", lease("node-a", 30_000))
          if (claimed._tag !== "Claimed") return expect.fail(claimed._tag)
          expect(claimed.record.version).toBe(2)
          expect(claimed.takenOver).toBe(false)

          const held = yield* tokenStore.claim("car-1", lease("node-b", 30_000))
          expect(held._tag).toBe("Held")
          if (held._tag === "Held") expect(held.lease.owner).toBe("node-a")

          const fresh = { ...tokens(1_200_000), refreshToken: Option.none() }
          const written = yield* tokenStore.commit("car-1", 2, fresh)
          if (written._tag !== "Written") return expect.fail(written._tag)
          expect(written.record.version).toBe(3)
          expect(Option.isNone(written.record.lease)).toBe(true)
          expect(Redacted.value(written.record.accessToken)).toBe(Redacted.value(fresh.accessToken))
          expect(Option.map(written.record.refreshToken, Redacted.value)).toEqual(
            Option.map(grant.tokens.refreshToken, Redacted.value)
          )

          const stale = yield* tokenStore.commit("car-1", 2, tokens())
          expect(stale._tag).toBe("Moved")
          if (stale._tag === "Moved") expect(Option.map(stale.current, (r) => r.version)).toEqual(Option.some(3))
          const read = yield* tokenStore.get("car-1")
          expect(Option.map(read, (r) => Redacted.value(r.accessToken))).toEqual(
            Option.some(Redacted.value(fresh.accessToken))
          )
        })
      )
    )

    it.effect("takes over a lease that ran out and marks the record in doubt", () =>
      withStore(
        Effect.gen(function* () {
          const tokenStore = yield* store
          yield* tokenStore.insert(newGrant("car-1"))
          yield* tokenStore.claim("car-1", lease("node-a", 10_000))
          yield* TestClock.setTime(10_000)
          const taken = yield* tokenStore.claim("car-1", lease("node-b", 40_000))
          if (taken._tag !== "Claimed") return expect.fail(taken._tag)
          expect(taken.takenOver).toBe(true)
          expect(taken.record.refreshInDoubt).toBe(true)
          expect(Option.map(taken.record.lease, (l) => l.owner)).toEqual(Option.some("node-b"))
          // the first holder's version is gone: its late commit cannot land
          expect((yield* tokenStore.commit("car-1", 2, tokens()))._tag).toBe("Moved")
          const committed = yield* tokenStore.commit("car-1", taken.record.version, tokens())
          if (committed._tag !== "Written") return expect.fail(committed._tag)
          expect(committed.record.refreshInDoubt).toBe(false)
        })
      )
    )

    it.effect("releases with a backoff, marks dead, and never claims a dead grant", () =>
      withStore(
        Effect.gen(function* () {
          const tokenStore = yield* store
          yield* tokenStore.insert(newGrant("car-1"))
          yield* tokenStore.claim("car-1", lease("node-a", 10_000))
          const released = yield* tokenStore.release("car-1", 2, {
            failures: 1,
            nextAttemptAt: DateTime.unsafeMake(5_000),
            inDoubt: true,
            lastFailure: Option.some("ServerUnavailable: 503")
          })
          if (released._tag !== "Written") return expect.fail(released._tag)
          expect(released.record.failures).toBe(1)
          expect(released.record.lastFailure).toEqual(Option.some("ServerUnavailable: 503"))
          expect(released.record.refreshInDoubt).toBe(true)
          expect(released.record.nextAttemptAt).toEqual(Option.some(DateTime.unsafeMake(5_000)))
          const dead = yield* tokenStore.markDead("car-1", 3, "ConsentRevoked")
          if (dead._tag !== "Written") return expect.fail(dead._tag)
          expect(dead.record.deadReason).toEqual(Option.some("ConsentRevoked"))
          // a dead grant is written again by nothing but insert, whatever version a write names
          expect((yield* tokenStore.commit("car-1", dead.record.version, tokens()))._tag).toBe("Moved")
          expect((yield* tokenStore.release("car-1", dead.record.version))._tag).toBe("Moved")
          expect((yield* tokenStore.claim("car-1", lease("node-a", 10_000)))._tag).toBe("Dead")
          expect((yield* tokenStore.claim("car-2", lease("node-a", 10_000)))._tag).toBe("NotFound")
          // a new consent under the same id onboards over the dead grant, at the next version
          const again = yield* tokenStore.insert(newGrant("car-1", { authorizationId: Option.some("auth-new") }))
          expect(again.version).toBe(5)
          expect(again.status).toBe("active")
          expect(again.failures).toBe(0)
          expect(yield* tokenStore.remove("car-1")).toBe(true)
          expect(yield* tokenStore.remove("car-1")).toBe(false)
        })
      )
    )

    it.effect("refuses to overwrite a different live grant, re-onboards the same one", () =>
      withStore(
        Effect.gen(function* () {
          const tokenStore = yield* store
          yield* tokenStore.insert(newGrant("car-1"))
          const other = yield* Effect.flip(
            tokenStore.insert(newGrant("car-1", { authorizationId: Option.some("someone-else") }))
          )
          expect(other._tag).toBe("GrantExists")
          const same = yield* tokenStore.insert(newGrant("car-1"))
          expect(same.version).toBe(2)
        })
      )
    )

    it.effect("scans in bytewise grant id order, by page, status and expiry", () =>
      withStore(
        Effect.gen(function* () {
          const tokenStore = yield* store
          const ids = ["b", "B", "a", "A", "_", "z9", "Z1"]
          for (const [index, id] of ids.entries()) {
            yield* tokenStore.insert(newGrant(id, { tokens: tokens(1_000 * (index + 1)) }))
          }
          const first = yield* tokenStore.scan({ limit: 4 })
          expect(first.records.map((r) => r.grantId)).toEqual(["A", "B", "Z1", "_"])
          const second = yield* tokenStore.scan({ limit: 4, after: Option.getOrThrow(first.next) })
          expect(second.records.map((r) => r.grantId)).toEqual(["a", "b", "z9"])
          expect(Option.isNone(second.next)).toBe(true)
          const soon = yield* tokenStore.scan({ limit: 10, expiresBefore: DateTime.unsafeMake(3_500) })
          expect(soon.records.map((r) => r.grantId)).toEqual(["B", "a", "b"])
          yield* tokenStore.claim("z9", lease("n", 1))
          yield* tokenStore.markDead("z9", 2, "InvalidGrant")
          const dead = yield* tokenStore.scan({ limit: 10, status: "dead" })
          expect(dead.records.map((r) => r.grantId)).toEqual(["z9"])
        })
      )
    )

    it.effect("a refresh is two statements on the hot path: the claim and the commit", () =>
      withStore(
        Effect.gen(function* () {
          const tokenStore = yield* store
          yield* tokenStore.insert(newGrant("car-1"))
          const { statements } = yield* countStatements(
            Effect.gen(function* () {
              const claimed = yield* tokenStore.claim("car-1", lease("node-a", 30_000))
              if (claimed._tag !== "Claimed") return yield* Effect.die(claimed._tag)
              return yield* tokenStore.commit("car-1", claimed.record.version, tokens())
            })
          )
          expect(statements).toEqual(["UPDATE", "UPDATE"])
          // a claim that finds another's lease costs one more, to say whose lease it is
          const held = yield* countStatements(
            Effect.zipRight(
              tokenStore.claim("car-1", lease("node-a", 30_000)),
              tokenStore.claim("car-1", lease("node-b", 30_000))
            )
          )
          expect(held.statements).toEqual(["UPDATE", "UPDATE", "SELECT"])
        })
      )
    )
  })
}

describe("many machines over one PostgreSQL database", () => {
  it.live("four stores, each with its own pool, claiming the same grants at once: exactly one wins each", () =>
    Effect.gen(function* () {
      const url = yield* postgres.fresh
      const count = 200
      const ids = Array.from({ length: count }, (_, i) => `g${i}`)
      yield* Effect.provide(
        Effect.flatMap(store, (s) => Effect.forEach(ids, (id) => s.insert(newGrant(id)), { discard: true })),
        storeLayer(postgres, url, { encryption })
      )
      const nodes = ["a", "b", "c", "d"]
      const won = yield* Effect.forEach(
        nodes,
        (node, index) =>
          Effect.provide(
            Effect.flatMap(store, (s) =>
              Effect.filter(
                // half walk forward, half backward, several claims in flight on each
                index % 2 === 0 ? ids : [...ids].reverse(),
                (id) => Effect.map(s.claim(id, lease(node, Date.now() + 60_000)), (o) => o._tag === "Claimed"),
                { concurrency: 4 }
              )
            ),
            storeLayer(postgres, url, { encryption })
          ),
        { concurrency: "unbounded" }
      )
      const all = won.flat()
      expect(all).toHaveLength(count)
      expect(new Set(all).size).toBe(count)
      const records = yield* Effect.provide(
        Effect.flatMap(store, (s) => s.scan({ limit: 1000 })),
        storeLayer(postgres, url, { encryption })
      )
      // each grant was claimed once: version 1 from onboarding, 2 from the one claim that won
      expect(records.records.map((r) => r.version)).toEqual(Array(count).fill(2))
    })
  )
})

describe("SqlTokenStore.layerConfig", () => {
  const key = `k1:${Buffer.alloc(32, 1).toString("base64")}`
  for (const dialect of dialects) {
    it.effect(`opens the ${dialect.name} store HM_OAUTH_STORE_URL names, encrypted under HM_OAUTH_STORE_KEY`, () =>
      Effect.gen(function* () {
        const location = yield* dialect.fresh
        const url = dialect.name === "sqlite" ? `sqlite:${location}` : location
        const record = yield* Effect.flatMap(store, (s) => s.insert(newGrant("car-1"))).pipe(
          Effect.provide(SqlTokenStore.layerConfig),
          Effect.withConfigProvider(ConfigProvider.fromJson({ HM_OAUTH_STORE_URL: url, HM_OAUTH_STORE_KEY: key }))
        )
        expect(record.version).toBe(1)
        // the same database under the same key, opened directly
        const read = yield* Effect.provide(
          Effect.flatMap(store, (s) => s.get("car-1")),
          storeLayer(dialect, location, {
            encryption: Either.getOrThrow(
              Either.map(StoreEncryption.parseKey(Redacted.make(key)), (k) => StoreEncryption.keys(k))
            )
          })
        )
        expect(Option.map(read, (r) => Redacted.value(r.accessToken))).toEqual(
          Option.some(Redacted.value(record.accessToken))
        )
      })
    )
  }
})
