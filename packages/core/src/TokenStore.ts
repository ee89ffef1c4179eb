/**
 * The durable record of each grant: its tokens, where it stands, and the lease that lets exactly one holder, in
 * one process or on many machines, refresh it at a time. `TokenManager` is its only writer in normal use.
 *
 * Coordination is compare-and-set on `version`, never a lock held across an HTTP call:
 * - every write makes `version` grow, and `commit`, `release` and `markDead` apply only when the version is still
 *   the one the caller holds — a holder whose lease expired and was taken over can no longer write;
 * - `claim` is the compare-and-set that takes the lease: it succeeds only when no live lease is held.
 *
 * Time is Effect's `Clock`, read by the store at each operation, so `TestClock` drives leases in tests.
 *
 * The rules the contract suite (`@hm-oauth/testkit/TokenStoreContract`) checks, besides those on each operation:
 * - a dead grant is written again only by `insert` (onboarding it anew) or `remove`: `commit`, `release` and
 *   `markDead` answer `Moved` with the dead record, whatever version they name;
 * - `refreshInDoubt` is set by `claim` (on a take-over) and by `release` (a backoff in doubt), and cleared only by
 *   `commit` and `insert`;
 * - `scan` orders grants by `grantId` compared as UTF-16 code units (byte order for ASCII ids, `COLLATE "C"` in
 *   SQL).
 *
 * @since 0.2.0
 */
import { Context, Data, type DateTime, Effect, Layer, type Option, type Redacted, Schema } from "effect"
import * as memory from "./internal/memoryTokenStore.js"

/**
 * Where a grant stands: `pending` until the carmaker reports the owner's approval (BMW, MINI), `active` while it
 * can be refreshed, `dead` for good (see `DeadReason`).
 *
 * @since 0.2.0
 * @category models
 */
export const GrantStatus = Schema.Literal("pending", "active", "dead")
/**
 * @since 0.2.0
 * @category models
 */
export type GrantStatus = typeof GrantStatus.Type

/**
 * Why a grant died:
 * - `InvalidGrant`: the server refused the refresh token (expired, or the grant is gone for a reason it did not say);
 * - `ConsentRevoked`: the owner or the carmaker withdrew the consent;
 * - `RevokedByUs`: this application revoked it (RFC 7009);
 * - `RotationLost`: a refresh was processed by the server but its answer never reached the store (a lost answer,
 *   or a crash between the answer and the commit), and the server then refused the refresh token it superseded.
 *
 * @since 0.2.0
 * @category models
 */
export const DeadReason = Schema.Literal("InvalidGrant", "ConsentRevoked", "RevokedByUs", "RotationLost")
/**
 * @since 0.2.0
 * @category models
 */
export type DeadReason = typeof DeadReason.Type

/**
 * The right to refresh a grant, held by `owner` (a node's identity) until `until`. A lease that has run out is no
 * lease: the next `claim` takes it over.
 *
 * @since 0.2.0
 * @category models
 */
export interface Lease {
  readonly owner: string
  readonly until: DateTime.Utc
}

/**
 * What onboarding and a refresh write: the tokens and what the server said about the consent.
 *
 * @since 0.2.0
 * @category models
 */
export interface GrantTokens {
  readonly accessToken: Redacted.Redacted<string>
  /** When the access token stops working (receipt time plus `expires_in`, minus any clock-skew allowance). */
  readonly expiresAt: DateTime.Utc
  /** `none` keeps the stored refresh token: a store never replaces a refresh token with nothing. */
  readonly refreshToken: Option.Option<Redacted.Redacted<string>>
  readonly scopes: ReadonlyArray<string>
  readonly status: "pending" | "active"
  readonly validFrom: Option.Option<DateTime.Utc>
  readonly validUntil: Option.Option<DateTime.Utc>
}

/**
 * One grant as stored.
 *
 * @since 0.2.0
 * @category models
 */
