/**
 * A valid access token for every grant, refreshed once, never lost: the token lifecycle over `TokenEndpoint` and a
 * `TokenStore`, in one process or on many machines sharing the store.
 *
 * - `accessToken(grantId)` serves the token from memory while it is fresh, refreshes it ahead of expiry (in the
 *   background, jittered per grant) and waits for the refresh once it has expired.
 * - One refresh per grant is in flight at the server, everywhere: callers in one process share one, and processes
 *   coordinate through the store's lease (a compare-and-set on the record's version, never a lock held across the
 *   HTTP call).
 * - New tokens are committed to the store before anyone sees them, and nothing interrupts the step from the
 *   server's answer to the commit. A process that dies inside that step loses the rotated refresh token: the next
 *   holder retries once with the stored one, and if the server refuses it the grant is dead with reason
 *   `RotationLost` (the README states this window).
 * - Transient failures never kill a grant: the old token is served while valid, then `RefreshUnavailable`, with
 *   backoff that honours `Retry-After`.
 * - Pending consents (BMW, MINI) answer `GrantPending` and are checked again at a bounded rate with vehicle info,
 *   which rotates nothing.
 *
 * @since 0.2.0
 */
import {
  Config,
  type ConfigError,
  Context,
  Data,
  type DateTime,
  type Duration,
  Effect,
  Layer,
  Option,
  type Redacted,
  Schema,
  type Scope,
  type Stream
} from "effect"
import type { HmOAuthConfig } from "./HmOAuthConfig.js"
import type { RevocationError, TokenEndpointError } from "./HmOAuthError.js"
import * as internal from "./internal/tokenManager/manager.js"
import type { Revocation } from "./Revocation.js"
import type { TokenEndpoint } from "./TokenEndpoint.js"
import type { TokenSet } from "./TokenSet.js"
import { DeadReason, type GrantExists, type GrantStatus, type TokenStore, type TokenStoreError } from "./TokenStore.js"
import type { VehicleInfo } from "./VehicleInfo.js"

/**
 * No grant is stored under this id: onboard it (after the owner's consent), or check the id.
 *
 * @since 0.2.0
 * @category errors
 */
export class GrantNotFound extends Schema.TaggedError<GrantNotFound>()("GrantNotFound", {
  grantId: Schema.String
}) {
  override get message() {
    return `no grant ${this.grantId}`
  }
}

/**
 * The consent waits for the owner's approval in the carmaker's portal (BMW, MINI). The manager checks again, at
 * most once per check interval, from `nextCheckAt` on: ask again then, or wait for the `Approved` event.
 *
 * @since 0.2.0
 * @category errors
 */
export class GrantPending extends Schema.TaggedError<GrantPending>()("GrantPending", {
  grantId: Schema.String,
  nextCheckAt: Schema.DateTimeUtcFromSelf
}) {
  override get message() {
    return `grant ${this.grantId} is pending the owner's approval`
  }
}

/**
 * The grant is dead for good (see `TokenStore.DeadReason`): the owner must consent again, and the grant be
 * onboarded anew. `RotationLost` means a refresh's answer was lost (a dropped connection, or a process that died
 * between the answer and the commit) and the server then refused the refresh token it had superseded.
 *
 * @since 0.2.0
 * @category errors
 */
export class GrantDead extends Schema.TaggedError<GrantDead>()("GrantDead", {
  grantId: Schema.String,
  reason: DeadReason
}) {
  override get message() {
    return `grant ${this.grantId} is dead (${this.reason})`
  }
}

/**
 * The access token has expired and the server cannot refresh it now (it is down, rate limiting, timing out, or
 * refusing the client's credentials). Nothing is lost: try again from `nextAttemptAt`; alert when `failures` grows.
 * `cause` names the last failure (its tag and message, never a token).
 *
 * @since 0.2.0
 * @category errors
 */
export class RefreshUnavailable extends Schema.TaggedError<RefreshUnavailable>()("RefreshUnavailable", {
  grantId: Schema.String,
  cause: Schema.String,
  failures: Schema.Number,
  nextAttemptAt: Schema.DateTimeUtcFromSelf
}) {
  override get message() {
    return `grant ${this.grantId} cannot be refreshed now (${this.cause})`
  }
}

/**
 * Everything `accessToken` and `invalidate` can fail with.
 *
 * @since 0.2.0
 * @category errors
 */
export type AccessTokenError = GrantNotFound | GrantPending | GrantDead | RefreshUnavailable | TokenStoreError

