/**
 * The token manager's eight guarantees, each with a test that fails when the mechanism behind it is taken away
 * (named in each test's comment). The fake server is the strictest unless a test says otherwise: refresh tokens
 * rotate and a superseded one coming back revokes its whole family at once (reuse grace 0).
 */
import { describe, expect, it } from "@effect/vitest"
import { FakeServer, Faults } from "@hm-oauth/testkit"
import { Cause, Effect, Exit, Fiber, Option, Redacted, Scope, TestClock } from "effect"
import { HmOAuthError, TokenEndpoint, TokenSet, TokenStore } from "../src/index.js"
import * as Fleet from "./support/fleet.js"
import * as Stores from "./support/stores.js"

const reveal = Redacted.value
const { HOUR } = Fleet

/** The live refresh tokens of the consent's family at the server, by handle. */
const liveRefreshTokens = (authorizationId: string) =>
  Effect.map(Fleet.familyOf(authorizationId), (family) =>
    family.lineage.filter((token) => token.kind === "refresh" && token.status === "live").map((token) => token.handle)
  )

/** The store's refresh token is one the server holds live: nothing was lost. */
const expectInStep = (store: TokenStore.Service, grantId: string, authorizationId: string) =>
  Effect.gen(function* () {
    const live = yield* liveRefreshTokens(authorizationId)
    expect(live).toContain(yield* Fleet.handleOfStored(store, grantId))
  })

/** Replaces the node's `TokenEndpoint.refresh` while it is built. */
const withRefresh = <A, E, R>(
  make: Effect.Effect<A, E, R>,
  refresh: (real: TokenEndpoint.TokenEndpoint["Type"]) => TokenEndpoint.TokenEndpoint["Type"]["refresh"]
) => Effect.updateService(make, TokenEndpoint.TokenEndpoint, (real) => ({ ...real, refresh: refresh(real) }))

