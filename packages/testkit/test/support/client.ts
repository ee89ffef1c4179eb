/**
 * The core client wired to a fresh in-memory fake server: what a user of the test kit writes, shared by the
 * client-level tests. Retries use a short exponential schedule without jitter so delays are exact.
 */
import { HttpClient } from "@effect/platform"
import {
  Credentials,
  HmOAuth,
  HmOAuthConfig,
  type Retry,
  type Revocation,
  type TokenEndpoint,
  type VehicleInfo
} from "@hm-oauth/core"
import { Effect, Layer, Redacted, Schedule } from "effect"
import * as FakeServer from "../../src/FakeServer.js"
import { FLEET, NATIVE, OTHER, serviceKey, VIN, WEB } from "../fixtures.js"

export { FLEET, NATIVE, OTHER, VIN, WEB }

/** 100 ms, 200 ms, 400 ms: three retries, no jitter. */
export const exactRetries: Retry.RetrySchedule = Schedule.exponential("100 millis", 2).pipe(
  Schedule.intersect(Schedule.recurs(3))
)

/**
 * The per-attempt timeout of suites that move the TestClock far and never hang a request. Every request leaves
 * its timeout among the clock's pending sleeps until that instant comes, and an advance past them wakes them
 * one at a time, each after a few turns of the event loop (about 4 ms): a timeout beyond any advance of those
 * suites leaves them asleep. The fault suite keeps the default 10 seconds, which its hangs need.
 */
export const distantTimeout: Partial<HmOAuthConfig.Options> = { timeout: "365 days" }

/** Whose credentials the core client uses: the confidential web app, the public native app, another
 * confidential app, or the fleet app that signs client assertions with its service-account key `key-1`. */
export type As = "web" | "native" | "other" | "fleet"

const fleetKey = Credentials.serviceAccount({
  id: "key-1",
  privateKeyPem: Redacted.make(serviceKey.privateKey.export({ format: "pem", type: "pkcs8" }).toString())
})

const identities: Record<As, { readonly clientId: string; readonly credentials: Credentials.Credentials }> = {
  web: { clientId: WEB.id, credentials: Credentials.clientSecret(WEB.secret) },
  native: { clientId: NATIVE.id, credentials: Credentials.none },
  other: { clientId: OTHER.id, credentials: Credentials.clientSecret(OTHER.secret) },
  fleet: { clientId: FLEET.id, credentials: fleetKey }
}

/** Core's three services. */
export type Core = TokenEndpoint.TokenEndpoint | Revocation.Revocation | VehicleInfo.VehicleInfo

/**
 * What a test gets: core's three services, the fake server's control service, and the configuration and
 * `HttpClient` they run on, for hand-made requests and for a second client over the same server.
 */
export type Services = Core | FakeServer.FakeServer | HmOAuthConfig.HmOAuthConfig | HttpClient.HttpClient

/** The server's options with the registered clients (web, native, other, fleet) and vehicle `VIN` by default. */
export const serverOptions = (server: FakeServer.Options = {}): FakeServer.Options => ({
  clients: [WEB, NATIVE, OTHER, FLEET],
  vehicles: [{ vin: VIN }],
  ...server
})

/**
 * Core's three services as `as` over the `HttpClient` a transport provides. The configuration and that very
 * `HttpClient` are handed on too, so a test can send hand-made requests to the same server.
 */
export const core = (
  as: As = "web",
  config: Partial<HmOAuthConfig.Options> = {}
): Layer.Layer<Exclude<Services, FakeServer.FakeServer>, never, HttpClient.HttpClient> =>
  HmOAuth.layer.pipe(
    Layer.provideMerge(HmOAuthConfig.layer({ ...identities[as], retrySchedule: exactRetries, ...config })),
    Layer.merge(Layer.effect(HttpClient.HttpClient, HttpClient.HttpClient)),
    Layer.orDie
  )

/** Core's three services as `as`, plus `FakeServer`, over one fresh in-memory server. */
export const layer = (
  as: As = "web",
  server: FakeServer.Options = {},
  config: Partial<HmOAuthConfig.Options> = {}
): Layer.Layer<Services> =>
  core(as, config).pipe(Layer.provideMerge(FakeServer.layer(serverOptions(server))), Layer.orDie)

/**
 * Core's three services acting as `as` over the same server as the test's own client: the same address,
 * timeout and retries, another identity (overridable in `config`, e.g. a wrong secret).
 */
export const actingAs = (
  as: As,
  config: Partial<HmOAuthConfig.Options> = {}
): Layer.Layer<Core, never, HmOAuthConfig.HmOAuthConfig | HttpClient.HttpClient> =>
  HmOAuth.layer.pipe(
    Layer.provide(
      Layer.unwrapEffect(
        Effect.map(HmOAuthConfig.HmOAuthConfig, (own) =>
          HmOAuthConfig.layer({
            ...identities[as],
            baseUrl: own.baseUrl,
            timeout: own.timeout,
            retrySchedule: own.retrySchedule,
            ...config
          })
        )
      )
    ),
    Layer.orDie
  )
