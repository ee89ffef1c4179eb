/**
 * What a chaos run comes to, read from the fake's state and history and from the store once every node has stopped:
 * refreshes the fake answered, families it revoked for reuse, rotations it answered that nobody ever used, grants the
 * manager marked dead and why, grants whose stored refresh token is not the server's current one, and every token a
 * node handed out, judged against the fake's record of it at the time it was handed out.
 */
import type { TokenStore } from "@hm-oauth/core"
import { type FakeServer, Model } from "@hm-oauth/testkit"
import { Effect, Option, Redacted } from "effect"
import { digest, parse } from "./handouts.mjs"

export interface Judged {
  /** Refresh requests in the fake's history. */
  readonly refreshRequests: number
  /** Of them, answered with new tokens. */
  readonly refreshesAnswered: number
  /** Of them, refused (`invalid_grant`). */
  readonly refreshesRefused: number
  /** Grants whose family the fake revoked because a superseded refresh token came back. */
  readonly familiesRevokedByReuse: ReadonlyArray<string>
  /** Grants the manager marked dead with reason `RotationLost`. */
  readonly rotationLost: ReadonlyArray<string>
  /** Grants with a refresh the fake answered whose new refresh token was never sent again, nor stored. */
  readonly lostRotations: ReadonlyArray<string>
  /** Grants another reason killed (`grant reason`): none may. */
  readonly otherDeaths: ReadonlyArray<string>
  /** Grants missing, or alive with a stored refresh token other than the server's one live one (`grant why`). */
  readonly grantsLost: ReadonlyArray<string>
  readonly handouts: number
  /** Handouts during which the clock moved: judged valid at some moment of the call. */
  readonly handoutsAcrossMoves: number
  /** Tokens handed out that were unknown, another grant's, expired or revoked (`grant why`): none may be. */
  readonly badHandouts: ReadonlyArray<string>
  /**
   * Tokens of a `RotationLost` grant handed out after the reuse revoked its family and before the manager learnt it:
   * the crash window's cost on other nodes that held the old token in memory.
   */
  readonly crashWindowHandouts: number
}

const sorted = (values: Iterable<string>) => [...new Set(values)].sort()

const isRefresh = (entry: Model.HistoryEntry) =>
  entry.method === "POST" &&
  entry.path === "/v1/access_tokens" &&
  typeof entry.request === "object" &&
  (entry.request.grant_type === "refresh_token" || entry.request.grant_type === "refresh")

/** The refresh token's handle in a request or answer the history kept. */
const refreshTokenOf = (body: Model.HistoryEntry["request"] | Model.HistoryEntry["response"]): string | undefined => {
  if (typeof body !== "object" || !("refresh_token" in body)) return undefined
  return typeof body.refresh_token === "string" ? body.refresh_token : undefined
}

/** Every record `query` finds, page after page. */
export const scanAll = (store: TokenStore.Service, query: Omit<TokenStore.ScanQuery, "limit" | "after"> = {}) =>
  Effect.gen(function* () {
    const records: Array<TokenStore.GrantRecord> = []
    let after: string | undefined
    do {
      const page = yield* store.scan({ ...query, limit: 1000, ...(after === undefined ? {} : { after }) })
      records.push(...page.records)
      after = Option.getOrUndefined(page.next)
    } while (after !== undefined)
    return records
  })