describe("TokenManager guarantees", () => {
  describe("1. single flight", () => {
    // mechanism: one flight per grant per node (Flights.start hands out the running fiber); without it every
    // caller claims on its own
    it.scoped("50 concurrent callers on one expired grant in one node make one claim and one refresh", () =>
      Effect.gen(function* () {
        const { counts, store } = Stores.counting(yield* TokenStore.makeMemory)
        const manager = yield* Fleet.node(store)
        yield* Fleet.onboarded(manager, "car-1")
        yield* TestClock.adjust(2 * HOUR)
        const tokens = yield* Fleet.drive(
          Effect.all(
            Array.from({ length: 50 }, () => manager.accessToken("car-1")),
            { concurrency: "unbounded" }
          )
        ).pipe(Effect.flatten)
        expect(new Set(tokens.map(reveal)).size).toBe(1)
        expect(counts.claim).toBe(1)
        expect(yield* Fleet.refreshes).toHaveLength(1)
      }).pipe(Effect.provide(Fleet.layer()))
    )

    // mechanism: the store's lease (claim is a compare-and-set; only its holder refreshes); without it each node
    // refreshes, the server sees a superseded token come back and revokes the family
    it.scoped("30 callers over three nodes sharing the store put exactly one refresh at the server", () =>
      Effect.gen(function* () {
        const { counts, store } = Stores.counting(yield* TokenStore.makeMemory)
        const nodes = yield* Effect.all(["a", "b", "c"].map((nodeId) => Fleet.node(store, { nodeId })))
        const authorizationId = yield* Fleet.onboarded(nodes[0]!, "car-1")
        yield* TestClock.adjust(2 * HOUR)
        const tokens = yield* Fleet.drive(
          Effect.all(
            Array.from({ length: 30 }, (_, n) => nodes[n % 3]!.accessToken("car-1")),
            { concurrency: "unbounded" }
          )
        ).pipe(Effect.flatten)
        expect(new Set(tokens.map(reveal)).size).toBe(1)
        expect(yield* Fleet.refreshes).toHaveLength(1)
        // the nodes did race: the losers found the winner's lease
        expect(counts.claim).toBeGreaterThan(1)
        yield* expectInStep(store, "car-1", authorizationId)
      }).pipe(Effect.provide(Fleet.layer()))
    )
  })

  describe("2. persist before use", () => {
    // mechanism: the token enters memory only once its commit is written; before that a new caller waits
    it.scoped("no caller sees the new tokens before their commit lands", () =>
      Effect.gen(function* () {
        const shared = yield* TokenStore.makeMemory
        const { committing, open, store } = yield* Stores.gated(shared)
        const manager = yield* Fleet.node(store)
        // a failed expectation must not leave the commit waiting for ever
        yield* Effect.addFinalizer(() => open)
        yield* Fleet.onboarded(manager, "car-1")
        yield* TestClock.adjust(2 * HOUR)
        const first = yield* Effect.fork(manager.accessToken("car-1"))
        yield* committing
        const second = yield* Effect.fork(manager.accessToken("car-1"))
        for (let turn = 0; turn < 20; turn++) yield* Effect.yieldNow()
        expect(Option.isNone(yield* Fiber.poll(first))).toBe(true)
        expect(Option.isNone(yield* Fiber.poll(second))).toBe(true)
        yield* open
        const tokens = [yield* Fiber.join(first), yield* Fiber.join(second)]
        const stored = Option.getOrThrow(yield* shared.get("car-1")).accessToken
        expect(tokens.map(reveal)).toEqual([reveal(stored), reveal(stored)])
      }).pipe(Effect.provide(Fleet.layer()))
    )

    // mechanism: Effect.uninterruptibleMask from the answer to the commit; an interruptible commit is cut off by
    // the node's shutdown and the rotated refresh token is lost
    it.scoped("closing a node between the answer and the commit waits for the commit: nothing is lost", () =>
      Effect.gen(function* () {
        const shared = yield* TokenStore.makeMemory
        const { committing, open, store } = yield* Stores.gated(shared)
        const scope = yield* Scope.make()
        const manager = yield* Fleet.node(store).pipe(Scope.extend(scope))
        const authorizationId = yield* Fleet.onboarded(manager, "car-1")
        yield* TestClock.adjust(2 * HOUR)
        yield* Effect.fork(manager.accessToken("car-1"))
        yield* committing
        const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
        for (let turn = 0; turn < 20; turn++) yield* Effect.yieldNow()
        expect(Option.isNone(yield* Fiber.poll(closing))).toBe(true)
        yield* open
        yield* Fiber.join(closing)
        expect(yield* Fleet.refreshes).toHaveLength(1)
        yield* expectInStep(shared, "car-1", authorizationId)
      }).pipe(Effect.provide(Fleet.layer()))
    )
  })

  describe("3. re-read under the lease", () => {
    // mechanism: the decision is made again on the record as claimed; refreshing with the token read before the
    // lease (Duende #1286) sends a superseded token and the server revokes the family
    it.scoped("a node that finds fresh tokens under the lease uses them and sends nothing", () =>
      Effect.gen(function* () {
        const shared = yield* TokenStore.makeMemory
        const other = yield* Fleet.node(shared, { nodeId: "b" })
        let raced = false
        const store = Stores.hooked(shared, {
          // between this node's read and its claim, the other node refreshes the grant
          beforeClaim: (grantId) =>
            Effect.suspend(() => {
              if (raced) return Effect.void
              raced = true
              return Effect.orDie(other.accessToken(grantId))
            })
        })
        const manager = yield* Fleet.node(store, { nodeId: "a" })
        const authorizationId = yield* Fleet.onboarded(manager, "car-1")
        yield* TestClock.adjust(2 * HOUR)
        const token = yield* manager.accessToken("car-1")
        expect(raced).toBe(true)
        expect(reveal(token)).toBe(reveal(yield* other.accessToken("car-1")))
        expect(yield* Fleet.refreshes).toHaveLength(1)
        yield* expectInStep(shared, "car-1", authorizationId)
      }).pipe(Effect.provide(Fleet.layer()))
    )

    // mechanism: markDead names the version the lease gave and a moved version sends the flight round again;
    // killing whatever is stored (MentraOS #3449) wipes the winner's fresh tokens
    it.scoped(
      "an invalid_grant after another holder took over and refreshed leaves the grant alive, on its tokens",
      () =>
        Effect.gen(function* () {
          const shared = yield* TokenStore.makeMemory
          const other = yield* Fleet.node(shared, { nodeId: "b" })
          const leaseTime = 70_000
          const manager = yield* withRefresh(
            Fleet.node(shared, { nodeId: "a", leaseTime }),
            () => () =>
              Effect.gen(function* () {
                // this node's request is slow: its lease runs out, the other node takes over and refreshes...
                yield* TestClock.adjust(leaseTime + 1_000)
                yield* other.accessToken("car-1").pipe(Effect.orDie)
                // ...and this node's late request is refused
                return yield* Effect.fail(
                  new HmOAuthError.OAuthProtocolError({
                    operation: "refresh",
                    status: 400,
                    error: "invalid_request",
                    description: "refresh_token is invalid",
                    reason: "InvalidGrant"
                  })
                )
              })
          )
          yield* Fleet.onboarded(manager, "car-1")
          yield* TestClock.adjust(2 * HOUR)
          const token = yield* manager.accessToken("car-1")
          const record = Option.getOrThrow(yield* shared.get("car-1"))
          expect(record.status).toBe("active")
          expect(reveal(token)).toBe(reveal(record.accessToken))
        }).pipe(Effect.provide(Fleet.layer()))
    )
  })

  // mechanism: commit keeps the stored refresh token when given none; storing none leaves nothing to refresh with
  it.scoped("4. an answer without a refresh token keeps the stored one: the next refresh sends it and succeeds", () =>
    Effect.gen(function* () {
      const store = yield* TokenStore.makeMemory
      const manager = yield* withRefresh(
        Fleet.node(store),
        (real) => (refreshToken) =>
          Effect.map(
            real.refresh(refreshToken),
            (tokens) => new TokenSet.TokenSet({ ...tokens, refreshToken: Option.none() })
          )
      )
      yield* Fleet.onboarded(manager, "car-1")
      const onboardedWith = yield* Fleet.handleOfStored(store, "car-1")
      yield* TestClock.adjust(2 * HOUR)
      yield* manager.accessToken("car-1")
      expect(yield* Fleet.handleOfStored(store, "car-1")).toBe(onboardedWith)
      yield* TestClock.adjust(2 * HOUR)
      yield* manager.accessToken("car-1")
      expect(yield* Fleet.refreshes).toEqual([
        { refreshToken: onboardedWith, status: 200 },
        { refreshToken: onboardedWith, status: 200 }
      ])
    }).pipe(Effect.provide(Fleet.layer({ policy: { rotateRefreshTokens: false } })))
  )

  describe("5. transient failures never kill a grant", () => {
    // mechanism: only a refused refresh token kills (failures.classify); a 503 taken for a dead grant would
    it.scoped(
      "through 503s the old token is served while valid, then RefreshUnavailable; the grant refreshes once the server is back",
      () =>
        Effect.gen(function* () {
          const store = yield* TokenStore.makeMemory
          const manager = yield* Fleet.node(store, { refreshJitter: 0, clockSkew: 0, idleTimeToLive: "1 day" })
          const fake = yield* FakeServer.FakeServer
          const events = yield* Fleet.nextEvent(manager, "TransientFailure")
          const { tokens } = yield* Fleet.consent()
          yield* manager.onboard("car-1", tokens)
          yield* fake.setFaults([Faults.sometimes("token", 1, Faults.serverError(503))])
          yield* TestClock.adjust("56 minutes")
          expect(reveal(yield* manager.accessToken("car-1"))).toBe(reveal(tokens.accessToken))
          yield* Fleet.quiet(manager)
          expect(reveal(yield* manager.accessToken("car-1"))).toBe(reveal(tokens.accessToken))
          yield* TestClock.adjust("5 minutes")
          const unavailable = yield* Effect.flip(manager.accessToken("car-1"))
          expect(unavailable).toMatchObject({ _tag: "RefreshUnavailable", grantId: "car-1" })
          if (unavailable._tag !== "RefreshUnavailable") return
          expect(unavailable.cause).toContain("503")
          expect(unavailable.failures).toBeGreaterThan(0)
          expect(Option.getOrThrow(yield* store.get("car-1")).status).toBe("active")
          expect((yield* events)._tag).toBe("TransientFailure")
          yield* fake.setFaults([])
          yield* TestClock.setTime(unavailable.nextAttemptAt.epochMillis)
          const fresh = yield* manager.accessToken("car-1")
          const record = Option.getOrThrow(yield* store.get("car-1"))
          expect(reveal(fresh)).toBe(reveal(record.accessToken))
          expect(record).toMatchObject({ status: "active", failures: 0 })
        }).pipe(Effect.provide(Fleet.layer()))
    )

    // mechanism: the backoff is at least the server's Retry-After (failures.backoffMillis) and no attempt is made
    // before it (decide); without either, requests follow one another at once
    it.scoped("a 429's Retry-After is honoured: no refresh request before it", () =>
      Effect.gen(function* () {
        let sent = 0
        const manager = yield* withRefresh(
          Fleet.node(yield* TokenStore.makeMemory, { backoffInitial: "1 second" }),
          (real) => (refreshToken) =>
            Effect.suspend(() => {
              sent += 1
              return real.refresh(refreshToken)
            })
        )
        const fake = yield* FakeServer.FakeServer
        yield* Fleet.onboarded(manager, "car-1")
        yield* fake.setFaults([Faults.sometimes("token", 1, Faults.rateLimited(120))])
        yield* TestClock.adjust(2 * HOUR)
        const refused = yield* Effect.flip(manager.accessToken("car-1"))
        expect(refused).toMatchObject({ _tag: "RefreshUnavailable" })
        if (refused._tag !== "RefreshUnavailable") return
        expect(refused.nextAttemptAt.epochMillis).toBe(2 * HOUR + 120_000)
        yield* TestClock.adjust("119 seconds")
        expect(yield* Effect.flip(manager.accessToken("car-1"))).toMatchObject({ _tag: "RefreshUnavailable" })
        expect(sent).toBe(1)
        yield* fake.setFaults([])
        yield* TestClock.adjust("1 second")
        yield* manager.accessToken("car-1")
        expect(sent).toBe(2)
      }).pipe(Effect.provide(Fleet.layer()))
    )
  })

  describe("6. lost answers", () => {
    // mechanism: a lost answer is retried at once with the stored refresh token; after a backoff (5 s here) the
    // server's grace (1 s) is over and the family is revoked
    it.scoped(
      "a lost answer is retried once with the stored token: inside the server's reuse grace that recovers",
      () =>
        Effect.gen(function* () {
          const store = yield* TokenStore.makeMemory
          const manager = yield* Fleet.node(store, { backoffInitial: "5 seconds" })
          const recovered = yield* Fleet.nextEvent(manager, "Refreshed")
          const authorizationId = yield* Fleet.onboarded(manager, "car-1")
          const sentFirst = yield* Fleet.handleOfStored(store, "car-1")
          yield* TestClock.adjust(2 * HOUR)
          const token = yield* manager.accessToken("car-1")
          expect(reveal(token)).toBe(reveal(Option.getOrThrow(yield* store.get("car-1")).accessToken))
          expect(yield* Fleet.refreshes).toEqual([
            { refreshToken: sentFirst, status: 200 },
            { refreshToken: sentFirst, status: 200 }
          ])
          expect(yield* recovered).toMatchObject({ _tag: "Refreshed", recovered: true })
          yield* expectInStep(store, "car-1", authorizationId)
        }).pipe(
          Effect.provide(
            Fleet.layer({ policy: { refreshReuseGrace: 1 }, faults: [Faults.on("token", [2], Faults.commitThenLose)] })
          )
        )
    )

    // mechanism: the release after a lost answer records the doubt (refreshInDoubt), which names the refusal
    // RotationLost; without it the grant would be reported as an ordinary invalid grant
    it.scoped(
      "at a server without grace, a lost answer costs the grant: dead with reason RotationLost, and an event says so",
      () =>
        Effect.gen(function* () {
          const manager = yield* Fleet.node(yield* TokenStore.makeMemory)
          const dead = yield* Fleet.nextEvent(manager, "Dead")
          const authorizationId = yield* Fleet.onboarded(manager, "car-1")
          yield* TestClock.adjust(2 * HOUR)
          expect(yield* Effect.flip(manager.accessToken("car-1"))).toMatchObject({
            _tag: "GrantDead",
            reason: "RotationLost"
          })
          expect(yield* dead).toMatchObject({ _tag: "Dead", reason: "RotationLost" })
          expect((yield* Fleet.familyOf(authorizationId)).refreshTokensRevoked?.reason).toBe("refresh_token_reused")
          expect(yield* Fleet.refreshes).toHaveLength(2)
        }).pipe(Effect.provide(Fleet.layer({ faults: [Faults.on("token", [2], Faults.commitThenLose)] })))
    )

    // the lease (70 s by default) runs out before the survivor's retry: a grace of 5 minutes covers it
    for (const grace of [0, 300]) {
      // mechanism: a lease that ran out without a commit is taken over in doubt (TokenStore.claim); without the
      // doubt the refusal would read as InvalidGrant, and without the lease the dead node would hold it forever
      it.scoped(
        `a node dying between the answer and the commit: the next holder takes over in doubt and retries once (grace ${grace} s: ${grace === 0 ? "RotationLost" : "recovered"})`,
        () =>
          Effect.gen(function* () {
            const shared = yield* TokenStore.makeMemory
            const mortal = Stores.mortal(shared)
            const scope = yield* Scope.make()
            const dying = yield* Fleet.node(mortal.store, { nodeId: "a" }).pipe(Scope.extend(scope))
            const survivor = yield* Fleet.node(shared, { nodeId: "b" })
            const authorizationId = yield* Fleet.onboarded(dying, "car-1")
            yield* TestClock.adjust(2 * HOUR)
            mortal.crashAtNextCommit()
            const crashed = yield* Effect.exit(dying.accessToken("car-1"))
            expect(mortal.dead).toBe(true)
            expect(Exit.isFailure(crashed) && Cause.isDie(crashed.cause)).toBe(true)
            yield* Scope.close(scope, Exit.void)
            const after = yield* Fleet.drive(survivor.accessToken("car-1"))
            if (grace === 0) {
              expect(after).toMatchObject({
                _tag: "Failure",
                cause: { error: { _tag: "GrantDead", reason: "RotationLost" } }
              })
            } else {
              expect(Exit.isSuccess(after)).toBe(true)
              yield* expectInStep(shared, "car-1", authorizationId)
            }
          }).pipe(Effect.provide(Fleet.layer({ policy: { refreshReuseGrace: grace } })))
      )
    }
  })

  // mechanism: a check that finds the consent pending records the next check time (release with a backoff), and
  // the check is vehicle info, which rotates nothing; without the former every call checks, with a refresh
  // instead every check would rotate the refresh token
  it.scoped(
    "7. a pending consent answers GrantPending, is checked with vehicle info at most once per interval, and turns active once approved",
    () =>
      Effect.gen(function* () {
        const manager = yield* Fleet.node(yield* TokenStore.makeMemory, { pendingCheckInterval: "1 minute" })
        const fake = yield* FakeServer.FakeServer
        const approved = yield* Fleet.nextEvent(manager, "Approved")
        const authorizationId = yield* Fleet.onboarded(manager, "car-1", Fleet.VINS[0], "pending")
        const checks = Fleet.requestsTo("GET", "/v1/vehicleinfo")
        for (let n = 0; n < 5; n++) {
          expect(yield* Effect.flip(manager.accessToken("car-1"))).toMatchObject({
            _tag: "GrantPending",
            nextCheckAt: { epochMillis: 60_000 }
          })
        }
        expect(yield* checks).toBe(1)
        yield* fake.approve(authorizationId)
        yield* TestClock.adjust("30 seconds")
        expect(yield* Effect.flip(manager.accessToken("car-1"))).toMatchObject({ _tag: "GrantPending" })
        expect(yield* checks).toBe(1)
        yield* TestClock.adjust("30 seconds")
        yield* manager.accessToken("car-1")
        expect(yield* checks).toBe(2)
        expect(yield* Fleet.refreshes).toEqual([])
        expect(yield* approved).toMatchObject({ _tag: "Approved", grantId: "car-1" })
      }).pipe(Effect.provide(Fleet.layer()))
  )

  // mechanism: the sweep drops tokens unread for idleTimeToLive, and a flight leaves its map when it ends
  it.scoped("8. bounded memory: after the idle time no token, flight or lock of a grant is left in memory", () =>
    Effect.gen(function* () {
      const { counts, store } = Stores.counting(yield* TokenStore.makeMemory)
      const manager = yield* Fleet.node(store, { idleTimeToLive: "10 minutes" })
      const grants = Array.from({ length: 20 }, (_, n) => `car-${n}`)
      for (const [n, grantId] of grants.entries()) yield* Fleet.onboarded(manager, grantId, Fleet.VINS[n % 4])
      yield* TestClock.adjust(2 * HOUR)
      yield* Effect.all(
        grants.map((grantId) => manager.accessToken(grantId)),
        { concurrency: "unbounded" }
      )
      expect(yield* manager.stats).toEqual({ cachedGrants: 20, flights: 0, applicationTokens: 0 })
      yield* TestClock.adjust("10 minutes")
      expect(yield* manager.stats).toEqual({ cachedGrants: 0, flights: 0, applicationTokens: 0 })
      // gone from memory only: the next call reads the store again, and refreshes nothing
      const reads = counts.get
      yield* Effect.all(grants.map((grantId) => manager.accessToken(grantId)))
      expect(counts.get - reads).toBe(20)
      expect(yield* Fleet.refreshes).toHaveLength(20)
    }).pipe(Effect.provide(Fleet.layer()))
  )
})