/**
 * What happened to a grant, for metrics and alerts. Never a token value.
 * - `Onboarded`: stored after a code exchange.
 * - `Refreshed`: new tokens committed; `recovered` when a lost answer was made good by the retry.
 * - `Approved`: a pending consent was approved.
 * - `Dead`: the grant died (`RotationLost` deserves an alert: a lost answer cost a consent).
 * - `TransientFailure`: a refresh failed and will be tried again from `nextAttemptAt`.
 * - `LeaseLost`: a refresh finished after its lease ran out and another holder had written: the lease time is
 *   shorter than a refresh takes.
 *
 * @since 0.2.0
 * @category models
 */
export type TokenEvent = Data.TaggedEnum<{
  Onboarded: { readonly grantId: string; readonly status: Exclude<GrantStatus, "dead"> }
  Refreshed: { readonly grantId: string; readonly expiresAt: DateTime.Utc; readonly recovered: boolean }
  Approved: { readonly grantId: string }
  Dead: { readonly grantId: string; readonly reason: DeadReason }
  TransientFailure: {
    readonly grantId: string
    readonly cause: string
    readonly failures: number
    readonly nextAttemptAt: DateTime.Utc
  }
  LeaseLost: { readonly grantId: string }
}>

/**
 * Constructors of `TokenEvent`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const TokenEvent = Data.taggedEnum<TokenEvent>()

/**
 * What the manager holds in memory now.
 *
 * @since 0.2.0
 * @category models
 */
export interface Stats {
  /** Grants whose access token is served from memory. */
  readonly cachedGrants: number
  /** Refreshes (and store reads on behalf of waiting callers) running now. */
  readonly flights: number
  /** Application tokens held, one per scope. */
  readonly applicationTokens: number
}

/**
 * The token manager.
 *
 * @since 0.2.0
 * @category models
 */
export interface Service {
  /** Stores a grant after `TokenEndpoint.exchangeCode` (use the token's `authorizationId` when you have no key). */
  readonly onboard: (grantId: string, tokens: TokenSet) => Effect.Effect<void, GrantExists | TokenStoreError>
  /** A valid access token for the grant: from memory while fresh, refreshed (once, everywhere) when not. */
  readonly accessToken: (grantId: string) => Effect.Effect<Redacted.Redacted<string>, AccessTokenError>
  /**
   * After a data API refused `rejected` (a 401): a new access token. Refreshes only if the store still holds that
   * very token; another caller may have refreshed already.
   */
  readonly invalidate: (
    grantId: string,
    rejected: Redacted.Redacted<string>
  ) => Effect.Effect<Redacted.Redacted<string>, AccessTokenError>
  /** The client-credentials token for `scope`, cached, one request at a time, renewed ahead of its expiry. */
  readonly applicationToken: (
    scope?: string | ReadonlyArray<string>
  ) => Effect.Effect<Redacted.Redacted<string>, TokenEndpointError>
  /** Revokes the grant at the server (RFC 7009, refresh token then access token), then marks it dead. */
  readonly revoke: (grantId: string) => Effect.Effect<void, GrantNotFound | RevocationError | TokenStoreError>
  /** Removes the grant from the store and from memory, without telling the server; whether there was one. */
  readonly forget: (grantId: string) => Effect.Effect<boolean, TokenStoreError>
  /** Everything that happens to grants, from the moment the stream is run. */
  readonly events: Stream.Stream<TokenEvent>
  /** What the manager holds in memory now. */
  readonly stats: Effect.Effect<Stats>
}

/**
 * The token manager's tag.
 *
 * @since 0.2.0
 * @category tags
 */
export class TokenManager extends Context.Tag("@hm-oauth/core/TokenManager")<TokenManager, Service>() {}