export interface GrantRecord extends Omit<GrantTokens, "status"> {
  /** The application's key for the grant, e.g. its vehicle id; by default the authorization id. */
  readonly grantId: string
  readonly clientId: string
  readonly authorizationId: Option.Option<string>
  readonly status: GrantStatus
  /** Set exactly when `status` is `dead`. */
  readonly deadReason: Option.Option<DeadReason>
  /** Grows with every write, `claim` included. */
  readonly version: number
  readonly lease: Option.Option<Lease>
  /** Transient refresh failures since the last commit. */
  readonly failures: number
  /** No refresh before this instant (backoff after a transient failure, or the server's `Retry-After`). */
  readonly nextAttemptAt: Option.Option<DateTime.Utc>
  /**
   * What the last transient failure was (its tag and message, never a token value), so that every node can say why
   * a grant is backing off; cleared by `commit`.
   */
  readonly lastFailure: Option.Option<string>
  /**
   * A refresh with the stored refresh token may have been processed without its answer being stored: set when a
   * refresh's outcome was unknown, and when `claim` takes over a lease that ran out; cleared by `commit`. A refusal of
   * the refresh token while it is set means `RotationLost`, not a dead consent.
   */
  readonly refreshInDoubt: boolean
  readonly updatedAt: DateTime.Utc
}

/**
 * A grant to onboard, after a code exchange.
 *
 * @since 0.2.0
 * @category models
 */
export interface NewGrant {
  readonly grantId: string
  readonly clientId: string
  readonly authorizationId: Option.Option<string>
  readonly tokens: GrantTokens
}

/**
 * What `claim` found.
 * - `Claimed`: the lease is the caller's; `record` is the grant as it is now, its `version` the one to write with.
 *   `takenOver` when it replaced a lease that ran out (the record is then `refreshInDoubt`).
 * - `Held`: another holder's lease is live; wait for its commit (its version will move) until `lease.until`.
 * - `Dead`: nothing to refresh.
 * - `NotFound`: no such grant.
 *
 * @since 0.2.0
 * @category models
 */
export type ClaimOutcome = Data.TaggedEnum<{
  Claimed: { readonly record: GrantRecord; readonly takenOver: boolean }
  Held: { readonly record: GrantRecord; readonly lease: Lease }
  Dead: { readonly record: GrantRecord }
  NotFound: {}
}>

/**
 * Constructors of `ClaimOutcome`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const ClaimOutcome = Data.taggedEnum<ClaimOutcome>()

/**
 * What a compare-and-set write found: `Written` with the record as written, or `Moved` when the version was no
 * longer the expected one (another holder wrote first), with the record as it is now (`none` if it was removed).
 *
 * @since 0.2.0
 * @category models
 */
export type WriteOutcome = Data.TaggedEnum<{
  Written: { readonly record: GrantRecord }
  Moved: { readonly current: Option.Option<GrantRecord> }
}>

/**
 * Constructors of `WriteOutcome`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const WriteOutcome = Data.taggedEnum<WriteOutcome>()

/**
 * What `release` records after a transient failure: the failure count, when to try again, and whether the failed
 * refresh may have been processed by the server.
 *
 * @since 0.2.0
 * @category models
 */
export interface Backoff {
  readonly failures: number
  readonly nextAttemptAt: DateTime.Utc
  readonly inDoubt: boolean
  /** What went wrong, as `GrantRecord.lastFailure` keeps it: never a token value. */
  readonly lastFailure: Option.Option<string>
}

/**
 * A page of `scan`: grants in `grantId` order, after the cursor `after`, at most `limit` of them (at least one; the
 * store may cap it), filtered by status and by access-token expiry (both when both are given).
 *
 * @since 0.2.0
 * @category models
 */
export interface ScanQuery {
  readonly status?: GrantStatus | undefined
  /** Only grants whose access token expires strictly before this instant. */
  readonly expiresBefore?: DateTime.Utc | undefined
  /** The `next` cursor of the previous page. */
  readonly after?: string | undefined
  readonly limit: number
}

/**
 * One page of `scan`, and the cursor of the next: `none` once no further grant can match. Following `next` from
 * the first page visits every matching grant exactly once; a page after a full one may come back empty.
 *
 * @since 0.2.0
 * @category models
 */
export interface ScanPage {
  readonly records: ReadonlyArray<GrantRecord>
  readonly next: Option.Option<string>
}

/**
 * The store could not do what was asked. `reason` says what a caller can do about it:
 * - `Unavailable`: the store cannot be reached now (connection lost, database locked, busy): try again later;
 * - `Corrupt`: a record could not be read (undecodable, tampered with, or encrypted under a key the store lacks);
 * - `Full`: the store has no room to write (a full disk): nothing was written;
 * - `Incompatible`: the database holds a schema this store does not know.
 * Nothing already committed is lost by any of them.
 *
 * @since 0.2.0
 * @category errors
 */
