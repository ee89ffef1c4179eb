import { describe, expect, it } from "@effect/vitest"
import { Pkce, Revocation, TokenEndpoint, VehicleInfo } from "@hm-oauth/core"
import { Duration, Effect, Fiber, Option, Redacted, TestClock } from "effect"
import { FakeServer } from "../src/FakeServer.js"
import * as Faults from "../src/Faults.js"
import * as Model from "../src/Model.js"
import * as Client from "./support/client.js"

const redirectUri = Client.WEB.redirectUris[0]!

/** Consents as the owner of VIN for the web app and exchanges the code: the client's first tokens. */
const consentAndExchange = Effect.gen(function* () {
  const server = yield* FakeServer
  const { code } = yield* server.authorize({ clientId: Client.WEB.id, redirectUri, vin: Client.VIN })
  return yield* (yield* TokenEndpoint.TokenEndpoint).exchangeCode({ code, redirectUri })
})

describe("FakeServer.layer: the core client against the in-memory server", () => {
  it.effect("the whole lifecycle: consent, exchange, vehicleinfo, refresh, revoke, refused", () =>
    Effect.gen(function* () {
      const tokens = yield* TokenEndpoint.TokenEndpoint
      const vehicles = yield* VehicleInfo.VehicleInfo
      const first = yield* consentAndExchange
      expect((yield* vehicles.get(first.accessToken)).vin).toBe(Client.VIN)
      const second = yield* tokens.refresh(Option.getOrThrow(first.refreshToken))
      expect((yield* vehicles.get(second.accessToken)).vin).toBe(Client.VIN)
      yield* (yield* Revocation.Revocation).revoke({ token: Option.getOrThrow(second.refreshToken) })
      const refused = yield* Effect.flip(vehicles.get(second.accessToken))
      expect(refused).toMatchObject({ _tag: "Unauthorized", reason: "InvalidToken" })
      const history = yield* (yield* FakeServer).history
      expect(history.map((entry) => `${entry.method} ${entry.path} ${entry.status}`)).toEqual([
        "POST /v1/access_tokens 200",
        "GET /v1/vehicleinfo 200",
        "POST /v1/access_tokens 200",
        "GET /v1/vehicleinfo 200",
        "DELETE /v1/access_tokens 200",
        "GET /v1/vehicleinfo 401"
      ])
    }).pipe(Effect.provide(Client.layer()))
  )

  it.effect("a public app with PKCE: the verifier it keeps redeems the code", () =>
    Effect.gen(function* () {
      const pkce = yield* Pkce.make
      const redirect = Client.NATIVE.redirectUris[0]!
      const { code } = yield* (yield* FakeServer).authorize({
        clientId: Client.NATIVE.id,
        redirectUri: redirect,
        vin: Client.VIN,
        codeChallenge: pkce.challenge
      })
      const tokens = yield* (yield* TokenEndpoint.TokenEndpoint).exchangeCode({
        code,
        redirectUri: redirect,
        codeVerifier: pkce.verifier
      })
      expect((yield* (yield* VehicleInfo.VehicleInfo).get(tokens.accessToken)).vin).toBe(Client.VIN)
    }).pipe(Effect.provide(Client.layer("native")))
  )

  it.effect("TestClock expires access tokens: valid until expires_in has elapsed, refused after", () =>
    Effect.gen(function* () {
      const tokens = yield* consentAndExchange
      const vehicles = yield* VehicleInfo.VehicleInfo
      yield* TestClock.adjust("3599 seconds")
      expect((yield* vehicles.get(tokens.accessToken)).vin).toBe(Client.VIN)
      yield* TestClock.adjust("1 second")
      expect(yield* Effect.flip(vehicles.get(tokens.accessToken))).toMatchObject({ reason: "ExpiredToken" })
    }).pipe(Effect.provide(Client.layer()))
  )

  it.effect("a fresh layer is a fresh server", () =>
    Effect.gen(function* () {
      yield* consentAndExchange.pipe(Effect.provide(Client.layer()))
      const tokens = yield* (yield* FakeServer).tokens
      expect(tokens).toEqual([])
    }).pipe(Effect.provide(Client.layer()))
  )
})

describe("FakeServer: the clock, reset and the step seam", () => {
  it.effect("refuses a clock advance that is not finite or out of range, changing nothing", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer
      const before = yield* server.now
      for (const duration of [Duration.infinity, Duration.millis(8.64e15)]) {
        expect(yield* Effect.flip(server.advanceClock(duration))).toMatchObject({ _tag: "ClockOutOfRange" })
      }
      expect(yield* server.now).toBe(before)
      yield* server.advanceClock("1 day")
      expect((yield* server.now) - before).toBe(86_400_000)
    }).pipe(Effect.provide(Client.layer()))
  )

  it.effect("reset keeps the clock's advance unless told to rewind, and forgets every consent and token", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer
      yield* consentAndExchange
      yield* server.advanceClock("1 hour")
      yield* server.reset()
      expect(yield* server.now).toBe(3_600_000)
      expect(yield* server.tokens).toEqual([])
      yield* server.reset({ rewindClock: true })
      expect(yield* server.now).toBe(0)
    }).pipe(Effect.provide(Client.layer()))
  )

  it.effect("answers through the step it was given: the seam a conformance kit builds broken servers on", () =>
    Effect.gen(function* () {
      // a mutant that never rotates: it answers every refresh with the refresh token it was sent
      const first = yield* consentAndExchange
      const again = yield* (yield* TokenEndpoint.TokenEndpoint).refresh(Option.getOrThrow(first.refreshToken))
      expect(Redacted.value(Option.getOrThrow(again.refreshToken))).toBe(
        Redacted.value(Option.getOrThrow(first.refreshToken))
      )
    }).pipe(
      Effect.provide(
        Client.layer("web", {
          step: (state, now, request) => {
            const [response, next] = Model.step(state, now, request)
            const sent = request.body.includes('"refresh_token"') ? JSON.parse(request.body).refresh_token : undefined
            if (sent === undefined || response.status !== 200) return [response, next]
            return [{ ...response, body: JSON.stringify({ ...JSON.parse(response.body), refresh_token: sent }) }, next]
          }
        })
      )
    )
  )
})

