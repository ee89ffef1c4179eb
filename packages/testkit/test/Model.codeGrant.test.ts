import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as Model from "../src/Model.js"
import { CHALLENGE, Harness, hmError, NATIVE, OTHER, oauthError, s256, T0, VERIFIER, VIN, WEB } from "./fixtures.js"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe("Model authorization_code grant", () => {
  it("exchanges a code for the spec's token response", () => {
    const h = new Harness()
    const { code, authorizationId } = h.authorize()
    const response = h.exchange(code)
    expect(response.status).toBe(200)
    expect(Object.keys(response.json)).toEqual([
      "access_token",
      "token_type",
      "expires_in",
      "refresh_token",
      "scope",
      "status",
      "authorization_id"
    ])
    expect(response.json).toMatchObject({
      token_type: "bearer",
      expires_in: 3600,
      scope: "diagnostics.get.mileage doors.get.locks windows.get.positions",
      status: "approved",
      authorization_id: authorizationId
    })
    expect(response.field("access_token")).toMatch(UUID)
    expect(response.field("refresh_token")).toMatch(UUID)
    expect(response.field("access_token")).not.toBe(response.field("refresh_token"))
  })

  it("carries the consent's validity dates, with microseconds", () => {
    const h = new Harness()
    const { code } = h.authorize({ validFrom: Date.UTC(2018, 10, 1, 0, 1, 2, 94), validUntil: Date.UTC(2020, 11, 31) })
    expect(h.exchange(code).json).toMatchObject({
      validity_start_date: "2018-11-01T00:01:02.094000Z",
      validity_end_date: "2020-12-31T00:00:00.000000Z"
    })
  })

  it("issues tokens with status pending for a pending consent", () => {
    const h = new Harness()
    const { code } = h.authorize({ status: "pending" })
    const response = h.exchange(code)
    expect(response.status).toBe(200)
    expect(response.json.status).toBe("pending")
  })

  it("issues the consent's own scopes", () => {
    const h = new Harness()
    const { code } = h.authorize({ scopes: ["doors.get.locks"] })
    expect(h.exchange(code).json.scope).toBe("doors.get.locks")
  })

  it("refuses a wrong client secret: client_secret is invalid (401 invalid_client in rfc6749)", () => {
    const h = new Harness()
    expect(h.exchange(h.authorize().code, { client_secret: "wrong" }).json).toEqual(hmError("client_secret is invalid"))
    const rfc = new Harness({ policy: { errorStyle: "rfc6749" } })
    const response = rfc.exchange(rfc.authorize().code, { client_secret: `${WEB.secret}x` })
    expect(response.status).toBe(401)
    expect(response.json).toEqual(oauthError("invalid_client", "client_secret is invalid"))
  })

  it("refuses a secret sent by a public client", () => {
    const h = new Harness()
    const { code } = h.nativeAuthorize()
    const response = h.nativeExchange(code, { code_verifier: VERIFIER, client_secret: "anything" })
    expect(response.json).toEqual(hmError("client_secret is invalid"))
  })

  it("refuses an unknown code: code is invalid (invalid_grant in rfc6749)", () => {
    expect(new Harness().exchange("7672e33d-fdc0-47f0-bd17-6c1e727271f8").json).toEqual(hmError("code is invalid"))
    const rfc = new Harness({ policy: { errorStyle: "rfc6749" } }).exchange("nope")
    expect(rfc.status).toBe(400)
    expect(rfc.json).toEqual(oauthError("invalid_grant", "code is invalid"))
  })

  it("refuses a code issued to another client", () => {
    const h = new Harness()
    const { code } = h.authorize()
    const response = h.exchange(code, { client_id: OTHER.id, client_secret: OTHER.secret })
    expect(response.json).toEqual(hmError("code is invalid"))
    expect(h.exchange(code).status).toBe(200)
  })

  it("expires a code ten minutes after issue", () => {
    const early = new Harness()
    const first = early.authorize().code
    expect(early.advance(599.999).exchange(first).status).toBe(200)
    const late = new Harness()
    const second = late.authorize().code
    expect(late.advance(600).exchange(second).json).toEqual(hmError("code is invalid"))
  })

  it("follows the policy's code lifetime", () => {
    const h = new Harness({ policy: { codeLifetime: 30 } })
    const { code } = h.authorize()
    expect(h.advance(30).exchange(code).json).toEqual(hmError("code is invalid"))
  })

  it("refuses a redirect URI that differs by a byte", () => {
    const h = new Harness()
    const { code } = h.authorize()
    for (const redirect_uri of [
      `${WEB.redirectUris[0]}/`,
      "https://APP.example/callback",
      "https://app.example/callback?x"
    ]) {
      expect(h.exchange(code, { redirect_uri }).json).toEqual(hmError("redirect_uri is invalid"))
    }
    expect(h.exchange(code).status).toBe(200)
  })

  it("redeems a code once; a replay fails and revokes every token issued from it", () => {
    const h = new Harness()
    const { code } = h.authorize()
    const first = h.exchange(code)
    const accessToken = first.field("access_token")
    const refreshToken = first.field("refresh_token")
    expect(h.vehicleInfo(accessToken).status).toBe(200)

    expect(h.exchange(code).json).toEqual(hmError("code is invalid"))
    expect(h.vehicleInfo(accessToken).json).toEqual(oauthError("invalid_token", "access token is invalid"))
    expect(h.refresh(refreshToken).json).toEqual(hmError("refresh_token is invalid"))
    const [family] = Model.families(h.state, h.now)
    expect(family?.refreshTokensRevoked?.reason).toBe("code_replayed")
    expect(family?.accessTokensRevoked?.reason).toBe("code_replayed")
  })

  it("revokes the tokens refreshed from a replayed code too", () => {
    const h = new Harness()
    const { code } = h.authorize()
    const refreshed = h.refresh(h.exchange(code).field("refresh_token"))
    h.exchange(code)
    expect(h.vehicleInfo(refreshed.field("access_token")).status).toBe(401)
    expect(h.refresh(refreshed.field("refresh_token")).json).toEqual(hmError("refresh_token is invalid"))
  })

  it("answers a replay with invalid_grant in the rfc6749 style", () => {
    const h = new Harness({ policy: { errorStyle: "rfc6749" } })
    const { code } = h.authorize()
    h.exchange(code)
    expect(h.exchange(code).json).toEqual(oauthError("invalid_grant", "code is invalid"))
  })

  it("issues nothing for a withdrawn consent", () => {
    const h = new Harness()
    const { code, authorizationId } = h.authorize()
    h.state = Either.getOrThrow(Model.withdrawConsent(h.state, h.now, authorizationId))
    expect(h.exchange(code).json).toEqual(hmError("code is invalid"))
  })

  describe("PKCE", () => {
    it("redeems an S256 code with its verifier, without a secret for a public client", () => {
      const h = new Harness()
      const { code } = h.nativeAuthorize()
      const response = h.nativeExchange(code, { code_verifier: VERIFIER })
      expect(response.status).toBe(200)
      expect(response.json.refresh_token).toMatch(UUID)
    })

    it("redeems a confidential client's code with both secret and verifier", () => {
      const h = new Harness()
      const { code } = h.authorize({ codeChallenge: CHALLENGE, codeChallengeMethod: "S256" })
      expect(h.exchange(code, { code_verifier: VERIFIER }).status).toBe(200)
    })

    it("redeems a plain code with the challenge itself", () => {
      const h = new Harness()
      const { code } = h.nativeAuthorize({ codeChallenge: VERIFIER, codeChallengeMethod: "plain" })
      expect(h.nativeExchange(code, { code_verifier: VERIFIER }).status).toBe(200)
    })

    it("reads a challenge sent without a method as S256, as HM's SDKs mean it", () => {
      const h = new Harness()
      const { code } = h.nativeAuthorize()
      expect(h.nativeExchange(code, { code_verifier: CHALLENGE }).json).toEqual(hmError("code_verifier is invalid"))
      expect(h.nativeExchange(code, { code_verifier: VERIFIER }).status).toBe(200)
    })

    it("reads a challenge without a method as plain when the policy says so", () => {
      const h = new Harness({ policy: { defaultCodeChallengeMethod: "plain" } })
      const { code } = h.nativeAuthorize({ codeChallenge: VERIFIER })
      expect(h.nativeExchange(code, { code_verifier: VERIFIER }).status).toBe(200)
    })

    it("never redeems a code issued with a challenge without its verifier", () => {
      const h = new Harness()
      const native = h.nativeAuthorize().code
      expect(h.nativeExchange(native).json).toEqual(hmError("code_verifier is invalid"))
      // a confidential client's secret does not stand in for the verifier either
      const web = h.authorize({ codeChallenge: CHALLENGE }).code
      expect(h.exchange(web).json).toEqual(hmError("code_verifier is invalid"))
    })

    it("refuses a wrong verifier (invalid_grant in rfc6749)", () => {
      const h = new Harness({ policy: { errorStyle: "rfc6749" } })
      const { code } = h.nativeAuthorize()
      const response = h.nativeExchange(code, { code_verifier: `${VERIFIER.slice(0, -1)}A` })
      expect(response.json).toEqual(oauthError("invalid_grant", "code_verifier is invalid"))
    })

    it("refuses a verifier outside 43–128 unreserved characters, even when it hashes right", () => {
      const h = new Harness()
      for (const verifier of ["a".repeat(42), "a".repeat(129), `${"a".repeat(42)}+`]) {
        const { code } = h.nativeAuthorize({ codeChallenge: s256(verifier) })
        expect(h.nativeExchange(code, { code_verifier: verifier }).json).toEqual(hmError("code_verifier is invalid"))
      }
      const { code } = h.nativeAuthorize({ codeChallenge: s256("a".repeat(128)) })
      expect(h.nativeExchange(code, { code_verifier: "a".repeat(128) }).status).toBe(200)
    })

    it("refuses a verifier sent for a code issued without a challenge", () => {
      const h = new Harness()
      const { code } = h.authorize()
      expect(h.exchange(code, { code_verifier: VERIFIER }).json).toEqual(hmError("code_verifier is invalid"))
    })

    it("lets a public client skip PKCE only when the policy allows it", () => {
      const h = new Harness({ policy: { requirePkceForPublicClients: false } })
      const { code } = h.authorize({ clientId: NATIVE.id, redirectUri: NATIVE.redirectUris[0] ?? "" })
      expect(h.nativeExchange(code).status).toBe(200)
    })
  })

  describe("authorize", () => {
    const refused = (state: Model.State, request: Partial<Model.AuthorizeRequest>) =>
      Model.authorize(state, T0, {
        clientId: WEB.id,
        redirectUri: WEB.redirectUris[0] ?? "",
        vin: VIN,
        ...request
      }).pipe(Either.flip, Either.getOrThrow)

    it("refuses an unknown client, an unregistered redirect URI and an unknown vehicle", () => {
      const { state } = new Harness()
      expect(refused(state, { clientId: "nobody" })).toEqual({ _tag: "UnknownClient", clientId: "nobody" })
      expect(refused(state, { redirectUri: "https://app.example/callback/" })).toEqual({
        _tag: "UnregisteredRedirectUri",
        redirectUri: "https://app.example/callback/"
      })
      expect(refused(state, { vin: "WBA00000000000002" })).toEqual({ _tag: "UnknownVehicle", vin: "WBA00000000000002" })
    })

    it("demands a challenge from a public client", () => {
      const { state } = new Harness()
      expect(refused(state, { clientId: NATIVE.id, redirectUri: NATIVE.redirectUris[0] ?? "" })).toEqual({
        _tag: "InvalidCodeChallenge",
        reason: "missing"
      })
    })

    it("refuses a malformed challenge or an unknown method", () => {
      const { state } = new Harness()
      const reason = (request: Partial<Model.AuthorizeRequest>) => {
        const error = refused(state, request)
        return error._tag === "InvalidCodeChallenge" ? error.reason : error._tag
      }
      expect(reason({ codeChallenge: "too-short" })).toBe("malformed")
      expect(reason({ codeChallenge: `${CHALLENGE}=` })).toBe("malformed")
      expect(reason({ codeChallenge: "short", codeChallengeMethod: "plain" })).toBe("malformed")
      expect(reason({ codeChallengeMethod: "S256" })).toBe("malformed")
      expect(reason({ codeChallenge: CHALLENGE, codeChallengeMethod: "S512" })).toBe("unsupported_method")
    })

    it("keeps a caller's extra fields out of the consent", () => {
      const h = new Harness()
      const request = { authorizationId: "forged", status: "approved" } as Partial<Model.AuthorizeRequest>
      const { authorizationId } = h.authorize(request)
      expect(authorizationId).not.toBe("forged")
      expect(Model.consents(h.state).map((c) => c.authorizationId)).toEqual([authorizationId])
    })

    it("records the consent with its defaults", () => {
      const h = new Harness()
      const { authorizationId } = h.authorize({ appId: "0123456789abcdef01234567" })
      const consent = Model.consent(h.state, authorizationId).pipe((o) => (o._tag === "Some" ? o.value : undefined))
      expect(consent).toMatchObject({
        authorizationId,
        clientId: WEB.id,
        vin: VIN,
        status: "approved",
        appId: "0123456789abcdef01234567",
        scopes: ["diagnostics.get.mileage", "doors.get.locks", "windows.get.positions"]
      })
      expect(consent?.sub).toMatch(UUID)
    })
  })
})
