import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as Model from "../src/Model.js"
import { Harness, hmError, NATIVE, OTHER, oauthError } from "./fixtures.js"

const invalid = hmError("refresh_token is invalid")

describe("Model refresh_token grant", () => {
  it("refreshes: a new access token and, with rotation, a new refresh token", () => {
    const h = new Harness()
    const login = h.login()
    const response = h.advance(60).refresh(login.refreshToken)
    expect(response.status).toBe(200)
    expect(response.headers["cache-control"]).toBe("no-store")
    expect(response.json).toMatchObject({
      token_type: "bearer",
      expires_in: 3600,
      status: "approved",
      authorization_id: login.authorizationId,
      scope: "diagnostics.get.mileage doors.get.locks windows.get.positions"
    })
    expect(response.field("access_token")).not.toBe(login.accessToken)
    expect(response.field("refresh_token")).not.toBe(login.refreshToken)
    expect(h.vehicleInfo(response.field("access_token")).status).toBe(200)
    // the earlier access token lives on until it expires
    expect(h.vehicleInfo(login.accessToken).status).toBe(200)
    expect(h.status(login.refreshToken)).toBe("superseded")
  })

  it("accepts the spec examples' grant_type refresh", () => {
    const h = new Harness()
    const login = h.login()
    expect(h.refresh(login.refreshToken, { grant_type: "refresh" }).status).toBe(200)
  })

  it("refuses grant_type refresh when the quirk is off", () => {
    const h = new Harness({ policy: { acceptRefreshGrantQuirk: false } })
    const login = h.login()
    expect(h.refresh(login.refreshToken, { grant_type: "refresh" }).json).toEqual(hmError("grant_type is invalid"))
  })

  it("chains rotations: each new refresh token refreshes once", () => {
    const h = new Harness()
    let refreshToken = h.login().refreshToken
    for (let i = 0; i < 5; i++) {
      const response = h.advance(3600).refresh(refreshToken)
      expect(response.status).toBe(200)
      refreshToken = response.field("refresh_token")
    }
    const [family] = Model.families(h.state, h.now)
    expect(family?.lineage.filter((t) => t.kind === "refresh").map((t) => t.status)).toEqual([
      ...Array(5).fill("superseded"),
      "live"
    ])
  })

  it("revokes the whole family when a superseded refresh token comes back", () => {
    const h = new Harness()
    const login = h.login()
    const rotated = h.refresh(login.refreshToken)
    expect(h.advance(1).refresh(login.refreshToken).json).toEqual(invalid)
    // the legitimate holder's newer tokens die with it
    expect(h.refresh(rotated.field("refresh_token")).json).toEqual(invalid)
    expect(h.vehicleInfo(rotated.field("access_token")).json.error_description).toBe("access token is invalid")
    expect(h.vehicleInfo(login.accessToken).json.error_description).toBe("access token is invalid")
    const [family] = Model.families(h.state, h.now)
    expect(family?.refreshTokensRevoked).toEqual({ at: h.now, reason: "refresh_token_reused" })
    expect(family?.accessTokensRevoked).toEqual({ at: h.now, reason: "refresh_token_reused" })
  })

  it("answers reuse with invalid_grant in the rfc6749 style", () => {
    const h = new Harness({ policy: { errorStyle: "rfc6749" } })
    const login = h.login()
    h.refresh(login.refreshToken)
    const response = h.refresh(login.refreshToken)
    expect(response.status).toBe(400)
    expect(response.json).toEqual(oauthError("invalid_grant", "refresh_token is invalid"))
  })

  it("leaves other families alone when one is revoked", () => {
    const h = new Harness()
    const first = h.login()
    const second = h.login()
    h.refresh(first.refreshToken)
    h.refresh(first.refreshToken)
    expect(h.refresh(second.refreshToken).status).toBe(200)
    expect(h.vehicleInfo(second.accessToken).status).toBe(200)
  })

  it("refreshes a reused token inside the grace without revoking anything", () => {
    const h = new Harness({ policy: { refreshReuseGrace: 10 } })
    const login = h.login()
    const first = h.refresh(login.refreshToken)
    const retry = h.advance(9.999).refresh(login.refreshToken)
    expect(retry.status).toBe(200)
    expect(retry.field("refresh_token")).not.toBe(first.field("refresh_token"))
    expect(h.refresh(first.field("refresh_token")).status).toBe(200)
    expect(h.refresh(retry.field("refresh_token")).status).toBe(200)
    expect(Model.families(h.state, h.now)[0]?.refreshTokensRevoked).toBeUndefined()
  })

  it("revokes the family on reuse once the grace has passed", () => {
    const h = new Harness({ policy: { refreshReuseGrace: 10 } })
    const login = h.login()
    const first = h.refresh(login.refreshToken)
    expect(h.advance(10).refresh(login.refreshToken).json).toEqual(invalid)
    expect(h.refresh(first.field("refresh_token")).json).toEqual(invalid)
  })

  it("returns the same refresh token when rotation is off", () => {
    const h = new Harness({ policy: { rotateRefreshTokens: false } })
    const login = h.login()
    const first = h.refresh(login.refreshToken)
    expect(first.field("refresh_token")).toBe(login.refreshToken)
    const second = h.refresh(login.refreshToken)
    expect(second.status).toBe(200)
    expect(second.field("access_token")).not.toBe(first.field("access_token"))
    expect(h.status(login.refreshToken)).toBe("live")
  })

  it("refuses another client's refresh token (invalid_grant in rfc6749)", () => {
    const h = new Harness()
    const login = h.login()
    const params = { client_id: OTHER.id, client_secret: OTHER.secret }
    expect(h.refresh(login.refreshToken, params).json).toEqual(hmError("token was not issued to this client"))
    const rfc = new Harness({ policy: { errorStyle: "rfc6749" } })
    const rfcLogin = rfc.login()
    expect(rfc.refresh(rfcLogin.refreshToken, params).json).toEqual(
      oauthError("invalid_grant", "token was not issued to this client")
    )
    // the owner's token is untouched
    expect(h.refresh(login.refreshToken).status).toBe(200)
  })

  it("refuses a wrong secret before looking at the token", () => {
    const h = new Harness()
    const login = h.login()
    expect(h.refresh(login.refreshToken, { client_secret: "nope" }).json).toEqual(hmError("client_secret is invalid"))
    expect(h.refresh(login.refreshToken).status).toBe(200)
  })

  it("refuses an unknown token and an access token sent as a refresh token", () => {
    const h = new Harness()
    const login = h.login()
    expect(h.refresh("6f3ab59b-9fb5-42ba-8e5b-574757fbffc8").json).toEqual(invalid)
    expect(h.refresh(login.accessToken).json).toEqual(invalid)
  })

  it("expires refresh tokens when the policy gives them a lifetime", () => {
    const h = new Harness({ policy: { refreshTokenLifetime: 86_400 } })
    const login = h.login()
    expect(h.advance(86_399).refresh(login.refreshToken).status).toBe(200)
    const next = h.login()
    expect(h.advance(86_400).refresh(next.refreshToken).json).toEqual(invalid)
  })

  it("never expires refresh tokens by default", () => {
    const h = new Harness()
    const login = h.login()
    expect(h.advance(10 * 365 * 86_400).refresh(login.refreshToken).status).toBe(200)
  })

  it("refuses a refresh once the consent's validity_end_date has passed, or issues dead tokens if the policy says so", () => {
    const refuse = new Harness()
    const ended = refuse.login({ validUntil: refuse.now + 60_000 })
    expect(refuse.advance(59).refresh(ended.refreshToken).status).toBe(200)
    const late = refuse.login({ validUntil: refuse.now + 60_000 })
    expect(refuse.advance(60).refresh(late.refreshToken).json).toEqual(
      hmError("authorization is outside its validity period")
    )
    const issue = new Harness({ policy: { refreshAfterValidityEnd: "issue" } })
    const login = issue.login({ validUntil: issue.now + 60_000 })
    const refreshed = issue.advance(60).refresh(login.refreshToken)
    expect(refreshed.status).toBe(200)
    expect(issue.vehicleInfo(refreshed.field("access_token")).json.error_description).toBe(
      "consent is outside its validity period"
    )
  })

  it("refuses a refresh token whose consent was withdrawn", () => {
    const h = new Harness()
    const login = h.login()
    h.state = Either.getOrThrow(Model.withdrawConsent(h.state, h.now, login.authorizationId))
    expect(h.refresh(login.refreshToken).json).toEqual(invalid)
  })

  it("keeps reporting a pending consent", () => {
    const h = new Harness()
    const login = h.login({ status: "pending" })
    expect(h.refresh(login.refreshToken).json.status).toBe("pending")
  })

  it("narrows the scope on request, never widens it", () => {
    const h = new Harness()
    const login = h.login()
    const narrowed = h.refresh(login.refreshToken, { scope: "doors.get.locks" })
    expect(narrowed.json.scope).toBe("doors.get.locks")
    // the refresh token keeps the whole grant
    const full = h.refresh(narrowed.field("refresh_token"))
    expect(full.json.scope).toBe("diagnostics.get.mileage doors.get.locks windows.get.positions")
    expect(h.refresh(full.field("refresh_token"), { scope: "doors.get.locks engine.start" }).json).toEqual(
      hmError("scope is invalid")
    )
    const rfc = new Harness({ policy: { errorStyle: "rfc6749" } })
    expect(rfc.refresh(rfc.login().refreshToken, { scope: "x" }).json).toEqual(
      oauthError("invalid_scope", "scope is invalid")
    )
  })

  it("refreshes a public client's token with client_id alone", () => {
    const h = new Harness()
    const { refreshToken } = h.nativeLogin()
    // an empty secret counts as none
    const response = h.refresh(refreshToken, { client_id: NATIVE.id, client_secret: "" })
    expect(response.status).toBe(200)
  })
})
