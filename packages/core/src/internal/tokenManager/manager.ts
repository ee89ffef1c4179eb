/**
 * Wires the manager: settings, the in-memory caches, single flights per grant and per scope, the permits bounding
 * refreshes in flight, the events, and the sweep that lets idle tokens go.
 *
 * The cached path of `accessToken` is one map lookup and one clock read, with no span: a span costs some twenty
 * times the lookup (see the benchmark), while anything that reads the store or the network is one.
 */
import { Duration, Effect, PubSub, Redacted, Schedule, Stream } from "effect"
import { HmOAuthConfig } from "../../HmOAuthConfig.js"
import type { TokenEndpointError } from "../../HmOAuthError.js"
import { Revocation } from "../../Revocation.js"
import { TokenEndpoint } from "../../TokenEndpoint.js"
import type { AccessTokenError, Options, Service, TokenEvent } from "../../TokenManager.js"
import type { TokenSet } from "../../TokenSet.js"
import { TokenStore } from "../../TokenStore.js"
import { VehicleInfo } from "../../VehicleInfo.js"
import { TokenCache } from "./cache.js"
import * as Flights from "./flights.js"
import * as Grants from "./grants.js"
import { resolve } from "./settings.js"

/** A slow subscriber of `events` loses the oldest events past this many, rather than holding memory. */
const eventBuffer = 1024

const scopeKey = (scope: string | ReadonlyArray<string> | undefined): string =>
  scope === undefined ? "" : typeof scope === "string" ? scope : scope.join(" ")

