/**
 * Invariants of revocation (RFC 7009), through the core client against the fake server over every transport:
 * a revoked token is dead at once; a refresh token takes its family's access tokens with it; revoking what is
 * unknown or already dead succeeds; a client touches only its own tokens.
 */
import { describe, expect, it } from "@effect/vitest"
import { Revocation, TokenEndpoint, VehicleInfo } from "@hm-oauth/core"
import { Effect, FastCheck as fc, Redacted } from "effect"
import { FakeServer } from "../src/FakeServer.js"
import * as Client from "./support/client.js"
import { sized } from "./support/runs.js"
import * as Steps from "./support/steps.js"
import { transports } from "./support/transport.js"

/** The apps of the consent flow: a confidential one, a public one that revokes with its client_id alone, another. */
const consentApp = fc.constantFrom("web" as const, "native" as const, "other" as const)

const hint = fc.constantFrom(undefined, "access_token" as const, "refresh_token" as const)

/** The server's refusal of another client's token; which reason core derives from it is core's own reading. */
const refusedAsForeign = { _tag: "OAuthProtocolError", description: "token was not issued to this client" }

for (const transport of transports) {
  describe(`revocation over ${transport.name}`, () => {
    it.effect.prop(
      "after revocation an access token fails at vehicleinfo, however hinted and however often revoked; its refresh token lives on",
      { as: consentApp, tokenTypeHint: hint, times: fc.integer({ min: 1, max: 3 }) },
      ({ as, tokenTypeHint, times }) =>
        Effect.gen(function* () {
          const revocation = yield* Revocation.Revocation
          const vehicles = yield* VehicleInfo.VehicleInfo
          const { tokens } = yield* Steps.login(as)
          for (let i = 0; i < times; i++) yield* revocation.revoke({ token: tokens.accessToken, tokenTypeHint })
          expect(yield* Effect.flip(vehicles.get(tokens.accessToken))).toMatchObject({
            _tag: "Unauthorized",
            reason: "InvalidToken"
          })
          const next = yield* (yield* TokenEndpoint.TokenEndpoint).refresh(Steps.refreshTokenOf(tokens))
          expect((yield* vehicles.get(next.accessToken)).vin).toBe(Client.VIN)
        }).pipe(Effect.provide(transport.layer(as))),
      sized(25)
    )

    it.effect.prop(
      "revoking a refresh token, current or retired, kills its whole family: every access and refresh token of it",
      {
        chain: fc
          .integer({ min: 0, max: 3 })
          .chain((refreshes) => fc.record({ refreshes: fc.constant(refreshes), revoked: fc.nat(refreshes) })),
        tokenTypeHint: hint,
        times: fc.integer({ min: 1, max: 2 })
      },
      ({ chain: { refreshes, revoked }, tokenTypeHint, times }) =>
        Effect.gen(function* () {
          const tokens = yield* TokenEndpoint.TokenEndpoint
          const vehicles = yield* VehicleInfo.VehicleInfo
          const bystander = yield* Steps.login()
          const issued = [(yield* Steps.login()).tokens]
          for (let i = 0; i < refreshes; i++) issued.push(yield* tokens.refresh(Steps.refreshTokenOf(issued.at(-1)!)))
          const token = Steps.refreshTokenOf(issued[revoked]!)
          for (let i = 0; i < times; i++) yield* (yield* Revocation.Revocation).revoke({ token, tokenTypeHint })

          for (const set of issued) {
            expect(yield* Effect.flip(vehicles.get(set.accessToken))).toMatchObject({ reason: "InvalidToken" })
          }
          expect(yield* Effect.flip(tokens.refresh(Steps.refreshTokenOf(issued.at(-1)!)))).toMatchObject(
            Steps.invalidGrant()
          )
          const [, family] = yield* (yield* FakeServer).families
          expect(family?.refreshTokensRevoked?.reason).toBe("refresh_token_revoked")
          expect((yield* vehicles.get(bystander.tokens.accessToken)).vin).toBe(Client.VIN)
          yield* Steps.expectConsistentFamilies
        }).pipe(Effect.provide(transport.layer())),
      sized(25)
    )

    it.effect.prop(
      "revoking an unknown token succeeds (200), and revoking any token twice succeeds",
      {
        unknown: fc.oneof(
          fc.uuid(),
          fc.string({ minLength: 1, maxLength: 200 }).filter((text) => text.trim() !== "")
        ),
        tokenTypeHint: hint
      },
      ({ unknown, tokenTypeHint }) =>
        Effect.gen(function* () {
          const revocation = yield* Revocation.Revocation
          yield* revocation.revoke({ token: Redacted.make(unknown), tokenTypeHint })
          const { tokens } = yield* Steps.login()
          for (const token of [tokens.accessToken, Steps.refreshTokenOf(tokens)]) {
            yield* revocation.revoke({ token, tokenTypeHint })
            yield* revocation.revoke({ token, tokenTypeHint })
          }
          const history = yield* (yield* FakeServer).history
          expect(history.filter((entry) => entry.method === "DELETE").map((entry) => entry.status)).toEqual([
            200, 200, 200, 200, 200
          ])
        }).pipe(Effect.provide(transport.layer())),
      sized(25)
    )

    it.effect.prop(
      "a client can neither refresh nor revoke another client's token: refused, and the token lives on",
      {
        clients: fc
          .tuple(consentApp, consentApp)
          .filter(([owner, intruder]) => owner !== intruder)
          .map(([owner, intruder]) => ({ owner, intruder })),
        revokes: fc.constantFrom("access" as const, "refresh" as const),
        tokenTypeHint: hint
      },
      ({ clients: { owner, intruder }, revokes, tokenTypeHint }) =>
        Effect.gen(function* () {
          const { tokens } = yield* Steps.login(owner)
          const refreshToken = Steps.refreshTokenOf(tokens)
          const asIntruder = Effect.provide(Client.actingAs(intruder))
          const refresh = Effect.flatMap(TokenEndpoint.TokenEndpoint, (endpoint) => endpoint.refresh(refreshToken))
          expect(yield* Effect.flip(asIntruder(refresh))).toMatchObject(refusedAsForeign)
          const token = revokes === "access" ? tokens.accessToken : refreshToken
          const revoke = Effect.flatMap(Revocation.Revocation, (revocation) =>
            revocation.revoke({ token, tokenTypeHint })
          )
          expect(yield* Effect.flip(asIntruder(revoke))).toMatchObject(refusedAsForeign)

          expect((yield* (yield* VehicleInfo.VehicleInfo).get(tokens.accessToken)).vin).toBe(Client.VIN)
          yield* refresh
        }).pipe(Effect.provide(transport.layer(owner))),
      sized(25)
    )
  })
}