export const judge = (
  server: FakeServer.Service,
  store: TokenStore.Service,
  grants: ReadonlyArray<string>,
  handoutTexts: ReadonlyArray<string>
): Effect.Effect<Judged> =>
  Effect.gen(function* () {
    const records = new Map((yield* scanAll(store)).map((record) => [record.grantId, record]))
    return yield* server.read((state, now): Judged => {
      const handle = (value: string) => Option.getOrUndefined(Model.handleOf(state, value))
      const families = Model.families(state, now)
      const familyOfGrant = new Map(families.map((family) => [family.authorizationId, family]))
      const familyByHandle = new Map(families.map((family) => [family.handle, family]))
      const grantOfToken = new Map(
        families.flatMap((family) => family.lineage.map((token) => [token.handle, family.authorizationId] as const))
      )
      const storedRefresh = new Map(
        [...records.values()].map((record) => [
          record.grantId,
          Option.getOrUndefined(Option.map(record.refreshToken, (token) => handle(Redacted.value(token))))
        ])
      )

      // refreshes, and the rotations whose new refresh token never came back nor reached the store
      const refreshes = Model.history(state).filter(isRefresh)
      const presented = new Set(refreshes.flatMap((entry) => [refreshTokenOf(entry.request) ?? ""]))
      const lostRotations: Array<string> = []
      for (const entry of refreshes) {
        const issued = refreshTokenOf(entry.response)
        const grantId = grantOfToken.get(refreshTokenOf(entry.request) ?? "")
        if (entry.status !== 200 || issued === undefined || grantId === undefined) continue
        if (!presented.has(issued) && storedRefresh.get(grantId) !== issued) lostRotations.push(grantId)
      }

      const rotationLost: Array<string> = []
      const otherDeaths: Array<string> = []
      const grantsLost: Array<string> = []
      for (const grantId of grants) {
        const record = records.get(grantId)
        if (record === undefined) {
          grantsLost.push(`${grantId} missing`)
          continue
        }
        if (record.status === "dead") {
          const reason = Option.getOrElse(record.deadReason, () => "none")
          if (reason === "RotationLost") rotationLost.push(grantId)
          else otherDeaths.push(`${grantId} ${reason}`)
          continue
        }
        const live = (familyOfGrant.get(grantId)?.lineage ?? []).filter(
          (token) => token.kind === "refresh" && token.status === "live"
        )
        const stored = storedRefresh.get(grantId)
        if (live.length !== 1 || live[0]!.handle !== stored) {
          grantsLost.push(`${grantId} stores ${stored} where the server has ${live.map((t) => t.handle).join(",")}`)
        }
      }

      // every handout against the fake's record of the token
      const accessByDigest = new Map<string, Model.AccessToken>()
      for (const value of Model.issuedValues(state)) {
        const found = handle(value)
        if (found === undefined || !found.startsWith("at#")) continue
        const token = Option.getOrUndefined(Model.token(state, now, found))
        if (token?.kind === "access") accessByDigest.set(digest(value), token)
      }
      const consents = new Map(Model.consents(state).map((consent) => [consent.authorizationId, consent]))
      const lost = new Set(rotationLost)
      let handouts = 0
      let handoutsAcrossMoves = 0
      let crashWindowHandouts = 0
      const badHandouts: Array<string> = []
      for (const text of handoutTexts) {
        for (const handout of parse(text)) {
          handouts++
          if (handout.moved) handoutsAcrossMoves++
          // valid at the end of the call; across a move of the clock, at some moment of it
          const first = handout.moved ? handout.before : handout.after
          const last = handout.after
          const token = accessByDigest.get(handout.digest)
          const bad = (why: string) => badHandouts.push(`${handout.grantId} ${why}`)
          if (token === undefined) bad("an access token the fake never issued")
          else if (token.authorizationId !== handout.grantId) bad(`${token.handle}, another grant's`)
          else if (last < token.issuedAt) bad(`${token.handle} before its issue`)
          else if (first >= token.expiresAt) bad(`${token.handle} expired ${first - token.expiresAt} ms before`)
          else {
            const familyRevoked = familyByHandle.get(token.family)?.accessTokensRevoked?.at
            const revokedAt = Math.min(
              token.revokedAt ?? Infinity,
              familyRevoked ?? Infinity,
              consents.get(token.authorizationId)?.revokedAt ?? Infinity
            )
            if (first < revokedAt) continue
            if (lost.has(handout.grantId) && familyRevoked === revokedAt) crashWindowHandouts++
            else bad(`${token.handle} revoked ${first - revokedAt} ms before`)
          }
        }
      }

      return {
        refreshRequests: refreshes.length,
        refreshesAnswered: refreshes.filter((entry) => entry.status === 200).length,
        refreshesRefused: refreshes.filter((entry) => entry.status === 400).length,
        familiesRevokedByReuse: sorted(
          families
            .filter((family) => family.refreshTokensRevoked?.reason === "refresh_token_reused")
            .map((family) => family.authorizationId)
        ),
        rotationLost: sorted(rotationLost),
        lostRotations: sorted(lostRotations),
        otherDeaths,
        grantsLost,
        handouts,
        handoutsAcrossMoves,
        badHandouts,
        crashWindowHandouts
      }
    })
  }).pipe(Effect.orDie)
