/**
 * One grant's lifecycle on one node: reading the store, taking the lease, refreshing or checking a pending consent,
 * and writing the outcome back — each write a compare-and-set on the version the lease gave.
 *
 * A flight (`settle`) runs in a fiber the manager owns, one per grant at a time, and loops over rounds: read the
 * record and decide; if there is work, claim the lease and decide again on the record as claimed (another holder
 * may have refreshed in between: then its tokens are used and nothing is sent); do the work; write. A round ends
 * with a token, a typed failure, or another round (after waiting on another holder's lease, after a lost answer to
 * retry at once, or after a write that found the version moved).
 */
import { Cause, type Clock, DateTime, Effect, Exit, FiberRef, Hash, HashMap, Option, Redacted } from "effect"
import type { RevocationError, TokenEndpointError } from "../../HmOAuthError.js"
import type { Revocation } from "../../Revocation.js"
import type { TokenEndpoint } from "../../TokenEndpoint.js"
import {
  type AccessTokenError,
  GrantDead,
  GrantNotFound,
  GrantPending,
  RefreshUnavailable,
  TokenEvent
} from "../../TokenManager.js"
import type { TokenSet } from "../../TokenSet.js"
import type * as TokenStore from "../../TokenStore.js"
import type { VehicleInfo } from "../../VehicleInfo.js"
import type { TokenCache } from "./cache.js"
import { backoffMillis, classify, describe } from "./failures.js"
import type { Settings } from "./settings.js"

export interface Deps {
  readonly store: TokenStore.Service
  readonly endpoint: TokenEndpoint["Type"]
  readonly revocation: Revocation["Type"]
  readonly vehicles: VehicleInfo["Type"]
  readonly clientId: string
  readonly settings: Settings
  readonly clock: Clock.Clock
  readonly cache: TokenCache
  /** One permit per refresh (or pending check) in flight. */
  readonly permits: Effect.Semaphore
  readonly publish: (event: TokenEvent) => Effect.Effect<void>
}

/**
 * Why a flight runs: a caller waits for a token (any valid one will do: a due refresh then follows in the
 * background), a token is renewed ahead of its expiry, or a data API refused `rejected`, which counts as expired.
 */
export type Mode =
  | { readonly _tag: "Answer" }
  | { readonly _tag: "Renew" }
  | { readonly _tag: "Replace"; readonly rejected: Redacted.Redacted<string> }

export const answer: Mode = { _tag: "Answer" }
export const renew: Mode = { _tag: "Renew" }

/** How a round ends. */
type Round =
  | { readonly _tag: "Done"; readonly token: Redacted.Redacted<string> }
  | { readonly _tag: "Again" }
  /** Another holder refreshes: look again at `until` (epoch ms). */
  | { readonly _tag: "Wait"; readonly until: number }

const done = (token: Redacted.Redacted<string>): Round => ({ _tag: "Done", token })
const again: Round = { _tag: "Again" }

/** What a record calls for, now. */
type Decision =
  /** Serve its token; keep it in memory until `until` (its refresh point, or an earlier look). */
  | { readonly _tag: "Serve"; readonly until: number }
  | { readonly _tag: "Fail"; readonly error: AccessTokenError }
  /** Work under the lease: a refresh, or a check of a pending consent. */
  | { readonly _tag: "Work" }

const sameToken = (a: Redacted.Redacted<string>, b: Redacted.Redacted<string>) =>
  Redacted.value(a) === Redacted.value(b)

// Rounds that neither wait nor end: a few moved versions in a row are a race, many are a store that breaks its
// contract. Stopping beats spinning.
const maxRoundsWithoutWaiting = 16