/**
 * How the manager behaves. Every field is optional.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** Refresh this long before the access token expires. Default 5 minutes. */
  readonly refreshAhead?: Duration.DurationInput | undefined
  /**
   * Refresh up to this much earlier still, by a fraction fixed per grant and token, so that grants onboarded
   * together do not refresh together. Default 1 minute.
   */
  readonly refreshJitter?: Duration.DurationInput | undefined
  /** Taken off every expiry, which is counted from the start of the request that got the token. Default 30 seconds. */
  readonly clockSkew?: Duration.DurationInput | undefined
  /**
   * How long a refresh may hold a grant before another holder takes it over: longer than the longest refresh
   * (the per-attempt timeout times the attempts, plus a margin). Default 4 × the timeout + 30 seconds.
   */
  readonly leaseTime?: Duration.DurationInput | undefined
  /** The wait after the first transient failure, doubled for each one after. Default 1 second. */
  readonly backoffInitial?: Duration.DurationInput | undefined
  /** The longest wait between two attempts (a longer `Retry-After` still wins). Default 5 minutes. */
  readonly backoffMax?: Duration.DurationInput | undefined
  /** The most refreshes this manager runs at once. Default 64. */
  readonly maxRefreshesInFlight?: number | undefined
  /** How often a pending consent is checked. Default 1 minute. */
  readonly pendingCheckInterval?: Duration.DurationInput | undefined
  /** How often a caller waiting on another holder's refresh looks at the store. Default 500 milliseconds. */
  readonly pollInterval?: Duration.DurationInput | undefined
  /** A token unread for this long leaves memory (it stays in the store). Default 10 minutes. */
  readonly idleTimeToLive?: Duration.DurationInput | undefined
  /** This manager's name in leases. Default `node-` and a random id: each manager must have its own. */
  readonly nodeId?: string | undefined
}

/**
 * Builds a manager in the scope, which owns its refreshes: closing the scope interrupts them (never between an
 * answer and its commit). Several managers over one store stand for several machines.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make: (
  options?: Options
) => Effect.Effect<
  Service,
  ConfigError.ConfigError,
  Scope.Scope | TokenStore | TokenEndpoint | Revocation | VehicleInfo | HmOAuthConfig
> = (options = {}) => internal.make(options)

/**
 * The token manager from plain options; `HmOAuth.layer` and a `TokenStore` layer provide what it needs.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<
  TokenManager,
  ConfigError.ConfigError,
  TokenStore | TokenEndpoint | Revocation | VehicleInfo | HmOAuthConfig
> => Layer.scoped(TokenManager, make(options))

const optionalDuration = (name: string) => Config.duration(name).pipe(Config.option, Config.map(Option.getOrUndefined))

const fromConfig: Config.Config<Options> = Config.all({
  refreshAhead: optionalDuration("HM_OAUTH_REFRESH_AHEAD"),
  refreshJitter: optionalDuration("HM_OAUTH_REFRESH_JITTER"),
  clockSkew: optionalDuration("HM_OAUTH_CLOCK_SKEW"),
  leaseTime: optionalDuration("HM_OAUTH_LEASE_TIME"),
  backoffInitial: optionalDuration("HM_OAUTH_BACKOFF_INITIAL"),
  backoffMax: optionalDuration("HM_OAUTH_BACKOFF_MAX"),
  maxRefreshesInFlight: Config.integer("HM_OAUTH_MAX_REFRESHES_IN_FLIGHT").pipe(
    Config.option,
    Config.map(Option.getOrUndefined)
  ),
  pendingCheckInterval: optionalDuration("HM_OAUTH_PENDING_CHECK_INTERVAL"),
  pollInterval: optionalDuration("HM_OAUTH_POLL_INTERVAL"),
  idleTimeToLive: optionalDuration("HM_OAUTH_IDLE_TIME_TO_LIVE"),
  nodeId: Config.string("HM_OAUTH_NODE_ID").pipe(Config.option, Config.map(Option.getOrUndefined))
})

/**
 * The token manager configured from `Config` (the environment by default): `HM_OAUTH_REFRESH_AHEAD`,
 * `HM_OAUTH_REFRESH_JITTER`, `HM_OAUTH_CLOCK_SKEW`, `HM_OAUTH_LEASE_TIME`, `HM_OAUTH_BACKOFF_INITIAL`,
 * `HM_OAUTH_BACKOFF_MAX`, `HM_OAUTH_PENDING_CHECK_INTERVAL`, `HM_OAUTH_POLL_INTERVAL`, `HM_OAUTH_IDLE_TIME_TO_LIVE`
 * (durations, e.g. `5 minutes`),
 * `HM_OAUTH_MAX_REFRESHES_IN_FLIGHT` and `HM_OAUTH_NODE_ID`; each optional, with the defaults of `Options`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig: Layer.Layer<
  TokenManager,
  ConfigError.ConfigError,
  TokenStore | TokenEndpoint | Revocation | VehicleInfo | HmOAuthConfig
> = Layer.scoped(TokenManager, Effect.flatMap(fromConfig, make))