export const make = (options: Options) =>
  Effect.gen(function* () {
    const config = yield* HmOAuthConfig
    const settings = yield* resolve(options, config)
    const store = yield* TokenStore
    const endpoint = yield* TokenEndpoint
    const clock = yield* Effect.clock
    const cache = new TokenCache()
    const applicationTokens = new TokenCache()
    const events = yield* Effect.acquireRelease(PubSub.sliding<TokenEvent>(eventBuffer), PubSub.shutdown)
    const grants = Grants.make({
      store,
      endpoint,
      revocation: yield* Revocation,
      vehicles: yield* VehicleInfo,
      clientId: config.clientId,
      settings,
      clock,
      cache,
      permits: yield* Effect.makeSemaphore(settings.maxRefreshesInFlight),
      publish: (event) => PubSub.publish(events, event)
    })
    const grantFlights = yield* Flights.make<Redacted.Redacted<string>, AccessTokenError>()
    const applicationFlights = yield* Flights.make<Redacted.Redacted<string>, TokenEndpointError>()

    // idle expiry: tokens unread for the idle time, or expired, leave memory
    yield* Effect.sync(() => {
      const now = clock.unsafeCurrentTimeMillis()
      cache.sweep(now, settings.idleTimeToLive)
      applicationTokens.sweep(now, settings.idleTimeToLive)
    }).pipe(Effect.repeat(Schedule.spaced(Duration.millis(settings.idleTimeToLive))), Effect.forkScoped)

    const renewInBackground = (grantId: string) =>
      grantFlights.start(grantId, () => grants.settle(grantId, Grants.renew))

    // `useSpan`, not `withSpan`: nothing runs under the caller's span (a flight runs in a fiber of the manager's), so
    // the caller's context is left as it is; setting and restoring it is most of a span's cost, and in a storm every
    // waiting caller pays it
    const slowAccessToken = (grantId: string) =>
      Effect.useSpan("TokenManager.accessToken", { attributes: { grantId }, captureStackTrace: false }, () =>
        Effect.suspend(() => {
          const entry = cache.get(grantId)
          // past its refresh point but still valid: served while a refresh runs in the background
          if (entry !== undefined && clock.unsafeCurrentTimeMillis() < entry.expiresAt) {
            renewInBackground(grantId)
            return entry.served
          }
          return Effect.tap(
            grantFlights.join(grantId, () => grants.settle(grantId, Grants.answer)),
            () => {
              // the store's token was valid but due: the caller has it, the renewal starts now
              const served = cache.get(grantId)
              const now = clock.unsafeCurrentTimeMillis()
              if (served !== undefined && now >= served.refreshAt && now < served.expiresAt) renewInBackground(grantId)
            }
          )
        })
      )

    const accessToken = (grantId: string) =>
      Effect.suspend(() => cache.fresh(grantId, clock.unsafeCurrentTimeMillis())?.served ?? slowAccessToken(grantId))

    const invalidate = Effect.fn("TokenManager.invalidate")(function* (
      grantId: string,
      rejected: Redacted.Redacted<string>
    ) {
      yield* Effect.annotateCurrentSpan("grantId", grantId)
      const isRejected = (token: Redacted.Redacted<string>) => Redacted.value(token) === Redacted.value(rejected)
      const entry = cache.get(grantId)
      if (entry !== undefined && isRejected(entry.token)) cache.delete(grantId)
      // a flight under way may bring the new token already; else (or if it brings the same) refresh past it
      if (grantFlights.running(grantId)) {
        const token = yield* grantFlights.join(grantId, () => grants.settle(grantId, Grants.answer))
        if (!isRejected(token)) return token
      }
      return yield* grantFlights.join(grantId, () => grants.settle(grantId, { _tag: "Replace", rejected }))
    })

    const renewApplicationToken = (key: string, scope: string | ReadonlyArray<string> | undefined) =>
      Effect.gen(function* () {
        const startedAt = clock.unsafeCurrentTimeMillis()
        const tokens: TokenSet = yield* endpoint.clientCredentials({ scope })
        const finishedAt = clock.unsafeCurrentTimeMillis()
        const expiresAt = tokens.expiresAt.epochMillis - (finishedAt - startedAt) - settings.clockSkew
        // a five-minute token cannot be renewed five minutes ahead: renew it when a fifth of its life is left
        const ahead = Math.min(settings.refreshAhead, Math.max(0, expiresAt - startedAt) / 5)
        applicationTokens.set(key, tokens.accessToken, expiresAt - ahead, expiresAt, finishedAt)
        return tokens.accessToken
      }).pipe(Effect.withSpan("TokenManager.renewApplicationToken", { attributes: { scope: key } }))

    const applicationToken = (scope?: string | ReadonlyArray<string>) =>
      Effect.suspend(() => {
        const key = scopeKey(scope)
        const now = clock.unsafeCurrentTimeMillis()
        const fresh = applicationTokens.fresh(key, now)
        if (fresh !== undefined) return fresh.served
        const entry = applicationTokens.get(key)
        return Effect.suspend(() => {
          if (entry !== undefined && now < entry.expiresAt) {
            applicationFlights.start(key, () => renewApplicationToken(key, scope))
            return entry.served
          }
          return applicationFlights.join(key, () => renewApplicationToken(key, scope))
        }).pipe(Effect.withSpan("TokenManager.applicationToken", { attributes: { scope: key } }))
      })

    const service: Service = {
      onboard: Effect.fn("TokenManager.onboard")(function* (grantId: string, tokens: TokenSet) {
        yield* Effect.annotateCurrentSpan("grantId", grantId)
        return yield* grants.onboard(grantId, tokens)
      }),
      accessToken,
      invalidate,
      applicationToken,
      revoke: Effect.fn("TokenManager.revoke")(function* (grantId: string) {
        yield* Effect.annotateCurrentSpan("grantId", grantId)
        return yield* grants.revoke(grantId)
      }),
      forget: Effect.fn("TokenManager.forget")(function* (grantId: string) {
        yield* Effect.annotateCurrentSpan("grantId", grantId)
        return yield* grants.forget(grantId)
      }),
      events: Stream.fromPubSub(events),
      stats: Effect.map(Effect.all([grantFlights.size, applicationFlights.size]), ([grantFlying, appFlying]) => ({
        cachedGrants: cache.size,
        flights: grantFlying + appFlying,
        applicationTokens: applicationTokens.size
      }))
    }
    return service
  })
