/**
 * The model's memory stays bounded by what can still change an answer: what is forgotten, when, and what is kept
 * for replay and reuse detection.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, HashMap } from "effect"
import * as Log from "../src/internal/model/log.js"
import * as Model from "../src/Model.js"
import { Harness, hmError, oauthError, signAssertion, WEB } from "./fixtures.js"

const DAY = 86_400
const credentials = { client_id: WEB.id, client_secret: WEB.secret }
const invalidToken = oauthError("invalid_token", "access token is invalid")

describe("Model memory", () => {
  it("forgets a client-credentials token as it expires: it read nothing even while live", () => {
    const h = new Harness()
    const tokens = Array.from({ length: 3 }, () =>
      h.post({ grant_type: "client_credentials", ...credentials }).field("access_token")
    )
    expect(Model.counts(h.state).tokens).toBe(3)
    h.advance(300).vehicleInfo("any")
    expect(Model.counts(h.state).tokens).toBe(0)
    // their blocks are gone too: nothing is left of them
    expect(Log.blockCount(h.state.tokens)).toBe(0)
    expect(Log.blockCount(h.state.values)).toBe(0)
    expect(h.vehicleInfo(tokens[0]!).json).toEqual(invalidToken)
    expect(h.revoke({ token: tokens[0]!, ...credentials }).status).toBe(200)
  })

  it("answers an expired access token 'expired' for forgetAfter, then forgets it: the grant lives on", () => {
    const h = new Harness()
    const login = h.login()
    expect(h.advance(3600 + DAY - 1).vehicleInfo(login.accessToken).json.error_description).toBe(
      "access token is expired"
    )
    expect(h.advance(1).vehicleInfo(login.accessToken).json).toEqual(invalidToken)
    expect(h.status(login.accessToken)).toBeUndefined()
    const refreshed = h.refresh(login.refreshToken)
    expect(h.vehicleInfo(refreshed.field("access_token")).status).toBe(200)
  })

  it("recognises a superseded refresh token as long as its family lives, however long: reuse still revokes it", () => {
    const h = new Harness()
    const login = h.login()
    const rotated = h.refresh(login.refreshToken)
    h.advance(365 * DAY).vehicleInfo("any")
    expect(h.status(login.refreshToken)).toBe("superseded")
    expect(h.refresh(login.refreshToken).json).toEqual(hmError("refresh_token is invalid"))
    expect(h.refresh(rotated.field("refresh_token")).json).toEqual(hmError("refresh_token is invalid"))
    expect(Model.families(h.state, h.now)[0]?.refreshTokensRevoked?.reason).toBe("refresh_token_reused")
  })

  it("forgets a dead grant whole, forgetAfter after its last token died: consent, code, family and tokens", () => {
    const h = new Harness()
    const login = h.login()
    const refreshed = h.refresh(login.refreshToken)
    h.revoke({ token: refreshed.field("refresh_token"), ...credentials })
    const live = h.login()
    // the revocation killed every token of the family at once: the grant died then
    h.advance(DAY - 1).authorize()
    expect(Model.consent(h.state, login.authorizationId)._tag).toBe("Some")
    h.advance(1).authorize()
    h.authorize()
    expect(Model.consent(h.state, login.authorizationId)._tag).toBe("None")
    expect(Model.families(h.state, h.now).map((family) => family.authorizationId)).toEqual([live.authorizationId])
    expect(h.status(login.refreshToken)).toBeUndefined()
    // a replay of the forgotten code is just an unknown code now
    expect(h.vehicleInfo(refreshed.field("access_token")).json).toEqual(invalidToken)
    expect(h.vehicleInfo(live.accessToken).json.error_description).toBe("access token is expired")
  })

  it("forgets a grant when its last access token is forgotten, if its refresh tokens died before", () => {
    const h = new Harness({ policy: { cascadeRevocation: false } })
    const login = h.login()
    h.revoke({ token: login.refreshToken, ...credentials })
    h.advance(3600 + DAY).vehicleInfo("any")
    expect(Model.consent(h.state, login.authorizationId)._tag).toBe("None")
    expect(Model.counts(h.state)).toMatchObject({ consents: 0, codes: 0, tokens: 0, families: 0 })
  })

  it("forgets a consent whose code was never redeemed, a withdrawn one, and one whose refresh token expired", () => {
    const h = new Harness({ policy: { refreshTokenLifetime: 7200 } })
    const unused = h.authorize()
    const withdrawn = h.login()
    h.state = Either.getOrThrow(Model.withdrawConsent(h.state, h.now, withdrawn.authorizationId))
    const expiring = h.login()
    h.advance(7200 + DAY)
    for (let i = 0; i < 4; i++) h.authorize()
    for (const { authorizationId } of [unused, withdrawn, expiring]) {
      expect(Model.consent(h.state, authorizationId)._tag, authorizationId).toBe("None")
    }
    expect(Model.counts(h.state).consents).toBe(4)
  })

  it("keeps a live grant, its consent and its newest tokens, however long nothing happens", () => {
    const h = new Harness()
    const login = h.login()
    h.advance(10 * 365 * DAY)
    for (let i = 0; i < 4; i++) h.authorize()
    expect(Model.consent(h.state, login.authorizationId)._tag).toBe("Some")
    expect(h.refresh(login.refreshToken).status).toBe(200)
  })

  it("stays bounded over thousands of sessions with the clock moving: what it holds is what can still matter", () => {
    const h = new Harness()
    for (let i = 0; i < 3000; i++) {
      const login = h.advance(60).login()
      const refreshed = h.refresh(login.refreshToken)
      h.revoke({ token: refreshed.field("refresh_token"), ...credentials })
      if (i % 10 === 0) h.assert(signAssertion(h.claims()))
    }
    const counts = Model.counts(h.state)
    // a day of sessions at one a minute is still remembered: 1,440 grants, each a consent, a code, a family and
    // four tokens; every client-credentials token is gone but the last five minutes'
    expect(counts.consents).toBeLessThanOrEqual(2 * 1441)
    expect(counts.families).toBeLessThanOrEqual(2 * 1441)
    expect(counts.tokens).toBeLessThanOrEqual(2 * 4 * 1441 + 1)
    expect(HashMap.size(h.state.assertions.byKey)).toBeLessThanOrEqual(1)
    expect(Model.tokens(h.state, h.now).length).toBe(counts.tokens)
    expect(Model.consents(h.state).length).toBe(counts.consents)
  })

  it("keeps a long-lived family's list to what it still holds: forgotten access tokens leave it", () => {
    const h = new Harness({ policy: { rotateRefreshTokens: false, forgetAfter: 60 } })
    const login = h.login()
    for (let i = 0; i < 500; i++) h.advance(600).refresh(login.refreshToken)
    const [family] = Model.families(h.state, h.now)
    const kept = Log.toArray(h.state.familyTokens)[0]!
    // a refresh every ten minutes, each access token living an hour and remembered a minute more: seven kept
    expect(kept.access.count).toBeLessThanOrEqual(7)
    expect(family!.lineage.filter((token) => token.kind === "access")).toHaveLength(kept.access.count)
    expect(Model.counts(h.state).tokens).toBe(1 + kept.access.count)
  })

  it("forgets with forgetAfter as the policy says", () => {
    const h = new Harness({ policy: { forgetAfter: 0 } })
    const login = h.login()
    expect(h.advance(3600).vehicleInfo(login.accessToken).json).toEqual(invalidToken)
    const fleet = h.assert(signAssertion(h.claims())).field("access_token")
    expect(h.advance(299).status(fleet)).toBe("live")
  })
})

describe("Model listings", () => {
  const h = new Harness()
  const logins = Array.from({ length: 5 }, () => h.advance(1).login())
  h.refresh(logins[0]!.refreshToken)
  h.state = Either.getOrThrow(Model.withdrawConsent(h.state, h.now, logins[1]!.authorizationId))
  for (let i = 0; i < 3; i++) h.post({ grant_type: "client_credentials", ...credentials })

  it("finds a token by its handle, and nothing for a handle it never gave or already forgot", () => {
    const all = Model.tokens(h.state, h.now)
    for (const token of all)
      expect(Model.token(h.state, h.now, token.handle).pipe((o) => o._tag === "Some" && o.value.serial)).toBe(
        token.serial
      )
    for (const handle of ["at#0", "rt#1", "fam#2", "at#99999", "at#3x", "nope", "#3"]) {
      expect(Model.token(h.state, h.now, handle)._tag, handle).toBe("None")
    }
  })

  it("pages tokens in issue order, each page going on from the last one's cursor", () => {
    const all = Model.tokens(h.state, h.now)
    const seen: Array<string> = []
    let after: number | undefined
    for (let pages = 0; pages < 10; pages++) {
      const page = Model.tokenPage(h.state, h.now, { after, limit: 3 })
      seen.push(...page.items.map((token) => token.handle))
      if (page.next === undefined) break
      after = page.next
    }
    expect(seen).toEqual(all.map((token) => token.handle))
  })

  it("filters tokens by kind, status, client, consent and family", () => {
    const at = (query: Model.TokenQuery) =>
      Model.tokenPage(h.state, h.now, { limit: 1000, ...query }).items.map((t) => t.handle)
    const all = Model.tokens(h.state, h.now)
    expect(at({ kind: "client_credentials" })).toEqual(
      all.filter((t) => t.kind === "client_credentials").map((t) => t.handle)
    )
    expect(at({ status: "revoked" })).toEqual(all.filter((t) => t.status === "revoked").map((t) => t.handle))
    expect(at({ status: "revoked" })).toHaveLength(2)
    const [first] = Model.families(h.state, h.now)
    expect(at({ family: first!.handle })).toEqual(first!.lineage.map((t) => t.handle))
    expect(at({ authorizationId: logins[0]!.authorizationId })).toEqual(first!.lineage.map((t) => t.handle))
    expect(at({ authorizationId: logins[0]!.authorizationId, kind: "refresh", status: "live" })).toHaveLength(1)
    expect(at({ authorizationId: "nope" })).toEqual([])
    expect(at({ clientId: "other-app" })).toEqual([])
  })

  it("pages a family's tokens by its own index, with a cursor", () => {
    const [first] = Model.families(h.state, h.now)
    const page = Model.tokenPage(h.state, h.now, { family: first!.handle, limit: 3 })
    expect(page.items).toHaveLength(3)
    const rest = Model.tokenPage(h.state, h.now, { family: first!.handle, after: page.next })
    expect([...page.items, ...rest.items].map((t) => t.handle)).toEqual(first!.lineage.map((t) => t.handle))
    expect(rest.next).toBeUndefined()
  })

  it("pages consents and families, filtered, and cuts a long lineage to its newest tokens", () => {
    expect(Model.consentPage(h.state, { status: "revoked" }).items.map((c) => c.authorizationId)).toEqual([
      logins[1]!.authorizationId
    ])
    const twoFirst = Model.consentPage(h.state, { limit: 2 })
    expect(twoFirst.items.map((c) => c.seq)).toEqual([0, 1])
    expect(Model.consentPage(h.state, { after: twoFirst.next }).items.map((c) => c.seq)).toEqual([2, 3, 4])
    const [family] = Model.familyPage(h.state, h.now, { lineage: 2, limit: 1 }).items
    expect(family?.lineage.map((t) => t.handle)).toEqual(
      Model.families(h.state, h.now)[0]!
        .lineage.slice(-2)
        .map((t) => t.handle)
    )
    expect(family?.olderTokens).toBe(true)
    expect(Model.familyPage(h.state, h.now, { authorizationId: logins[2]!.authorizationId }).items).toHaveLength(1)
  })

  it("looks at a bounded stretch per page: a sparse filter answers a short page and a cursor to go on", () => {
    const big = new Harness()
    // a code, a family and two tokens per login: 6,000 records before the one client-credentials token
    for (let i = 0; i < 1500; i++) big.login()
    big.post({ grant_type: "client_credentials", ...credentials })
    const first = Model.tokenPage(big.state, big.now, { kind: "client_credentials" })
    expect(first.items).toEqual([])
    expect(first.next).toBeDefined()
    const second = Model.tokenPage(big.state, big.now, { kind: "client_credentials", after: first.next })
    expect(second.items.map((t) => t.kind)).toEqual(["client_credentials"])
    expect(second.next).toBeUndefined()
  })

  it("pages the history by seq", () => {
    const entries = Model.history(h.state)
    const page = Model.historyPage(h.state, { after: entries[2]!.seq, limit: 2 })
    expect(page.items.map((e) => e.seq)).toEqual([entries[3]!.seq, entries[4]!.seq])
    expect(page.next).toBe(entries[4]!.seq)
  })
})
