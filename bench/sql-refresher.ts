/**
 * One process of the `sql-store` benchmark's refresh group: a `TokenManager` over a store (the memory store, or
 * the PostgreSQL store at the URL given) against the served fake, driven over IPC by the benchmark:
 * - `{ onboard: codes }`: exchanges each authorization code and onboards the grant (under its authorization id);
 * - `{ refreshes: n }`: `n` refresh cycles over its grants, `inFlight` at a time, each a cached `accessToken` and an
 *   `invalidate` of that token, which refreshes it through the store (claim, refresh at the fake, commit); answers
 *   with the milliseconds it took.
 *
 * `node bench/dist/sql-refresher.js BASE_URL memory|postgres://… IN_FLIGHT`, the store's key in `HM_OAUTH_STORE_KEY`.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Credentials, HmOAuth, HmOAuthConfig, TokenEndpoint, TokenManager, TokenStore } from "@hm-oauth/core"
import { SqlTokenStore } from "@hm-oauth/sql"
import { Effect, Layer, ManagedRuntime, Redacted, Schema } from "effect"
import { encryptionOf, fleetClient } from "./sql-fleet.js"

const [baseUrl, store, inFlightText] = process.argv.slice(2)
const inFlight = Number(inFlightText)

const Command = Schema.Union(
  Schema.Struct({ onboard: Schema.Array(Schema.String) }),
  Schema.Struct({ refreshes: Schema.Number })
)

const storeLayer =
  store === "memory"
    ? TokenStore.layerMemory
    : SqlTokenStore.layerPg({
        url: Redacted.make(store!),
        encryption: encryptionOf(process.env.HM_OAUTH_STORE_KEY ?? ""),
        maxConnections: 8
      })

const runtime = ManagedRuntime.make(
  TokenManager.layer().pipe(
    Layer.provideMerge(storeLayer),
    Layer.provideMerge(HmOAuth.layer),
    Layer.provideMerge(
      HmOAuthConfig.layer({
        clientId: fleetClient.id,
        credentials: Credentials.clientSecret(fleetClient.secret),
        baseUrl
      })
    ),
    Layer.provide(NodeHttpClient.layerUndici),
    Layer.orDie
  )
)

const grants: Array<string> = []

const onboard = (codes: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const endpoint = yield* TokenEndpoint.TokenEndpoint
    const manager = yield* TokenManager.TokenManager
    for (const code of codes) {
      const tokens = yield* endpoint.exchangeCode({
        code: Redacted.make(code),
        redirectUri: fleetClient.redirectUris[0]!
      })
      const grantId = tokens.authorizationId.pipe((id) => (id._tag === "Some" ? id.value : `grant-${grants.length}`))
      yield* manager.onboard(grantId, tokens)
      grants.push(grantId)
    }
  }).pipe(Effect.orDie)

const refreshes = (count: number) =>
  Effect.gen(function* () {
    const manager = yield* TokenManager.TokenManager
    const start = performance.now()
    let next = 0
    const worker = Effect.gen(function* () {
      while (next < count) {
        const grantId = grants[next++ % grants.length]!
        yield* manager.invalidate(grantId, yield* manager.accessToken(grantId))
      }
    })
    yield* Effect.all(
      Array.from({ length: inFlight }, () => worker),
      { concurrency: "unbounded", discard: true }
    )
    return performance.now() - start
  }).pipe(Effect.orDie)

process.on("disconnect", () => process.exit(0))
process.on("message", (message) => {
  const command = Schema.decodeUnknownSync(Command)(message)
  const work = "onboard" in command ? Effect.as(onboard(command.onboard), 0) : refreshes(command.refreshes)
  void runtime.runPromise(work).then((millis) => process.send!({ millis }))
})
process.send!({ ready: true })