describe("HM's other 401 shapes, as the core client reads them", () => {
  for (const shape of ["oauth", "errors", "array"] as const) {
    it.effect(
      `${shape}: an expired token, a consent removed by the OEM and one past its validity keep their reasons`,
      () =>
        Effect.gen(function* () {
          const server = yield* FakeServer
          const vehicles = yield* VehicleInfo.VehicleInfo
          const expired = yield* consentAndExchange
          yield* TestClock.adjust("3600 seconds")
          expect(yield* Effect.flip(vehicles.get(expired.accessToken))).toMatchObject({
            _tag: "Unauthorized",
            reason: "ExpiredToken"
          })
          const removed = yield* server.authorize({ clientId: Client.WEB.id, redirectUri, vin: Client.VIN })
          const removedTokens = yield* (yield* TokenEndpoint.TokenEndpoint).exchangeCode({
            code: removed.code,
            redirectUri
          })
          yield* server.withdraw(removed.authorizationId, { by: "oem" })
          expect(yield* Effect.flip(vehicles.get(removedTokens.accessToken))).toMatchObject({
            reason: "ConsentRevoked"
          })
          const now = yield* server.now
          const ended = yield* server.authorize({
            clientId: Client.WEB.id,
            redirectUri,
            vin: Client.VIN,
            validUntil: now + 1000
          })
          const endedTokens = yield* (yield* TokenEndpoint.TokenEndpoint).exchangeCode({
            code: ended.code,
            redirectUri
          })
          yield* TestClock.adjust("1 second")
          expect(yield* Effect.flip(vehicles.get(endedTokens.accessToken))).toMatchObject({ reason: "NoActiveConsent" })
        }).pipe(Effect.provide(Client.layer("web", { policy: { resourceErrorShape: shape } })))
    )
  }
})

describe("faults, as the core client meets them", () => {
  it.effect("5xx on the first two vehicleinfo requests: retried, third succeeds", () =>
    Effect.gen(function* () {
      const tokens = yield* consentAndExchange
      yield* (yield* FakeServer).setFaults([Faults.on("vehicleInfo", [1, 2], Faults.serverError(503))])
      const fiber = yield* Effect.fork((yield* VehicleInfo.VehicleInfo).get(tokens.accessToken))
      yield* TestClock.adjust("1 second")
      expect((yield* Fiber.join(fiber)).vin).toBe(Client.VIN)
    }).pipe(Effect.provide(Client.layer()))
  )

  it.effect("commit-then-lose on a refresh: OutcomeUnknown, and the server did rotate", () =>
    Effect.gen(function* () {
      const first = yield* consentAndExchange
      const server = yield* FakeServer
      yield* server.setFaults([Faults.on("token", [1], Faults.commitThenLose)])
      const lost = yield* Effect.flip(
        (yield* TokenEndpoint.TokenEndpoint).refresh(Option.getOrThrow(first.refreshToken))
      )
      expect(lost).toMatchObject({
        _tag: "OutcomeUnknown",
        failure: { _tag: "TransportError", mayHaveReachedServer: true }
      })
      const refresh = (yield* server.tokens).filter((token) => token.kind === "refresh")
      expect(refresh.map((token) => token.status)).toEqual(["superseded", "live"])
    }).pipe(Effect.provide(Client.layer()))
  )

  it.effect("a refused connection is retried even for a refresh: the server never saw it", () =>
    Effect.gen(function* () {
      const first = yield* consentAndExchange
      yield* (yield* FakeServer).setFaults([Faults.on("token", [1, 2], Faults.refused)])
      const fiber = yield* Effect.fork(
        (yield* TokenEndpoint.TokenEndpoint).refresh(Option.getOrThrow(first.refreshToken))
      )
      yield* TestClock.adjust("1 second")
      const second = yield* Fiber.join(fiber)
      expect(Option.isSome(second.refreshToken)).toBe(true)
    }).pipe(Effect.provide(Client.layer()))
  )

  it.effect("an HTML error page and malformed JSON become typed errors", () =>
    Effect.gen(function* () {
      const first = yield* consentAndExchange
      const server = yield* FakeServer
      yield* server.setFaults([Faults.on("vehicleInfo", [1], Faults.malformedJson)])
      const garbled = yield* Effect.flip((yield* VehicleInfo.VehicleInfo).get(first.accessToken))
      expect(garbled).toMatchObject({ _tag: "UnexpectedResponse", status: 200 })
      yield* server.setFaults([Faults.on("token", [1], Faults.htmlErrorPage(502))])
      const page = yield* Effect.flip(
        (yield* TokenEndpoint.TokenEndpoint).refresh(Option.getOrThrow(first.refreshToken))
      )
      expect(page).toMatchObject({ _tag: "OutcomeUnknown", failure: { _tag: "ServerUnavailable", status: 502 } })
    }).pipe(Effect.provide(Client.layer()))
  )
})
