/**
 * Invariants of lifetimes, through the core client against the fake server over every transport, time on the
 * TestClock: an access token works exactly until `expires_in` has elapsed, and the client's idea of its expiry
 * agrees with the server's; a refresh token with a lifetime refreshes only within it, counted from its own
 * issue; a code redeems only within its ten minutes.
 */
import { describe, expect, it } from "@effect/vitest"
import { TokenEndpoint, VehicleInfo } from "@hm-oauth/core"
import { DateTime, Duration, Effect, FastCheck as fc, TestClock } from "effect"
import * as Client from "./support/client.js"
import { sized } from "./support/runs.js"
import * as Steps from "./support/steps.js"
import { transports } from "./support/transport.js"

/** A lifetime in seconds, an instant before it ends (its last millisecond often), and how late after it. */
const lifetimes = fc.integer({ min: 1, max: 86_400 }).chain((seconds) =>
  fc.record({
    seconds: fc.constant(seconds),
    before: fc.oneof(fc.constant(seconds * 1000 - 1), fc.integer({ min: 0, max: seconds * 1000 - 1 })),
    lateBy: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 7_200_000 }))
  })
)

const codeLifetime = Duration.toMillis("10 minutes")

for (const transport of transports) {
  describe(`expiry over ${transport.name}`, () => {
    it.effect.prop(
      "an access token works until expires_in has elapsed and fails after, for any lifetime; the client agrees",
      { lifetime: lifetimes },
      ({ lifetime: { seconds, before, lateBy } }) =>
        Effect.gen(function* () {
          const vehicles = yield* VehicleInfo.VehicleInfo
          const issuedAt = yield* DateTime.now
          const { tokens } = yield* Steps.login()
          expect(DateTime.distance(issuedAt, tokens.expiresAt)).toBe(seconds * 1000)

          yield* TestClock.adjust(before)
          expect(tokens.isExpired(yield* DateTime.now)).toBe(false)
          expect((yield* vehicles.get(tokens.accessToken)).vin).toBe(Client.VIN)

          yield* TestClock.adjust(seconds * 1000 - before + lateBy)
          expect(tokens.isExpired(yield* DateTime.now)).toBe(true)
          expect(yield* Effect.flip(vehicles.get(tokens.accessToken))).toMatchObject({
            _tag: "Unauthorized",
            reason: "ExpiredToken"
          })
          // the refresh token outlives its access tokens
          const next = yield* (yield* TokenEndpoint.TokenEndpoint).refresh(Steps.refreshTokenOf(tokens))
          expect((yield* vehicles.get(next.accessToken)).vin).toBe(Client.VIN)
        }).pipe(
          Effect.provide(transport.layer("web", { policy: { accessTokenLifetime: seconds } }, Client.distantTimeout))
        ),
      sized(30)
    )

    it.effect.prop(
      "a refresh token refreshes until the policy's refresh-token lifetime has elapsed since its issue, and fails after",
      { lifetime: lifetimes, rotations: fc.integer({ min: 1, max: 3 }) },
      ({ lifetime: { seconds, before, lateBy }, rotations }) =>
        Effect.gen(function* () {
          const tokens = yield* TokenEndpoint.TokenEndpoint
          let current = (yield* Steps.login()).tokens
          // each rotation issues a refresh token whose own lifetime starts then, however long the family lived
          for (let i = 0; i < rotations; i++) {
            yield* TestClock.adjust(before)
            current = yield* tokens.refresh(Steps.refreshTokenOf(current))
          }
          yield* TestClock.adjust(seconds * 1000 + lateBy)
          expect(yield* Effect.flip(tokens.refresh(Steps.refreshTokenOf(current)))).toMatchObject(
            Steps.invalidGrant("refresh_token is invalid")
          )
        }).pipe(
          Effect.provide(transport.layer("web", { policy: { refreshTokenLifetime: seconds } }, Client.distantTimeout))
        ),
      sized(20)
    )

    it.effect.prop(
      "a code expires after ten minutes: redeemed before, refused with InvalidGrant from then on",
      {
        delay: fc.oneof(
          fc.constantFrom(codeLifetime - 1, codeLifetime),
          fc.integer({ min: codeLifetime - 2000, max: codeLifetime + 2000 }),
          fc.integer({ min: 0, max: 2 * codeLifetime })
        )
      },
      ({ delay }) =>
        Effect.gen(function* () {
          const { code } = yield* Steps.consent()
          yield* TestClock.adjust(delay)
          yield* Steps.expectExchange(Steps.exchange("web", code), delay < codeLifetime, "code is invalid")
        }).pipe(Effect.provide(transport.layer())),
      sized(30)
    )
  })
}
