/**
 * Invariants of consent, through the core client against the fake server over every transport: a token reads
 * exactly the vehicle and subject of the consent that minted it, whatever else is consented at the same time;
 * a pending consent reads nothing until approved; a withdrawn one reads nothing ever again.
 */
import { describe, expect, it } from "@effect/vitest"
import { TokenEndpoint, VehicleInfo } from "@hm-oauth/core"
import { Effect, FastCheck as fc, Option, TestClock } from "effect"
import { FakeServer } from "../src/FakeServer.js"
import * as Arbitraries from "./support/arbitraries.js"
import * as Client from "./support/client.js"
import { sized } from "./support/runs.js"
import * as Steps from "./support/steps.js"
import { transports } from "./support/transport.js"

/**
 * Several vehicles and consents to them, each by the web app or another app, with a chosen `sub` or not, and
 * the order in which their codes are exchanged.
 */
const fleetOfConsents = fc
  // the server starts with Client.VIN registered, and refuses a VIN registered twice
  .uniqueArray(
    Arbitraries.vin.filter((vin) => vin !== Client.VIN),
    { minLength: 1, maxLength: 4 }
  )
  .chain((vins) =>
    fc
      .array(
        fc.record({
          vin: fc.constantFrom(...vins),
          as: fc.constantFrom("web" as const, "other" as const),
          sub: fc.option(fc.stringMatching(/^[a-z0-9-]{1,36}$/), { nil: undefined }),
          refreshed: fc.boolean()
        }),
        { minLength: 1, maxLength: 6 }
      )
      .map((consents) => ({ vins, consents }))
  )
  .chain(({ vins, consents }) =>
    fc
      .shuffledSubarray([...consents.keys()], { minLength: consents.length, maxLength: consents.length })
      .map((order) => ({ vins, consents, order }))
  )

/** Runs `effect` with the core client of `as`, over the test's server. */
const asClient = (app: "web" | "other") => Effect.provide(Client.actingAs(app))

for (const transport of transports) {
  describe(`consent over ${transport.name}`, () => {
    it.effect.prop(
      "vehicleinfo returns exactly the vin and sub of the consent that minted the token, with several at once",
      { fleet: fleetOfConsents },
      ({ fleet: { vins, consents, order } }) =>
        Effect.gen(function* () {
          const server = yield* FakeServer
          for (const vin of vins) yield* server.registerVehicle({ vin })
          const pending = yield* Effect.forEach(consents, (wanted) =>
            Effect.map(
              Steps.consent(wanted.as, { vin: wanted.vin, ...(wanted.sub === undefined ? {} : { sub: wanted.sub }) }),
              (given) => ({ wanted, ...given })
            )
          )
          const logins = []
          for (const { wanted, code, authorizationId } of order.map((index) => pending[index]!)) {
            const tokens = yield* asClient(wanted.as)(Steps.exchange(wanted.as, code))
            expect(Option.getOrThrow(tokens.authorizationId)).toBe(authorizationId)
            const current = wanted.refreshed
              ? yield* asClient(wanted.as)(
                  Effect.flatMap(TokenEndpoint.TokenEndpoint, (endpoint) =>
                    endpoint.refresh(Steps.refreshTokenOf(tokens))
                  )
                )
              : tokens
            logins.push({ wanted, authorizationId, accessToken: current.accessToken })
          }

          const records = new Map((yield* server.consents).map((record) => [record.authorizationId, record]))
          const vehicles = yield* VehicleInfo.VehicleInfo
          for (const { wanted, authorizationId, accessToken } of logins.reverse()) {
            const record = records.get(authorizationId)!
            const read = yield* vehicles.get(accessToken)
            expect({ vin: read.vin, sub: read.sub }).toEqual({ vin: record.vin, sub: record.sub })
            expect(read.vin).toBe(wanted.vin)
            if (wanted.sub !== undefined) expect(read.sub).toBe(wanted.sub)
          }
        }).pipe(Effect.provide(transport.layer())),
      sized(25)
    )

    it.effect.prop(
      "a pending consent gives no access until approved, not even through a refreshed token; then both read the car",
      { secondsBeforeApproval: fc.integer({ min: 0, max: 3599 }), tries: fc.integer({ min: 1, max: 3 }) },
      ({ secondsBeforeApproval, tries }) =>
        Effect.gen(function* () {
          const vehicles = yield* VehicleInfo.VehicleInfo
          const { tokens, authorizationId } = yield* Steps.login("web", { status: "pending" })
          expect(tokens.status).toBe("pending")
          const refreshed = yield* (yield* TokenEndpoint.TokenEndpoint).refresh(Steps.refreshTokenOf(tokens))
          expect(refreshed.status).toBe("pending")
          for (let i = 0; i < tries; i++) {
            for (const set of [tokens, refreshed]) {
              expect(yield* Effect.flip(vehicles.get(set.accessToken))).toMatchObject({
                _tag: "Unauthorized",
                reason: "ConsentPending"
              })
            }
          }
          yield* TestClock.adjust(`${secondsBeforeApproval} seconds`)
          yield* (yield* FakeServer).approve(authorizationId)
          for (const set of [tokens, refreshed]) expect((yield* vehicles.get(set.accessToken)).vin).toBe(Client.VIN)
        }).pipe(Effect.provide(transport.layer("web", {}, Client.distantTimeout))),
      sized(20)
    )

    it.effect.prop(
      "withdrawing a consent kills every token minted from it, for good, and no other consent's",
      {
        consents: fc.array(fc.record({ withdrawn: fc.boolean(), exchangedBefore: fc.boolean() }), {
          minLength: 1,
          maxLength: 4
        })
      },
      ({ consents }) =>
        Effect.gen(function* () {
          const server = yield* FakeServer
          const tokens = yield* TokenEndpoint.TokenEndpoint
          const vehicles = yield* VehicleInfo.VehicleInfo
          const given = []
          for (const wanted of consents) {
            const { code, authorizationId } = yield* Steps.consent()
            given.push({
              wanted,
              code,
              authorizationId,
              tokens: wanted.exchangedBefore ? yield* Steps.exchange("web", code) : undefined
            })
          }
          for (const { wanted, authorizationId } of given) if (wanted.withdrawn) yield* server.withdraw(authorizationId)

          for (const { wanted, code, authorizationId, tokens: before } of given) {
            if (!wanted.withdrawn) {
              const set = before ?? (yield* Steps.exchange("web", code))
              expect((yield* vehicles.get(set.accessToken)).vin).toBe(Client.VIN)
              yield* tokens.refresh(Steps.refreshTokenOf(set))
              continue
            }
            if (before === undefined) {
              expect(yield* Effect.flip(Steps.exchange("web", code))).toMatchObject(Steps.invalidGrant())
            } else {
              expect(yield* Effect.flip(vehicles.get(before.accessToken))).toMatchObject({ reason: "ConsentRevoked" })
              expect(yield* Effect.flip(tokens.refresh(Steps.refreshTokenOf(before)))).toMatchObject(
                Steps.invalidGrant()
              )
            }
            expect((yield* Effect.flip(server.approve(authorizationId))).reason._tag).toBe("ConsentRevoked")
          }
          yield* Steps.expectConsistentFamilies
        }).pipe(Effect.provide(transport.layer())),
      sized(25)
    )
  })
}