export const make = (deps: Deps) => {
  const { cache, clock, endpoint, publish, settings, store } = deps
  const now = () => clock.unsafeCurrentTimeMillis()
  const utc = (millis: number) => DateTime.unsafeMake(millis)

  /** When the grant's token is renewed ahead: the margin, and a fraction of the jitter fixed by grant and token. */
  const refreshPoint = (grantId: string, expiresAt: number): number => {
    const fraction = (Hash.string(`${grantId}:${expiresAt}`) >>> 0) / 2 ** 32
    return expiresAt - settings.refreshAhead - Math.floor(settings.refreshJitter * fraction)
  }

  const deadError = (record: TokenStore.GrantRecord) =>
    new GrantDead({
      grantId: record.grantId,
      reason: Option.getOrElse(record.deadReason, () => "InvalidGrant" as const)
    })

  /** Whether the record's access token may be handed out at `at`. */
  const validFor = (record: TokenStore.GrantRecord, at: number, mode: Mode) =>
    at < record.expiresAt.epochMillis && (mode._tag !== "Replace" || !sameToken(record.accessToken, mode.rejected))

  const decide = (record: TokenStore.GrantRecord, at: number, mode: Mode): Decision => {
    const { grantId } = record
    if (record.status === "dead") return { _tag: "Fail", error: deadError(record) }
    const nextAttemptAt = Option.getOrUndefined(Option.map(record.nextAttemptAt, DateTime.toEpochMillis))
    const backingOff = nextAttemptAt !== undefined && at < nextAttemptAt
    if (record.status === "pending") {
      return backingOff
        ? { _tag: "Fail", error: new GrantPending({ grantId, nextCheckAt: utc(nextAttemptAt) }) }
        : { _tag: "Work" }
    }
    const expiresAt = record.expiresAt.epochMillis
    const valid = validFor(record, at, mode)
    const renewAt = refreshPoint(grantId, expiresAt)
    if (valid && at < renewAt) return { _tag: "Serve", until: renewAt }
    // due, still valid: a waiting caller takes it now (kept until now only, so the renewal follows at once)
    if (valid && mode._tag !== "Renew") return { _tag: "Serve", until: at }
    if (!backingOff) return { _tag: "Work" }
    // past its refresh point and backing off: the old token is served while it lasts, until the next attempt
    if (valid) return { _tag: "Serve", until: Math.min(nextAttemptAt, expiresAt) }
    return {
      _tag: "Fail",
      error: new RefreshUnavailable({
        grantId,
        cause: Option.getOrElse(record.lastFailure, () => "backing off after a failed refresh"),
        failures: record.failures,
        nextAttemptAt: utc(nextAttemptAt)
      })
    }
  }

  const remember = (record: TokenStore.GrantRecord, until: number) =>
    cache.set(record.grantId, record.accessToken, until, record.expiresAt.epochMillis, now())

  /** Serves what `decide` says about `record`, or fails as it says; `Work` is the caller's. */
  const serve = (record: TokenStore.GrantRecord, decision: Exclude<Decision, { _tag: "Work" }>) => {
    if (decision._tag === "Serve") {
      remember(record, decision.until)
      return Effect.succeed(done(record.accessToken))
    }
    if (decision.error._tag === "GrantDead") cache.delete(record.grantId)
    return Effect.fail(decision.error)
  }

  const notFound = (grantId: string) =>
    Effect.suspend(() => {
      cache.delete(grantId)
      return Effect.fail(new GrantNotFound({ grantId }))
    })

  /** What a refresh writes: expiry counted from the request's start (less the time it took), minus the skew. */
  const refreshed = (tokens: TokenSet, startedAt: number, finishedAt: number): TokenStore.GrantTokens => ({
    accessToken: tokens.accessToken,
    expiresAt: utc(tokens.expiresAt.epochMillis - (finishedAt - startedAt) - settings.clockSkew),
    refreshToken: tokens.refreshToken,
    scopes: tokens.scopes,
    status: tokens.status === "pending" ? "pending" : "active",
    validFrom: tokens.validFrom,
    validUntil: tokens.validUntil
  })

  /** Marks the grant dead at `version`: `true` if it was, `false` if the version had moved. */
  const markDead = (grantId: string, version: number, reason: TokenStore.DeadReason) =>
    Effect.gen(function* () {
      const outcome = yield* store.markDead(grantId, version, reason)
      if (outcome._tag === "Moved") return false
      cache.delete(grantId)
      yield* publish(TokenEvent.Dead({ grantId, reason }))
      if (reason === "RotationLost") {
        yield* Effect.logError("a lost refresh answer cost the grant: the server refused the refresh token it rotated")
      } else if (reason === "RevokedByUs") yield* Effect.logInfo("grant revoked")
      else yield* Effect.logWarning("grant dead")
      return true
    }).pipe(Effect.annotateLogs({ grantId, reason }))

  /** The grant dies at `version`, failing the caller; another round if the version had moved. */
  const die = (grantId: string, version: number, reason: TokenStore.DeadReason) =>
    Effect.flatMap(markDead(grantId, version, reason), (dead) =>
      dead ? Effect.fail(new GrantDead({ grantId, reason })) : Effect.succeed(again)
    )

  /** Why the server refused a refresh token it should know: vehicle info tells a withdrawn consent apart. */
  const diagnose = (record: TokenStore.GrantRecord) =>
    deps.vehicles.get(record.accessToken).pipe(
      Effect.match({
        onSuccess: (): TokenStore.DeadReason => "InvalidGrant",
        onFailure: (error): TokenStore.DeadReason =>
          error._tag === "Unauthorized" && error.reason === "ConsentRevoked" ? "ConsentRevoked" : "InvalidGrant"
      })
    )

  /** After a failure that leaves the grant alive: the backoff recorded, the old token served while valid. */
  const backOff = (
    record: TokenStore.GrantRecord,
    error: TokenEndpointError,
    retryAfter: number,
    inDoubt: boolean,
    mode: Mode
  ) =>
    Effect.gen(function* () {
      const { grantId } = record
      const failures = record.failures + 1
      const nextAttemptAt = utc(now() + backoffMillis(failures, retryAfter, settings))
      const cause = describe(error)
      const outcome = yield* store.release(grantId, record.version, {
        failures,
        nextAttemptAt,
        inDoubt,
        lastFailure: Option.some(cause)
      })
      yield* publish(TokenEvent.TransientFailure({ grantId, cause, failures, nextAttemptAt }))
      yield* Effect.logWarning("refresh failed, will try again").pipe(
        Effect.annotateLogs({ grantId, cause, failures, nextAttemptAt: DateTime.formatIso(nextAttemptAt) })
      )
      if (outcome._tag === "Moved") return again
      const decision = decide(outcome.record, now(), mode)
      return decision._tag === "Work" ? again : yield* serve(outcome.record, decision)
    })

  /**
   * Refreshes `record`, whose lease this node holds at `record.version`. The request may be interrupted (the
   * grant is then left in doubt); from the arrival of the answer to its commit nothing can interrupt.
   */
  const refresh = (
    record: TokenStore.GrantRecord,
    mode: Mode,
    lost: { retried: boolean }
  ): Effect.Effect<Round, AccessTokenError> => {
    const { grantId, version } = record
    if (Option.isNone(record.refreshToken)) return die(grantId, version, "InvalidGrant")
    const refreshToken = record.refreshToken.value
    return Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        const startedAt = now()
        const exit = yield* Effect.exit(restore(endpoint.refresh(refreshToken)))
        if (Exit.isSuccess(exit)) return yield* commit(record, refreshed(exit.value, startedAt, now()))
        const error = Cause.failureOption(exit.cause)
        if (Option.isSome(error) && !Cause.isInterrupted(exit.cause)) {
          return yield* restore(afterFailure(record, error.value, mode, lost))
        }
        // interrupted mid-request (the manager is closing): it may have been processed, so say so, then stop
        yield* store.release(grantId, version, {
          failures: record.failures,
          nextAttemptAt: utc(now()),
          inDoubt: true,
          lastFailure: Option.some("Interrupted: the refresh was interrupted; it may have been processed")
        })
        return yield* Effect.failCause(Cause.stripFailures(exit.cause))
      })
    )
  }

  /** Commits new tokens: runs uninterruptibly, as part of `refresh`. */
  const commit = (record: TokenStore.GrantRecord, tokens: TokenStore.GrantTokens) =>
    Effect.gen(function* () {
      const { grantId } = record
      const outcome = yield* store.commit(grantId, record.version, tokens)
      if (outcome._tag === "Moved") {
        yield* publish(TokenEvent.LeaseLost({ grantId }))
        yield* Effect.logWarning("a refresh outlived its lease: another holder wrote first (lease time too short?)")
        return Option.isNone(outcome.current) ? yield* notFound(grantId) : again
      }
      const written = outcome.record
      yield* publish(TokenEvent.Refreshed({ grantId, expiresAt: written.expiresAt, recovered: record.refreshInDoubt }))
      yield* Effect.logDebug("refreshed")
      if (record.status === "pending" && written.status === "active") yield* approved(written)
      if (written.status === "pending") return yield* stillPending(written)
      const decision = decide(written, now(), answer)
      return decision._tag === "Work" ? done(written.accessToken) : yield* serve(written, decision)
    })

  const approved = (record: TokenStore.GrantRecord) =>
    Effect.zipRight(
      publish(TokenEvent.Approved({ grantId: record.grantId })),
      Effect.logInfo("consent approved").pipe(Effect.annotateLogs({ grantId: record.grantId }))
    )

  /** Records when the pending consent is checked next, and says so. */
  const stillPending = (record: TokenStore.GrantRecord) =>
    Effect.gen(function* () {
      const nextCheckAt = utc(now() + settings.pendingCheckInterval)
      const outcome = yield* store.release(record.grantId, record.version, {
        failures: record.failures,
        nextAttemptAt: nextCheckAt,
        inDoubt: false,
        lastFailure: record.lastFailure
      })
      if (outcome._tag === "Moved") return again
      return yield* Effect.fail(new GrantPending({ grantId: record.grantId, nextCheckAt }))
    })

  const afterFailure = (
    record: TokenStore.GrantRecord,
    error: TokenEndpointError,
    mode: Mode,
    lost: { retried: boolean }
  ) =>
    Effect.gen(function* () {
      const { grantId, version } = record
      const failure = classify(error)
      switch (failure._tag) {
        case "Refused": {
          // A refresh that may have been processed without its answer stored explains the refusal. `die` names the
          // version the lease gave: if it moved, another holder took over (and maybe spent the token we sent), and
          // the next round re-reads the record and uses its tokens: a refusal never wipes a winner's tokens.
          const reason = record.refreshInDoubt ? "RotationLost" : yield* diagnose(record)
          return yield* die(grantId, version, reason)
        }
        case "Lost": {
          if (lost.retried) return yield* backOff(record, error, failure.retryAfter, true, mode)
          // retry once, at once, with the stored token: inside the server's reuse grace that recovers the grant
          lost.retried = true
          yield* store.release(grantId, version, {
            failures: record.failures + 1,
            nextAttemptAt: utc(now()),
            inDoubt: true,
            lastFailure: Option.some(describe(error))
          })
          yield* Effect.logWarning("a refresh answer was lost; retrying once with the stored refresh token").pipe(
            Effect.annotateLogs({ grantId, cause: describe(error) })
          )
          return again
        }
        case "Transient":
          return yield* backOff(record, error, failure.retryAfter, false, mode)
      }
    })

  /** Checks a pending consent with vehicle info, which rotates nothing; refreshes if the access token is spent. */
  const check = (record: TokenStore.GrantRecord, lost: { retried: boolean }) =>
    Effect.gen(function* () {
      const { grantId, version } = record
      if (now() >= record.expiresAt.epochMillis) return yield* refresh(record, answer, lost)
      const checked = yield* Effect.either(deps.vehicles.get(record.accessToken))
      if (checked._tag === "Right") {
        const outcome = yield* store.commit(grantId, version, {
          accessToken: record.accessToken,
          expiresAt: record.expiresAt,
          refreshToken: Option.none(),
          scopes: record.scopes,
          status: "active",
          validFrom: record.validFrom,
          validUntil: record.validUntil
        })
        if (outcome._tag === "Moved") return again
        yield* approved(outcome.record)
        const decision = decide(outcome.record, now(), answer)
        return decision._tag === "Work" ? again : yield* serve(outcome.record, decision)
      }
      const refusal = checked.left
      if (refusal._tag === "Unauthorized") {
        if (refusal.reason === "ConsentRevoked") return yield* die(grantId, version, "ConsentRevoked")
        if (refusal.reason === "ExpiredToken" || refusal.reason === "InvalidToken") {
          return yield* refresh(record, answer, lost)
        }
      }
      // still pending, outside its validity window, or the check itself failed: look again after the interval
      return yield* stillPending(record)
    })

  const claim = (grantId: string) =>
    Effect.suspend(() => store.claim(grantId, { owner: settings.nodeId, until: utc(now() + settings.leaseTime) }))

  /** When to look again at a grant another holder leased: at the lease's end, or at the next poll if sooner. */
  const lookAgainAt = (lease: TokenStore.Lease, at: number) =>
    Math.min(lease.until.epochMillis, at + settings.pollInterval)

  /** Claims the lease and works under it, or says whom to wait for. */
  const leased = (grantId: string, mode: Mode, lost: { retried: boolean }): Effect.Effect<Round, AccessTokenError> =>
    Effect.gen(function* () {
      const claimed = yield* claim(grantId)
      const at = now()
      switch (claimed._tag) {
        case "NotFound":
          return yield* notFound(grantId)
        case "Dead":
          cache.delete(grantId)
          return yield* Effect.fail(deadError(claimed.record))
        case "Held": {
          // not ours to refresh: a token still valid is served meanwhile, else wait for the holder's commit
          const decision = decide(claimed.record, at, mode)
          if (decision._tag === "Serve") return yield* serve(claimed.record, decision)
          if (validFor(claimed.record, at, mode)) {
            remember(claimed.record, Math.min(at + settings.pollInterval, claimed.record.expiresAt.epochMillis))
            return done(claimed.record.accessToken)
          }
          return { _tag: "Wait", until: lookAgainAt(claimed.lease, at) } as const
        }
        case "Claimed": {
          // re-read under the lease: the record as claimed is the latest; another holder may have refreshed
          const record = claimed.record
          const decision = decide(record, at, mode)
          if (decision._tag !== "Work") {
            const released = yield* store.release(grantId, record.version)
            return released._tag === "Moved" ? again : yield* serve(released.record, decision)
          }
          return yield* record.status === "pending" ? check(record, lost) : refresh(record, mode, lost)
        }
      }
    })

  /**
   * One round: read the record and decide; if it calls for work, take a permit and work under the lease, in the
   * span of the refresh. The record read first is not held while waiting for a permit: in a storm, a thousand
   * flights wait at once, and whatever each holds is copied by every young-generation collection meanwhile.
   */
  const round = (grantId: string, mode: Mode, lost: { retried: boolean }): Effect.Effect<Round, AccessTokenError> =>
    Effect.flatMap(store.get(grantId), (found) => {
      if (Option.isNone(found)) return notFound(grantId)
      const decision = decide(found.value, now(), mode)
      if (decision._tag !== "Work") return serve(found.value, decision)
      return deps.permits.withPermits(1)(
        Effect.withSpan(leased(grantId, mode, lost), "TokenManager.refresh", {
          attributes: { grantId },
          captureStackTrace: false
        })
      )
    })

  /**
   * Brings the grant to a state that answers the caller: a token, or a typed failure, as `mode` asks. Runs only as
   * a flight, in a fiber of its own (`flights.ts`): every log line of that fiber is about the grant, so the grant id
   * is set on the fiber's log annotations once (`annotateLogs` would save and restore them around the flight).
   */
  const settle = (grantId: string, mode: Mode) => {
    const lost = { retried: false }
    const loop = (rounds: number): Effect.Effect<Redacted.Redacted<string>, AccessTokenError> =>
      Effect.gen(function* () {
        if (rounds > maxRoundsWithoutWaiting) {
          return yield* Effect.dieMessage(
            `the token store kept moving grant ${grantId}'s version: check the store against TokenStoreContract`
          )
        }
        const outcome = yield* round(grantId, mode, lost)
        switch (outcome._tag) {
          case "Done":
            return outcome.token
          case "Again":
            return yield* loop(rounds + 1)
          case "Wait":
            yield* Effect.sleep(Math.max(0, outcome.until - now()))
            return yield* loop(0)
        }
      })
    return Effect.zipRight(
      FiberRef.update(FiberRef.currentLogAnnotations, HashMap.set<string, unknown>("grantId", grantId)),
      loop(0)
    )
  }

  const onboard = (grantId: string, tokens: TokenSet) =>
    Effect.gen(function* () {
      const record = yield* store.insert({
        grantId,
        clientId: deps.clientId,
        authorizationId: tokens.authorizationId,
        tokens: {
          accessToken: tokens.accessToken,
          expiresAt: utc(tokens.expiresAt.epochMillis - settings.clockSkew),
          refreshToken: tokens.refreshToken,
          scopes: tokens.scopes,
          status: tokens.status === "pending" ? "pending" : "active",
          validFrom: tokens.validFrom,
          validUntil: tokens.validUntil
        }
      })
      cache.delete(grantId)
      const decision = decide(record, now(), answer)
      if (decision._tag === "Serve") remember(record, decision.until)
      yield* publish(TokenEvent.Onboarded({ grantId, status: record.status === "pending" ? "pending" : "active" }))
      yield* Effect.logDebug("grant onboarded").pipe(Effect.annotateLogs({ grantId, status: record.status }))
    })

  /** Revokes at the server under the lease (so no refresh runs meanwhile), then marks the grant dead. */
  const revoke = (grantId: string) => {
    const loop: Effect.Effect<void, GrantNotFound | RevocationError | TokenStore.TokenStoreError> = Effect.gen(
      function* () {
        const claimed = yield* claim(grantId)
        switch (claimed._tag) {
          case "NotFound":
            return yield* notFound(grantId)
          case "Dead":
            cache.delete(grantId)
            return
          case "Held": {
            const at = now()
            yield* Effect.sleep(lookAgainAt(claimed.lease, at) - at)
            return yield* loop
          }
          case "Claimed": {
            const { record } = claimed
            const revoked = yield* Effect.exit(
              Effect.zipRight(
                Option.match(record.refreshToken, {
                  onNone: () => Effect.void,
                  onSome: (token) => deps.revocation.revoke({ token, tokenTypeHint: "refresh_token" })
                }),
                deps.revocation.revoke({ token: record.accessToken, tokenTypeHint: "access_token" })
              )
            )
            if (Exit.isFailure(revoked)) {
              yield* store.release(grantId, record.version)
              return yield* Effect.failCause(revoked.cause)
            }
            if (!(yield* markDead(grantId, record.version, "RevokedByUs"))) return yield* loop
          }
        }
      }
    )
    return loop
  }

  const forget = (grantId: string) => Effect.tap(store.remove(grantId), () => Effect.sync(() => cache.delete(grantId)))

  return { settle, onboard, revoke, forget }
}
