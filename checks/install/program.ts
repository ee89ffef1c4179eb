/**
 * A user's first program, type-checked with `strict` and run in a scratch project where the packages are installed
 * from their tarballs: a consent, a code exchange and a vehicle read against the in-memory fake.
 */
import { Credentials, HmOAuth, HmOAuthConfig, type HmOAuthError, TokenEndpoint, VehicleInfo } from "@hm-oauth/core"
import { FakeServer } from "@hm-oauth/testkit"
import { Effect, Layer } from "effect"

const vin = "WBA00000000000001"
const redirectUri = "https://app.example/cb"
const client = { id: "app", secret: "app-client-secret", redirectUris: [redirectUri] }

const live = HmOAuth.layer.pipe(
  Layer.provide(HmOAuthConfig.layer({ clientId: client.id, credentials: Credentials.clientSecret(client.secret) })),
  Layer.provideMerge(FakeServer.layer({ clients: [client], vehicles: [{ vin }] }))
)

/** Every way vehicle info can fail, and nothing else: the switch must name them all to compile. */
const explain = (error: HmOAuthError.VehicleInfoError): string => {
  switch (error._tag) {
    case "Unauthorized":
    case "InvalidAccessToken":
      return "consent again"
    case "RateLimited":
    case "ServerUnavailable":
    case "RequestTimeout":
    case "TransportError":
    case "UnexpectedResponse":
      return "try later"
  }
}

const program = Effect.gen(function* () {
  const fake = yield* FakeServer.FakeServer
  const { code } = yield* fake.authorize({ clientId: client.id, redirectUri, vin })
  const tokens = yield* (yield* TokenEndpoint.TokenEndpoint).exchangeCode({ code, redirectUri })
  const car = yield* (yield* VehicleInfo.VehicleInfo)
    .get(tokens.accessToken)
    .pipe(Effect.catchAll((error) => Effect.dieMessage(explain(error))))
  return { vin: car.vin, token: String(tokens.accessToken) }
})

const result = await Effect.runPromise(program.pipe(Effect.provide(live)))
console.log(JSON.stringify(result))
