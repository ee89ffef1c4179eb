/**
 * Invariants of the client-credentials grant over every transport: every bad credential fails with a
 * spec-shaped error, HM's `invalid_request` with the model's description, and the same request made good
 * succeeds. The core client signs only good assertions, so the bad ones are made by hand and sent over the
 * transport's own `HttpClient`; a wrong secret and an expired key go through the core client.
 */
import { describe, expect, it } from "@effect/vitest"
import { ClientAssertion, Credentials, TokenEndpoint, VehicleInfo } from "@hm-oauth/core"
import { Effect, FastCheck as fc, Redacted, TestClock } from "effect"
import { FakeServer } from "../src/FakeServer.js"
import * as Model from "../src/Model.js"
import { hmError, type Json, oauthError, otherKey, signAssertion, T0 } from "./fixtures.js"
import * as Client from "./support/client.js"
import { sized } from "./support/runs.js"
import * as Steps from "./support/steps.js"
import { transports } from "./support/transport.js"

/** Ways of getting the audience wrong, applied to the server's own. */
const audienceMisses = {
  trailingSlash: (audience: string) => `${audience}/`,
  upperCase: (audience: string) => audience.toUpperCase(),
  withoutVersion: (audience: string) => audience.replace(/\/v1$/, ""),
  withQuery: (audience: string) => `${audience}?aud=1`,
  listWithoutIt: (audience: string) => [`${audience}/`, "https://api.high-mobility.com/v1"]
}

/** What is wrong with a client assertion made by hand. */
type Defect =
  | { readonly _tag: "ForeignSignature" }
  | { readonly _tag: "TamperedPayload" }
  | { readonly _tag: "DerSignature" }
  | { readonly _tag: "WrongAlgorithm"; readonly alg: string }
  | { readonly _tag: "MissingClaim"; readonly claim: "iat" | "jti" }
  | { readonly _tag: "WrongAudience"; readonly miss: keyof typeof audienceMisses | { readonly aud: string } }
  | { readonly _tag: "StaleIat"; readonly secondsOff: number }
  | { readonly _tag: "ReplayedJti"; readonly resigned: boolean }

const defects: fc.Arbitrary<Defect> = fc.oneof(
  fc.constant({ _tag: "ForeignSignature" } as const),
  fc.constant({ _tag: "TamperedPayload" } as const),
  fc.constant({ _tag: "DerSignature" } as const),
  fc.constantFrom("none", "HS256", "RS256", "ES384").map((alg) => ({ _tag: "WrongAlgorithm", alg }) as const),
  fc.constantFrom("iat" as const, "jti" as const).map((claim) => ({ _tag: "MissingClaim", claim }) as const),
  fc
    .oneof(
      fc.constantFrom(...(Object.keys(audienceMisses) as Array<keyof typeof audienceMisses>)),
      fc.webUrl().map((aud) => ({ aud }))
    )
    .map((miss) => ({ _tag: "WrongAudience", miss }) as const),
  // older than the policy's maximum age, or further ahead than its skew
  fc
    .oneof(
      fc.integer({ min: -100_000, max: -(Model.defaultPolicy.assertionMaxAge + 1) }),
      fc.integer({ min: Model.defaultPolicy.assertionIatSkew + 1, max: 100_000 })
    )
    .map((secondsOff) => ({ _tag: "StaleIat", secondsOff }) as const),
  fc.boolean().map((resigned) => ({ _tag: "ReplayedJti", resigned }) as const)
)

const descriptionOf: Record<Defect["_tag"], string> = {
  ForeignSignature: "client_assertion is invalid",
  TamperedPayload: "client_assertion is invalid",
  DerSignature: "client_assertion is invalid",
  WrongAlgorithm: "client_assertion is invalid",
  MissingClaim: "client_assertion is invalid",
  WrongAudience: "client_assertion has an invalid audience",
  StaleIat: "client_assertion is expired",
  ReplayedJti: "client_assertion has already been used"
}

const segment = (value: Json): string => Buffer.from(JSON.stringify(value)).toString("base64url")

/** The fleet app's client-credentials request with a hand-made assertion. */
const sendAssertion = (assertion: string) =>
  Steps.postToTokenEndpoint({
    grant_type: "client_credentials",
    client_id: Client.FLEET.id,
    client_assertion_type: ClientAssertion.assertionType,
    client_assertion: assertion
  })

/** Claims of a good assertion for key-1 at the server's time, with the given jti. */
const goodClaims = (jti: string) =>
  Effect.gen(function* () {
    const server = yield* FakeServer
    const { audience } = (yield* server.state).policy
    return { aud: audience, iss: "key-1", ver: 2, iat: Math.floor((yield* server.now) / 1000), jti } as Json
  })

/** The assertion `defect` describes, built from good claims; a replay first spends its jti with success. */
const badAssertion = (defect: Defect, good: Json) =>
  Effect.gen(function* () {
    switch (defect._tag) {
      case "ForeignSignature":
        return signAssertion(good, { key: otherKey.privateKey })
      case "TamperedPayload": {
        const [header, , signature] = signAssertion(good).split(".")
        return `${header}.${segment({ ...good, ver: 3 })}.${signature}`
      }
      case "DerSignature":
        return signAssertion(good, { dsaEncoding: "der" })
      case "WrongAlgorithm":
        return signAssertion(good, { header: { alg: defect.alg, typ: "JWT" } })
      case "MissingClaim": {
        const { [defect.claim]: _, ...rest } = good
        return signAssertion(rest)
      }
      case "WrongAudience": {
        const aud = typeof defect.miss === "string" ? audienceMisses[defect.miss](String(good.aud)) : defect.miss.aud
        return signAssertion({ ...good, aud })
      }
      case "StaleIat":
        return signAssertion({ ...good, iat: Number(good.iat) + defect.secondsOff })
      case "ReplayedJti": {
        const first = signAssertion(good)
        expect((yield* sendAssertion(first)).status).toBe(200)
        if (!defect.resigned) return first
        yield* TestClock.adjust("1 second")
        return signAssertion({ ...good, iat: Number(good.iat) + 1 })
      }
    }
  })

