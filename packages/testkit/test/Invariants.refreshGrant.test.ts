/**
 * Invariants of refresh-token rotation, through the core client against the fake server over every transport:
 * each refresh hands over a working access token and retires the refresh token it used; a retired refresh
 * token coming back revokes its whole family (RFC 9700 §4.14), and nothing beyond it.
 */
import { describe, expect, it } from "@effect/vitest"
import { TokenEndpoint, VehicleInfo } from "@hm-oauth/core"
import { Effect, FastCheck as fc, TestClock } from "effect"
import { FakeServer } from "../src/FakeServer.js"
import * as Client from "./support/client.js"
import { sized } from "./support/runs.js"
import * as Steps from "./support/steps.js"
import { transports } from "./support/transport.js"

/** How many refreshes, the seconds before each, and which retired refresh token comes back. */
const rotations = fc.integer({ min: 1, max: 4 }).chain((refreshes) =>
  fc.record({
    secondsBefore: fc.array(fc.integer({ min: 0, max: 4000 }), { minLength: refreshes, maxLength: refreshes }),
    reused: fc.nat(refreshes - 1)
  })
)

for (const transport of transports) {
  describe(`refresh grant over ${transport.name}`, () => {
    it.effect.prop(
      "after a refresh the new access token works and the old refresh token fails; reusing it revokes the family",
      { rotation: rotations },
      ({ rotation: { secondsBefore, reused } }) =>
        Effect.gen(function* () {
          const tokens = yield* TokenEndpoint.TokenEndpoint
          const vehicles = yield* VehicleInfo.VehicleInfo
          const bystander = yield* Steps.login()
          const issued = [(yield* Steps.login()).tokens]
          for (const seconds of secondsBefore) {
            yield* TestClock.adjust(`${seconds} seconds`)
            const next = yield* tokens.refresh(Steps.refreshTokenOf(issued.at(-1)!))
            expect((yield* vehicles.get(next.accessToken)).vin).toBe(Client.VIN)
            issued.push(next)
          }

          expect(yield* Effect.flip(tokens.refresh(Steps.refreshTokenOf(issued[reused]!)))).toMatchObject(
            Steps.invalidGrant("refresh_token is invalid")
          )
          const newest = issued.at(-1)!
          expect(yield* Effect.flip(vehicles.get(newest.accessToken))).toMatchObject({ reason: "InvalidToken" })
          expect(yield* Effect.flip(tokens.refresh(Steps.refreshTokenOf(newest)))).toMatchObject(Steps.invalidGrant())
          const [untouched, revoked] = yield* (yield* FakeServer).families
          expect(revoked?.refreshTokensRevoked?.reason).toBe("refresh_token_reused")
          expect(revoked?.lineage.filter((token) => token.status === "live")).toEqual([])
          expect(untouched?.refreshTokensRevoked).toBeUndefined()
          // another grant of the same client and car is not the reused token's family: it lives on
          yield* tokens.refresh(Steps.refreshTokenOf(bystander.tokens))
          yield* Steps.expectConsistentFamilies
        }).pipe(Effect.provide(transport.layer("web", {}, Client.distantTimeout))),
      sized(25)
    )
  })
}
