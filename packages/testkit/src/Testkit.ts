/**
 * The fake server in memory: one layer that provides `HttpClient.HttpClient`, routing the API's paths to the
 * model so the core client's real encoding, decoding and retries run, and `FakeServer` to control it.
 * A fresh layer is a fresh server. Time is Effect's `Clock`, so `TestClock` drives expiry.
 *
 * ```ts
 * const TestLive = HmOAuth.layer.pipe(
 *   Layer.provide(HmOAuthConfig.layer({ clientId: "client-1", credentials: Credentials.clientSecret("secret-1") })),
 *   Layer.provideMerge(Testkit.layer({ clients: [{ id: "client-1", secret: "secret-1", redirectUris: [...] }] })))
 * ```
 *
 * @since 0.1.0
 */
import { HttpClient } from "@effect/platform"
import { Effect, Layer } from "effect"
import * as FakeServer from "./FakeServer.js"
import * as InMemoryHttpClient from "./InMemoryHttpClient.js"

/** An `HttpClient` that delivers every request to the fake server, as a request on the wire would arrive. */
export const httpClient: Effect.Effect<HttpClient.HttpClient, never, FakeServer.FakeServer> = Effect.map(
  FakeServer.FakeServer,
  (server) =>
    InMemoryHttpClient.make((incoming) =>
      server.handle({
        method: incoming.method,
        path: incoming.url.pathname,
        headers: incoming.headers,
        body: incoming.body
      })
    )
)

/** A fresh in-memory fake server and an `HttpClient` wired to it. */
export const layer = (
  options: FakeServer.Options = {}
): Layer.Layer<FakeServer.FakeServer | HttpClient.HttpClient, FakeServer.InvalidRegistration> =>
  Layer.effect(HttpClient.HttpClient, httpClient).pipe(
    Layer.provideMerge(Layer.effect(FakeServer.FakeServer, FakeServer.make(options)))
  )
