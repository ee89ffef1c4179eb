import { createPublicKey, generateKeyPairSync, verify } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { HashMap } from "effect"
import * as Model from "../src/Model.js"
import {
  AUDIENCE,
  decodeJwt,
  FLEET,
  Harness,
  hmError,
  NATIVE,
  oauthError,
  otherKey,
  PARTNER,
  signAssertion,
  WEB
} from "./fixtures.js"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const invalid = hmError("client_assertion is invalid")

const verifiesWith = (state: Model.State, jwt: string): boolean => {
  const [header = "", payload = "", signature = ""] = jwt.split(".")
  const key = createPublicKey({ format: "jwk", key: Model.signingPublicKey(state) })
  return verify(
    "sha256",
    Buffer.from(`${header}.${payload}`),
    { key, dsaEncoding: "ieee-p1363" },
    Buffer.from(signature, "base64url")
  )
}

describe("Model client_credentials grant", () => {
  it("issues an ES256 JWT like the spec's example for a client secret", () => {
    const h = new Harness()
    const response = h.post({ grant_type: "client_credentials", client_id: WEB.id, client_secret: WEB.secret })
    expect(response.status).toBe(200)
    expect(response.headers["cache-control"]).toBe("no-store")
    expect(Object.keys(response.json)).toEqual(["access_token", "expires_in", "scope", "token_type"])
    expect(response.json).toMatchObject({
      expires_in: 300,
      scope: "fleet:clearance vehicle:eligibility-check vehicle:data",
      token_type: "bearer"
    })
    const jwt = response.field("access_token")
    const { header, payload } = decodeJwt(jwt)
    expect(header).toEqual({ alg: "ES256", typ: "JWT" })
    const iat = Math.floor(h.now / 1000)
    expect(Object.keys(payload)).toEqual(["exp", "iat", "iss", "scope", "sub", "ver", "jti"])
    expect(payload).toMatchObject({
      exp: iat + 300,
      iat,
      iss: "https://sandbox.api.high-mobility.com/v1/auth_tokens",
      scope: "fleet:clearance vehicle:eligibility-check vehicle:data",
      sub: WEB.id,
      ver: 1
    })
    expect(payload.jti).toMatch(UUID)
    expect(verifiesWith(h.state, jwt)).toBe(true)
  })

  it("issues a token for a valid client assertion", () => {
    const h = new Harness()
    const response = h.assert(signAssertion(h.claims()))
    expect(response.status).toBe(200)
    expect(response.json.refresh_token).toBeUndefined()
    const { payload } = decodeJwt(response.field("access_token"))
    expect(payload.sub).toBe(FLEET.id)
    expect(verifiesWith(h.state, response.field("access_token"))).toBe(true)
  })

  it("accepts a key registered as a private JWK, through its public half", () => {
    const h = new Harness()
    const response = h.post({
      grant_type: "client_credentials",
      client_id: PARTNER.id,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: signAssertion(h.claims({ iss: "key-partner" }), { key: otherKey.privateKey })
    })
    expect(response.status).toBe(200)
  })

  it("names its own issuer after the policy's audience", () => {
    const h = new Harness({ policy: { audience: "http://127.0.0.1:4010/v1" } })
    const response = h.assert(signAssertion(h.claims({ aud: "http://127.0.0.1:4010/v1" })))
    expect(decodeJwt(response.field("access_token")).payload.iss).toBe("http://127.0.0.1:4010/v1/auth_tokens")
  })

  it("narrows the scope on request", () => {
    const h = new Harness()
    const params = { grant_type: "client_credentials", client_id: WEB.id, client_secret: WEB.secret }
    expect(h.post({ ...params, scope: "vehicle:data" }).json.scope).toBe("vehicle:data")
    expect(h.post({ ...params, scope: "vehicle:data fleet:everything" }).json).toEqual(hmError("scope is invalid"))
  })

  it("follows the policy's lifetime", () => {
    const h = new Harness({ policy: { clientCredentialsTokenLifetime: 60 } })
    const response = h.post({ grant_type: "client_credentials", client_id: WEB.id, client_secret: WEB.secret })
    expect(response.json.expires_in).toBe(60)
    const { payload } = decodeJwt(response.field("access_token"))
    expect(payload.exp).toBe(Number(payload.iat) + 60)
  })

  it("refuses a public client: unauthorized_client in the rfc6749 style", () => {
    const params = { grant_type: "client_credentials", client_id: NATIVE.id }
    const expected = "client is not authorized to use this grant_type"
    expect(new Harness().post(params).json).toEqual(hmError(expected))
    const rfc = new Harness({ policy: { errorStyle: "rfc6749" } }).post(params)
    expect(rfc.status).toBe(400)
    expect(rfc.json).toEqual({ error: "unauthorized_client", error_description: expected })
  })

  it("refuses a wrong secret", () => {
    const h = new Harness()
    expect(h.post({ grant_type: "client_credentials", client_id: WEB.id, client_secret: "x" }).json).toEqual(
      hmError("client_secret is invalid")
    )
  })

  it("asks a key-only client for its assertion", () => {
    const h = new Harness()
    expect(h.post({ grant_type: "client_credentials", client_id: FLEET.id }).json).toEqual(
      hmError("client_assertion can't be blank, client_assertion_type can't be blank")
    )
    expect(h.assert("", { client_assertion_type: null }).json).toEqual(
      hmError("client_assertion can't be blank, client_assertion_type can't be blank")
    )
    expect(h.assert(signAssertion(h.claims()), { client_assertion_type: null }).json).toEqual(
      hmError("client_assertion_type can't be blank")
    )
  })

  it("refuses a secret sent along with an assertion: one authentication method per request (RFC 6749 §2.3)", () => {
    const h = new Harness()
    const response = h.post({
      grant_type: "client_credentials",
      client_id: PARTNER.id,
      client_secret: PARTNER.secret,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: signAssertion(h.claims({ iss: "key-partner" }), { key: otherKey.privateKey })
    })
    expect(response.json).toEqual(hmError("only one client authentication method may be used"))
  })

  describe("assertion failures", () => {
    it("refuses another assertion type", () => {
      const h = new Harness()
      const response = h.assert(signAssertion(h.claims()), {
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"
      })
      expect(response.json).toEqual(hmError("client_assertion_type is invalid"))
    })

    it.each([
      ["not a JWT", "eyJhbGciOiJFUzI1NiJ9"],
      ["a JWT with a non-JSON payload", "eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln"],
      ["a JWT with foreign characters", "eyJhbGciOiJFUzI1NiJ9.e30=.c2ln"]
    ])("refuses %s", (_, assertion) => {
      expect(new Harness().assert(assertion).json).toEqual(invalid)
    })

    it("refuses alg none and every algorithm but ES256", () => {
      const h = new Harness()
      const claims = h.claims()
      const [, payload] = signAssertion(claims).split(".")
      const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`
      expect(h.assert(none).json).toEqual(invalid)
      const es384 = signAssertion(h.claims(), { header: { alg: "ES384", typ: "JWT" } })
      expect(h.assert(es384).json).toEqual(invalid)
      const hs256 = signAssertion(h.claims(), { header: { alg: "HS256", typ: "JWT" } })
      expect(h.assert(hs256).json).toEqual(invalid)
    })

    it("refuses a DER signature: ES256 is the raw R||S", () => {
      const h = new Harness()
      expect(h.assert(signAssertion(h.claims(), { dsaEncoding: "der" })).json).toEqual(invalid)
    })

    it("refuses a signature by another key", () => {
      const h = new Harness()
      const stranger = generateKeyPairSync("ec", { namedCurve: "P-256" })
      expect(h.assert(signAssertion(h.claims(), { key: stranger.privateKey })).json).toEqual(invalid)
    })

    it("refuses an unknown key id, and the key id of another client", () => {
      const h = new Harness()
      expect(h.assert(signAssertion(h.claims({ iss: "key-404" }))).json).toEqual(invalid)
      expect(h.assert(signAssertion(h.claims({ iss: FLEET.id }))).json).toEqual(invalid)
      const foreign = signAssertion(h.claims({ iss: "key-partner" }), { key: otherKey.privateKey })
      expect(h.assert(foreign).json).toEqual(invalid)
    })

    it("refuses an expired key, and only once its time has come", () => {
      const h = new Harness()
      const signed = () => signAssertion(h.claims({ iss: "key-old" }), { key: otherKey.privateKey })
      expect(h.advance(3599).assert(signed()).status).toBe(200)
      expect(h.advance(1).assert(signed()).json).toEqual(hmError("client_assertion is signed with an expired key"))
    })

    it("refuses a wrong audience", () => {
      const h = new Harness()
      for (const aud of ["http://localhost:4000/v1", `${AUDIENCE}/`, undefined]) {
        expect(h.assert(signAssertion(h.claims({ aud }))).json).toEqual(
          hmError("client_assertion has an invalid audience")
        )
      }
      expect(h.assert(signAssertion(h.claims({ aud: ["https://elsewhere", AUDIENCE] }))).status).toBe(200)
    })

    it("refuses an iat too far in the future, allowing the skew", () => {
      const h = new Harness()
      const iat = Math.floor(h.now / 1000)
      expect(h.assert(signAssertion(h.claims({ iat: iat + 60 }))).status).toBe(200)
      expect(h.assert(signAssertion(h.claims({ iat: iat + 61 }))).json).toEqual(hmError("client_assertion is expired"))
    })

    it("refuses an iat older than the max age", () => {
      const h = new Harness()
      const iat = Math.floor(h.now / 1000)
      expect(h.assert(signAssertion(h.claims({ iat: iat - 300 }))).status).toBe(200)
      expect(h.assert(signAssertion(h.claims({ iat: iat - 301 }))).json).toEqual(hmError("client_assertion is expired"))
    })

    it("follows the policy's skew and max age", () => {
      const h = new Harness({ policy: { assertionIatSkew: 0, assertionMaxAge: 10 } })
      const iat = Math.floor(h.now / 1000)
      expect(h.assert(signAssertion(h.claims({ iat: iat + 1 }))).json).toEqual(hmError("client_assertion is expired"))
      expect(h.assert(signAssertion(h.claims({ iat: iat - 11 }))).json).toEqual(hmError("client_assertion is expired"))
      expect(h.assert(signAssertion(h.claims({ iat: iat - 10 }))).status).toBe(200)
    })

    it("refuses an assertion whose exp has passed", () => {
      const h = new Harness()
      const now = Math.floor(h.now / 1000)
      expect(h.assert(signAssertion(h.claims({ exp: now - 61 }))).json).toEqual(hmError("client_assertion is expired"))
      expect(h.assert(signAssertion(h.claims({ exp: now + 30 }))).status).toBe(200)
    })

    it("refuses an nbf still ahead beyond the skew (RFC 7519 §4.1.5)", () => {
      const h = new Harness()
      const now = Math.floor(h.now / 1000)
      expect(h.assert(signAssertion(h.claims({ nbf: now + 60 }))).status).toBe(200)
      expect(h.assert(signAssertion(h.claims({ nbf: now + 61 }))).json).toEqual(
        hmError("client_assertion is not yet valid")
      )
      expect(h.assert(signAssertion(h.claims({ nbf: "soon" }))).json).toEqual(invalid)
    })

    it("refuses a sub other than the client id when there is one (RFC 7523 §3)", () => {
      const h = new Harness()
      expect(h.assert(signAssertion(h.claims({ sub: FLEET.id }))).status).toBe(200)
      for (const sub of ["key-1", PARTNER.id, ""]) {
        expect(h.assert(signAssertion(h.claims({ sub }))).json).toEqual(
          hmError("client_assertion has an invalid subject")
        )
      }
    })

    it("refuses a crit header, an extension it cannot understand (RFC 7515 §4.1.11), and a header named twice", () => {
      const h = new Harness()
      const crit = signAssertion(h.claims({ exp: Math.floor(h.now / 1000) + 60 }), {
        header: { alg: "ES256", typ: "JWT", crit: ["exp"] }
      })
      expect(h.assert(crit).json).toEqual(invalid)
      const [, payload = "", signature = ""] = signAssertion(h.claims()).split(".")
      const twice = Buffer.from('{"alg":"none","alg":"ES256","typ":"JWT"}').toString("base64url")
      expect(h.assert(`${twice}.${payload}.${signature}`).json).toEqual(invalid)
    })

    it("refuses a missing iat or jti", () => {
      const h = new Harness()
      expect(h.assert(signAssertion(h.claims({ iat: undefined }))).json).toEqual(invalid)
      expect(h.assert(signAssertion(h.claims({ iat: "now" }))).json).toEqual(invalid)
      expect(h.assert(signAssertion(h.claims({ jti: undefined }))).json).toEqual(invalid)
      expect(h.assert(signAssertion(h.claims({ jti: "" }))).json).toEqual(invalid)
    })

    it("refuses a replayed jti, even in a fresh assertion", () => {
      const h = new Harness()
      const assertion = signAssertion(h.claims({ jti: "sejLo12tD73YHQ==" }))
      expect(h.assert(assertion).status).toBe(200)
      expect(h.assert(assertion).json).toEqual(hmError("client_assertion has already been used"))
      const again = signAssertion(h.advance(5).claims({ jti: "sejLo12tD73YHQ==" }))
      expect(h.assert(again).json).toEqual(hmError("client_assertion has already been used"))
    })

    it("answers assertion failures with invalid_client (401) in the rfc6749 style", () => {
      const h = new Harness({ policy: { errorStyle: "rfc6749" } })
      const response = h.assert(signAssertion(h.claims({ aud: "elsewhere" })))
      expect(response.status).toBe(401)
      expect(response.json).toEqual(oauthError("invalid_client", "client_assertion has an invalid audience"))
    })
  })

  it("forgets jtis once their assertions would be refused as stale anyway", () => {
    const h = new Harness()
    const old = signAssertion(h.claims())
    h.assert(old)
    for (let i = 0; i < 3; i++) h.advance(1).assert(signAssertion(h.claims()))
    expect(HashMap.size(h.state.assertions.byKey)).toBe(4)
    h.advance(400).assert(signAssertion(h.claims()))
    expect(HashMap.size(h.state.assertions.byKey)).toBe(1)
    // the forgotten assertion is still refused, by its age
    expect(h.assert(old).json).toEqual(hmError("client_assertion is expired"))
  })

  it("is no key to a vehicle", () => {
    const h = new Harness()
    const token = h.assert(signAssertion(h.claims())).field("access_token")
    expect(h.vehicleInfo(token).json).toEqual(oauthError("invalid_token", "access token is invalid"))
  })
})