export class TokenStoreError extends Schema.TaggedError<TokenStoreError>()("TokenStoreError", {
  reason: Schema.Literal("Unavailable", "Corrupt", "Full", "Incompatible"),
  operation: Schema.Literal("get", "insert", "claim", "commit", "release", "markDead", "remove", "scan", "open"),
  grantId: Schema.optional(Schema.String),
  /** What went wrong, never a token value. */
  detail: Schema.String
}) {
  override get message() {
    return `token store ${this.operation}${this.grantId === undefined ? "" : ` of ${this.grantId}`} failed (${this.reason}): ${this.detail}`
  }
}

/**
 * `insert` refused to overwrite a different live grant under the same `grantId`.
 *
 * @since 0.2.0
 * @category errors
 */
export class GrantExists extends Schema.TaggedError<GrantExists>()("GrantExists", {
  grantId: Schema.String
}) {
  override get message() {
    return `a different live grant is already stored as ${this.grantId}`
  }
}

/**
 * The operations every store implements; the contract suite checks each rule stated here.
 *
 * @since 0.2.0
 * @category models
 */
export interface Service {
  /** The grant as stored. */
  readonly get: (grantId: string) => Effect.Effect<Option.Option<GrantRecord>, TokenStoreError>
  /**
   * Onboards a grant at version 1 (or, over a dead one or the same grant re-onboarded — same client and
   * authorization id, two `none`s being the same — at the next version, with lease, failures and doubt cleared). A
   * different live (active or pending) grant under the same id is never overwritten: `GrantExists`.
   */
  readonly insert: (grant: NewGrant) => Effect.Effect<GrantRecord, GrantExists | TokenStoreError>
  /**
   * Takes the lease until `until` if no live lease is held (one that ran out is taken over): one atomic
   * compare-and-set that makes the version grow. A dead grant is never claimed.
   */
  readonly claim: (
    grantId: string,
    lease: { readonly owner: string; readonly until: DateTime.Utc }
  ) => Effect.Effect<ClaimOutcome, TokenStoreError>
  /**
   * Writes new tokens if the version is still `expectedVersion`, atomically: tokens, status, expiry; clears the lease,
   * the failures, `nextAttemptAt` and `refreshInDoubt`. A `none` refresh token keeps the stored one.
   */
  readonly commit: (
    grantId: string,
    expectedVersion: number,
    tokens: GrantTokens
  ) => Effect.Effect<WriteOutcome, TokenStoreError>
  /**
   * Gives the lease up if the version is still `expectedVersion`. With a backoff (after a transient failure, or a
   * pending consent checked too early) it records `failures`, `nextAttemptAt` and `lastFailure` as given, and sets
   * `refreshInDoubt` if the backoff is in doubt (never clears it); without one, nothing but the lease changes.
   */
  readonly release: (
    grantId: string,
    expectedVersion: number,
    backoff?: Backoff | undefined
  ) => Effect.Effect<WriteOutcome, TokenStoreError>
  /** Marks the grant dead for `reason` if the version is still `expectedVersion`; clears the lease. */
  readonly markDead: (
    grantId: string,
    expectedVersion: number,
    reason: DeadReason
  ) => Effect.Effect<WriteOutcome, TokenStoreError>
  /** Forgets the grant; whether there was one. */
  readonly remove: (grantId: string) => Effect.Effect<boolean, TokenStoreError>
  /** A page of grants, for sweeps (e.g. everything active that expires within the next minutes) and reports. */
  readonly scan: (query: ScanQuery) => Effect.Effect<ScanPage, TokenStoreError>
}

/**
 * The token store a `TokenManager` keeps its grants in.
 *
 * @since 0.2.0
 * @category tags
 */
export class TokenStore extends Context.Tag("@hm-oauth/core/TokenStore")<TokenStore, Service>() {}

/**
 * A store in this process's memory: for one process that may lose its grants on exit, and for tests. Each `make`
 * is a new, empty store; share one between several `TokenManager`s to stand for many machines over one database.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeMemory: Effect.Effect<Service> = Effect.sync(memory.make)

/**
 * A fresh store in memory (see `makeMemory`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layerMemory: Layer.Layer<TokenStore> = Layer.effect(TokenStore, makeMemory)