/** The client-credentials grant through the core client acting as `as` with other `credentials`. */
const clientCredentialsWith = (as: Client.As, credentials: Credentials.Credentials) =>
  Effect.flatMap(TokenEndpoint.TokenEndpoint, (tokens) => tokens.clientCredentials()).pipe(
    Effect.provide(Client.actingAs(as, { credentials }))
  )

/** The core client's error for bad client credentials, in HM's style unless `status` and `error` say otherwise. */
const invalidClient = (description: string, status = 400, error = "invalid_request") => ({
  _tag: "OAuthProtocolError",
  status,
  error,
  description,
  reason: "InvalidClient"
})

for (const transport of transports) {
  describe(`client_credentials over ${transport.name}`, () => {
    it.effect.prop(
      "a good secret or a fresh assertion per request gets an application token, which reads no vehicle",
      { as: fc.constantFrom("other" as const, "fleet" as const), requests: fc.integer({ min: 1, max: 3 }) },
      ({ as, requests }) =>
        Effect.gen(function* () {
          const tokens = yield* TokenEndpoint.TokenEndpoint
          for (let i = 0; i < requests; i++) {
            const set = yield* tokens.clientCredentials()
            expect(set.refreshToken._tag).toBe("None")
            expect(yield* Effect.flip((yield* VehicleInfo.VehicleInfo).get(set.accessToken))).toMatchObject({
              reason: "InvalidToken"
            })
          }
          const issued = (yield* (yield* FakeServer).tokens).filter((token) => token.kind === "client_credentials")
          expect(issued.map((token) => token.status)).toEqual(Array(requests).fill("live"))
        }).pipe(Effect.provide(transport.layer(as))),
      sized(15)
    )

    it.effect.prop(
      "a bad assertion (signature, algorithm, claims, aud, stale iat, replayed jti) fails with invalid_request and the model's description",
      { defect: defects, jti: fc.uuid() },
      ({ defect, jti }) =>
        Effect.gen(function* () {
          yield* TestClock.setTime(T0)
          const assertion = yield* badAssertion(defect, yield* goodClaims(jti))
          const answer = yield* sendAssertion(assertion)
          expect(answer).toEqual({ status: 400, json: hmError(descriptionOf[defect._tag]) })
          // the same request made good succeeds: the refusal was the defect's
          expect((yield* sendAssertion(signAssertion(yield* goodClaims(`${jti}-good`)))).status).toBe(200)
        }).pipe(Effect.provide(transport.layer("fleet"))),
      sized(30)
    )

    it.effect.prop(
      "a wrong client secret fails with OAuthProtocolError InvalidClient, invalid_request and the model's description",
      {
        // core withholds the server's text from the errors of a request whose secret is under 8 characters
        secret: fc
          .string({ minLength: 8, maxLength: 64 })
          .filter((secret) => secret.trim() !== "" && secret !== Client.OTHER.secret)
      },
      ({ secret }) =>
        Effect.gen(function* () {
          const refused = clientCredentialsWith("other", Credentials.clientSecret(secret))
          expect(yield* Effect.flip(refused)).toMatchObject(invalidClient("client_secret is invalid"))
          yield* (yield* TokenEndpoint.TokenEndpoint).clientCredentials()
        }).pipe(Effect.provide(transport.layer("other"))),
      sized(20)
    )

    it.effect.prop(
      "an assertion signed with an expired key fails with OAuthProtocolError InvalidClient and the model's description",
      { secondsAfterExpiry: fc.integer({ min: 0, max: 10 * 365 * 86_400 }) },
      ({ secondsAfterExpiry }) =>
        Effect.gen(function* () {
          const [, expiring] = Client.FLEET.serviceAccountKeys
          yield* TestClock.setTime(expiring!.expiresAt! + secondsAfterExpiry * 1000)
          const expiredKey = Credentials.serviceAccount({
            id: expiring!.id,
            privateKeyPem: Redacted.make(otherKey.privateKey.export({ format: "pem", type: "pkcs8" }).toString())
          })
          expect(yield* Effect.flip(clientCredentialsWith("fleet", expiredKey))).toMatchObject(
            invalidClient("client_assertion is signed with an expired key")
          )
          yield* (yield* TokenEndpoint.TokenEndpoint).clientCredentials()
        }).pipe(Effect.provide(transport.layer("fleet"))),
      sized(10)
    )

    it.effect("in the rfc6749 error style the same failures carry the precise code: 401 invalid_client", () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(T0)
        const answer = yield* sendAssertion(signAssertion(yield* goodClaims("jti-1"), { key: otherKey.privateKey }))
        expect(answer).toEqual({ status: 401, json: oauthError("invalid_client", "client_assertion is invalid") })
        const refused = clientCredentialsWith("other", Credentials.clientSecret("not-the-secret"))
        expect(yield* Effect.flip(refused)).toMatchObject(
          invalidClient("client_secret is invalid", 401, "invalid_client")
        )
      }).pipe(Effect.provide(transport.layer("fleet", { policy: { errorStyle: "rfc6749" } })))
    )
  })
}
