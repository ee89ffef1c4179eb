/**
 * Invariants of the authorization-code grant, through the core client against the fake server over every
 * transport: a code redeems once, PKCE binds it to its verifier, the redirect URI must match exactly.
 */
import { describe, expect, it } from "@effect/vitest"
import { Pkce, TokenEndpoint, VehicleInfo } from "@hm-oauth/core"
import { Effect, FastCheck as fc, Redacted, TestClock } from "effect"
import { FakeServer } from "../src/FakeServer.js"
import * as Arbitraries from "./support/arbitraries.js"
import * as Client from "./support/client.js"
import { sized } from "./support/runs.js"
import * as Steps from "./support/steps.js"
import { transports } from "./support/transport.js"

/** A verifier, a wrong one, and which of them (or none) the client sends. */
const pkceAttempt = Arbitraries.verifier.chain((right) =>
  fc.record({
    right: fc.constant(right),
    wrong: Arbitraries.wrongVerifier(right),
    sent: fc.constantFrom("right", "wrong", "none")
  })
)

for (const transport of transports) {
  describe(`code grant over ${transport.name}`, () => {
    it.effect.prop(
      "a code is redeemed at most once: each replay fails with InvalidGrant and revokes every token issued from it",
      {
        refreshes: fc.integer({ min: 0, max: 2 }),
        replays: fc.integer({ min: 1, max: 3 }),
        secondsBeforeReplay: fc.integer({ min: 0, max: 7200 })
      },
      ({ refreshes, replays, secondsBeforeReplay }) =>
        Effect.gen(function* () {
          const tokens = yield* TokenEndpoint.TokenEndpoint
          const vehicles = yield* VehicleInfo.VehicleInfo
          const { code } = yield* Steps.consent()
          const issued = [yield* Steps.exchange("web", code)]
          for (let i = 0; i < refreshes; i++) issued.push(yield* tokens.refresh(Steps.refreshTokenOf(issued.at(-1)!)))
          expect((yield* vehicles.get(issued.at(-1)!.accessToken)).vin).toBe(Client.VIN)

          yield* TestClock.adjust(`${secondsBeforeReplay} seconds`)
          for (let i = 0; i < replays; i++) {
            expect(yield* Effect.flip(Steps.exchange("web", code))).toMatchObject(Steps.invalidGrant("code is invalid"))
          }
          for (const set of issued) {
            expect(yield* Effect.flip(vehicles.get(set.accessToken))).toMatchObject({ reason: "InvalidToken" })
          }
          expect(yield* Effect.flip(tokens.refresh(Steps.refreshTokenOf(issued.at(-1)!)))).toMatchObject(
            Steps.invalidGrant()
          )
          const families = yield* (yield* FakeServer).families
          expect(families.map((family) => family.accessTokensRevoked?.reason)).toEqual(["code_replayed"])
          yield* Steps.expectConsistentFamilies
        }).pipe(Effect.provide(transport.layer("web", {}, Client.distantTimeout))),
      sized(25)
    )

    it.effect.prop(
      "PKCE: a code issued with a challenge redeems with its verifier only, one issued without a challenge only without one",
      { as: fc.constantFrom("web" as const, "native" as const), challenged: fc.boolean(), attempt: pkceAttempt },
      ({ as, challenged: drawn, attempt: { right, wrong, sent } }) =>
        Effect.gen(function* () {
          // a public app must send a challenge: the consent page refuses one without
          const challenged = drawn || as === "native"
          const challenge = yield* Pkce.challengeOf(Redacted.make(right))
          const { code } = yield* Steps.consent(as, challenged ? { codeChallenge: challenge } : {})
          const verifier = sent === "right" ? right : sent === "wrong" ? wrong : undefined
          const exchanged = (yield* TokenEndpoint.TokenEndpoint).exchangeCode({
            code,
            redirectUri: Steps.redirectUriOf(as),
            codeVerifier: verifier === undefined ? undefined : Redacted.make(verifier)
          })
          const redeems = challenged ? sent === "right" : sent === "none"
          yield* Steps.expectExchange(exchanged, redeems, "code_verifier is invalid")
        }).pipe(Effect.provide(transport.layer(as))),
      sized(30)
    )

    it.effect.prop(
      "redirect_uri must match byte for byte: near misses are refused at the consent page and at the exchange",
      {
        case: fc
          .constantFrom("web" as const, "native" as const)
          .chain((as) => fc.record({ as: fc.constant(as), variant: Arbitraries.nearMissUri(Steps.redirectUriOf(as)) }))
      },
      ({ case: { as, variant } }) =>
        Effect.gen(function* () {
          const refused = yield* Effect.flip(Steps.consent(as, { redirectUri: variant }))
          expect(refused.reason).toEqual({ _tag: "UnregisteredRedirectUri", redirectUri: variant })
          const { code } = yield* Steps.consent(as)
          expect(yield* Effect.flip(Steps.exchange(as, code, variant))).toMatchObject(
            Steps.invalidGrant("redirect_uri is invalid")
          )
          // the exact URI, on a code of its own, does redeem: the refusal was the URI's
          const exact = yield* Steps.consent(as)
          yield* Steps.exchange(as, exact.code)
        }).pipe(Effect.provide(transport.layer(as))),
      sized(30)
    )
  })
}
