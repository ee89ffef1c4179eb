import { describe, expect, it } from "@effect/vitest"
import * as Model from "../src/Model.js"
import { Harness, hmError, NATIVE, OTHER, oauthError, WEB } from "./fixtures.js"

const credentials = { client_id: WEB.id, client_secret: WEB.secret }
const revoked = oauthError("invalid_token", "access token is invalid")

describe("Model revocation (DELETE /v1/access_tokens)", () => {
  it("revokes an access token alone", () => {
    const h = new Harness()
    const login = h.login()
    const response = h.revoke({ token: login.accessToken, ...credentials })
    expect(response).toMatchObject({ status: 200, body: "" })
    expect(h.vehicleInfo(login.accessToken).json).toEqual(revoked)
    expect(h.status(login.accessToken)).toBe("revoked")
    // the grant itself lives on
    const refreshed = h.refresh(login.refreshToken)
    expect(refreshed.status).toBe(200)
    expect(h.vehicleInfo(refreshed.field("access_token")).status).toBe(200)
  })

  it("revokes a refresh token's family, its access tokens too with the cascade", () => {
    const h = new Harness()
    const login = h.login()
    const refreshed = h.refresh(login.refreshToken)
    expect(h.revoke({ token: refreshed.field("refresh_token"), ...credentials }).status).toBe(200)
    expect(h.refresh(refreshed.field("refresh_token")).json).toEqual(hmError("refresh_token is invalid"))
    expect(h.vehicleInfo(login.accessToken).json).toEqual(revoked)
    expect(h.vehicleInfo(refreshed.field("access_token")).json).toEqual(revoked)
    expect(Model.families(h.state, h.now)[0]?.accessTokensRevoked?.reason).toBe("refresh_token_revoked")
  })

  it("leaves the access tokens live without the cascade", () => {
    const h = new Harness({ policy: { cascadeRevocation: false } })
    const login = h.login()
    h.revoke({ token: login.refreshToken, ...credentials })
    expect(h.refresh(login.refreshToken).json).toEqual(hmError("refresh_token is invalid"))
    expect(h.vehicleInfo(login.accessToken).status).toBe(200)
    expect(Model.families(h.state, h.now)[0]?.accessTokensRevoked).toBeUndefined()
  })

  it("searches every kind of token whatever the hint says", () => {
    const h = new Harness()
    const login = h.login()
    h.revoke({ token: login.refreshToken, token_type_hint: "access_token", ...credentials })
    expect(h.status(login.refreshToken)).toBe("revoked")
    h.revoke({ token: login.accessToken, token_type_hint: "refresh_token", ...credentials })
    const other = h.login()
    h.revoke({ token: other.accessToken, token_type_hint: "id_token", ...credentials })
    expect(h.status(other.accessToken)).toBe("revoked")
  })

  it("answers 200 for an unknown token and for a second revocation", () => {
    const h = new Harness()
    const login = h.login()
    expect(h.revoke({ token: "b39c3380-a8cf-48fe-ad80-d70279a4a5d6", ...credentials }).status).toBe(200)
    expect(h.revoke({ token: login.accessToken, ...credentials }).status).toBe(200)
    const before = Model.tokens(h.state, h.now)
    expect(h.revoke({ token: login.accessToken, ...credentials })).toMatchObject({ status: 200, body: "" })
    expect(Model.tokens(h.state, h.now)).toEqual(before)
  })

  it("refuses another client's token (unauthorized_client in rfc6749) and leaves it live", () => {
    const h = new Harness()
    const login = h.login()
    const response = h.revoke({ token: login.accessToken, client_id: OTHER.id, client_secret: OTHER.secret })
    expect(response.status).toBe(400)
    expect(response.json).toEqual(hmError("token was not issued to this client"))
    expect(h.vehicleInfo(login.accessToken).status).toBe(200)
    const rfc = new Harness({ policy: { errorStyle: "rfc6749" } })
    const rfcLogin = rfc.login()
    const refused = rfc.revoke({ token: rfcLogin.refreshToken, client_id: OTHER.id, client_secret: OTHER.secret })
    expect(refused.status).toBe(400)
    expect(refused.json).toEqual(oauthError("unauthorized_client", "token was not issued to this client"))
  })

  it("authenticates the client first", () => {
    const h = new Harness()
    const login = h.login()
    expect(h.revoke({ token: login.accessToken, client_id: WEB.id, client_secret: "nope" }).json).toEqual(
      hmError("client_secret is invalid")
    )
    expect(h.revoke({ token: login.accessToken, client_id: "nobody", client_secret: "x" }).json).toEqual(
      hmError("client_id is invalid")
    )
    expect(h.vehicleInfo(login.accessToken).status).toBe(200)
    const rfc = new Harness({ policy: { errorStyle: "rfc6749" } })
    expect(rfc.revoke({ token: "x", client_id: WEB.id, client_secret: "nope" }).status).toBe(401)
  })

  it("reports blank parameters", () => {
    const h = new Harness()
    expect(h.revoke({}).json).toEqual(
      hmError("client_id can't be blank, client_secret can't be blank, token can't be blank")
    )
    expect(h.revoke({ client_id: WEB.id }).json).toEqual(hmError("client_secret can't be blank, token can't be blank"))
    expect(h.revoke({ client_id: NATIVE.id }).json).toEqual(hmError("token can't be blank"))
  })

  it("lets a public client revoke with its client_id alone", () => {
    const h = new Harness()
    const { accessToken, refreshToken } = h.nativeLogin()
    expect(h.revoke({ token: refreshToken, client_id: NATIVE.id }).status).toBe(200)
    expect(h.vehicleInfo(accessToken).json).toEqual(revoked)
  })

  it("revokes a client-credentials token", () => {
    const h = new Harness()
    const token = h.post({ grant_type: "client_credentials", ...credentials }).field("access_token")
    expect(h.status(token)).toBe("live")
    expect(h.revoke({ token, ...credentials }).status).toBe(200)
    expect(h.status(token)).toBe("revoked")
  })
})
