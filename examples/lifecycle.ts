/**
 * The single-car lifecycle (`npm run example:lifecycle`): every step of one grant with the core client over real HTTP.
 *
 * Without configuration it starts the test kit's fake server on a free loopback port (the demo set) and walks:
 * consent (following the 302), code exchange with PKCE, vehicle info, refresh, revocation, vehicle info refused,
 * and client credentials with a client assertion. With `HM_OAUTH_CLIENT_ID` set it talks to the configured
 * High Mobility environment instead (`HmOAuthConfig.layerConfig`) and runs the steps that need no human:
 * client credentials, and the code exchange when `HM_OAUTH_CODE` and `HM_OAUTH_REDIRECT_URI` are given
 * (with `HM_OAUTH_CODE_VERIFIER` for a PKCE app).
 */

import { NodeFileSystem, NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import {
  Authorization,
  Credentials,
  HmOAuth,
  HmOAuthConfig,
  Revocation,
  TokenEndpoint,
  VehicleInfo
} from "@hm-oauth/core"
import { Demo, FakeHttpServer } from "@hm-oauth/testkit"
import { Config, Console, Effect, Layer, Option } from "effect"
import { describeTokens, step, steps } from "./transcript.js"

/** Core's services for one client of the configured server, over undici. */
const client = (options: HmOAuthConfig.Options) =>
  HmOAuth.layer.pipe(Layer.provideMerge(HmOAuthConfig.layer(options)), Layer.provide(NodeHttpClient.layerUndici))

/** Consent as the car owner: open the consent page and follow its redirect back to the app. */
const consent = (redirectUri: string) =>
  Effect.gen(function* () {
    const request = yield* Authorization.begin({ redirectUri, pkce: true })
    const page = yield* Effect.promise(() => fetch(request.url, { redirect: "manual" }))
    const callback = page.headers.get("location") ?? ""
    const code = yield* Authorization.parseCallback(callback, request.state)
    yield* step("consent", `${page.status} to ${new URL(callback).pathname}, state matches, code ${code}`)
    return { ...request, code }
  })

/** The consent-flow lifecycle of one car, as the demo web app. */
const consentFlow = Effect.gen(function* () {
  const redirectUri = Demo.webClient.redirectUris[0]
  const consented = yield* consent(redirectUri)
  const tokens = yield* TokenEndpoint.TokenEndpoint
  const first = yield* tokens.exchangeCode(consented)
  yield* step("exchange code", describeTokens(first))
  const vehicles = yield* VehicleInfo.VehicleInfo
  const car = yield* vehicles.get(first.accessToken)
  yield* step("vehicle info", `vin ${car.vin}, sub ${car.sub}`)
  const second = yield* tokens.refresh(Option.getOrThrow(first.refreshToken))
  yield* step("refresh", describeTokens(second))
  yield* (yield* Revocation.Revocation).revoke({
    token: Option.getOrThrow(second.refreshToken),
    tokenTypeHint: "refresh_token"
  })
  yield* step("revoke", "the refresh token, and with it the grant's access tokens")
  const refused = yield* vehicles.get(second.accessToken).pipe(
    Effect.matchEffect({
      onSuccess: () => Effect.dieMessage("vehicle info still answered after the revocation"),
      onFailure: (error) => (error._tag === "Unauthorized" ? Effect.succeed(error) : Effect.fail(error))
    })
  )
  yield* step("vehicle info", `refused as expected: ${refused._tag} (${refused.reason}: ${refused.description})`)
})

/** An application token for the demo service account, with a signed client assertion. */
const applicationToken = (keyId: string) =>
  Effect.gen(function* () {
    const tokens = yield* (yield* TokenEndpoint.TokenEndpoint).clientCredentials()
    yield* step("client credentials", `client assertion signed by key ${keyId}: ${describeTokens(tokens)}`)
  })

/** Everything against the fake server, started here on a free loopback port with the demo set. */
const againstTheFake = Effect.suspend(() => {
  const demo = Demo.make()
  return Effect.gen(function* () {
    const baseUrl = yield* FakeHttpServer.baseUrl
    yield* Console.log(`hm-oauth lifecycle against the test kit's fake server at ${baseUrl}\n`)
    // the fake's consent page answers at once for a car it is given (`vin=`), where a person would click
    const common = { baseUrl, consentPageUrl: `${baseUrl}/oauth/new?vin=${Demo.vin}` }
    yield* consentFlow.pipe(
      Effect.provide(
        client({ ...common, clientId: Demo.webClient.id, credentials: Credentials.clientSecret(Demo.webClient.secret) })
      )
    )
    const key = yield* Credentials.serviceAccountKeyFromJson(JSON.stringify(demo.serviceAccountKey))
    yield* applicationToken(key.id).pipe(
      Effect.provide(client({ ...common, clientId: Demo.fleetClientId, credentials: Credentials.serviceAccount(key) }))
    )
  }).pipe(Effect.provide(FakeHttpServer.layer(demo.options)))
})

/** Steps that need no human, against the environment `HM_OAUTH_*` configures. */
const againstHighMobility = Effect.gen(function* () {
  const config = yield* HmOAuthConfig.HmOAuthConfig
  yield* Console.log(`hm-oauth against ${config.baseUrl} as client ${config.clientId}\n`)
  const tokens = yield* TokenEndpoint.TokenEndpoint
  yield* step("client credentials", describeTokens(yield* tokens.clientCredentials()))
  const code = yield* Config.option(Config.redacted("HM_OAUTH_CODE"))
  if (Option.isNone(code))
    return yield* Console.log("\n(set HM_OAUTH_CODE and HM_OAUTH_REDIRECT_URI to exchange a code)")
  const redirectUri = yield* Config.string("HM_OAUTH_REDIRECT_URI")
  const codeVerifier = Option.getOrUndefined(yield* Config.option(Config.redacted("HM_OAUTH_CODE_VERIFIER")))
  const granted = yield* tokens.exchangeCode({ code: code.value, redirectUri, codeVerifier })
  yield* step("exchange code", describeTokens(granted))
  const car = yield* (yield* VehicleInfo.VehicleInfo).get(granted.accessToken)
  yield* step("vehicle info", `vin ${car.vin}, sub ${car.sub}`)
}).pipe(
  Effect.provide(
    HmOAuth.layer.pipe(
      Layer.provideMerge(HmOAuthConfig.layerConfig),
      Layer.provide([NodeHttpClient.layerUndici, NodeFileSystem.layer])
    )
  )
)

const main = Effect.gen(function* () {
  const configured = Option.isSome(yield* Config.option(Config.string("HM_OAUTH_CLIENT_ID")))
  yield* configured ? againstHighMobility : againstTheFake
  yield* Console.log(`\ndone: ${steps()} steps, each as expected`)
})

NodeRuntime.runMain(main)
