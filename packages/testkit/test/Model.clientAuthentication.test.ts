/**
 * Client authentication, one rule for the token endpoint and revocation: each client proves itself with what it
 * has, by one method per request; HTTP Basic only when the policy allows it.
 */
import { describe, expect, it } from "@effect/vitest"
import { FLEET, Harness, hmError, NATIVE, oauthError, PARTNER, signAssertion, WEB } from "./fixtures.js"

const basic = (clientId: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString("base64")}`

const JSON_TYPE = { "content-type": "application/json" }

/** A client-credentials request with the given Authorization header and body fields. */
const clientCredentials = (h: Harness, authorization: string, fields: Record<string, string> = {}) =>
  h.send({
    headers: { ...JSON_TYPE, authorization },
    body: JSON.stringify({ grant_type: "client_credentials", ...fields })
  })

describe("Model client authentication: HTTP Basic (RFC 6749 §2.3.1)", () => {
  it("is refused by default, even with the right secret in the body beside it: never ignored", () => {
    const h = new Harness()
    const unsupported = hmError("client_secret must be sent in the body: HTTP Basic authentication is not supported")
    expect(clientCredentials(h, basic(WEB.id, WEB.secret)).json).toEqual(unsupported)
    expect(clientCredentials(h, basic(WEB.id, "wrong"), { client_id: WEB.id, client_secret: WEB.secret }).json).toEqual(
      unsupported
    )
  })

  it("authenticates with the policy's knob on, the id and secret form-decoded", () => {
    const h = new Harness({ policy: { clientSecretBasic: true } })
    expect(clientCredentials(h, basic(WEB.id, WEB.secret)).status).toBe(200)
    expect(clientCredentials(h, basic(WEB.id, WEB.secret), { client_id: WEB.id }).status).toBe(200)
    const login = h.login()
    const refresh = h.send({
      headers: { ...JSON_TYPE, authorization: basic(WEB.id, WEB.secret) },
      body: JSON.stringify({ grant_type: "refresh_token", refresh_token: login.refreshToken })
    })
    expect(refresh.status).toBe(200)
    const revoke = h.send({
      method: "DELETE",
      headers: { ...JSON_TYPE, authorization: basic(WEB.id, WEB.secret) },
      body: JSON.stringify({ token: refresh.field("refresh_token") })
    })
    expect(revoke.status).toBe(200)
    expect(h.status(refresh.field("refresh_token"))).toBe("revoked")
  })

  it("never mixes two methods: Basic beside a body secret or an assertion is refused, whichever is right", () => {
    const h = new Harness({ policy: { clientSecretBasic: true } })
    const twice = hmError("only one client authentication method may be used")
    expect(clientCredentials(h, basic(WEB.id, "wrong"), { client_id: WEB.id, client_secret: WEB.secret }).json).toEqual(
      twice
    )
    expect(
      clientCredentials(h, basic(WEB.id, WEB.secret), { client_id: WEB.id, client_secret: WEB.secret }).json
    ).toEqual(twice)
    const assertion = signAssertion(h.claims())
    expect(
      clientCredentials(h, basic(FLEET.id, "x"), {
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: assertion
      }).json
    ).toEqual(twice)
  })

  it("answers a wrong Basic secret 401 with a Basic challenge (RFC 6749 §5.2), a foreign client_id as invalid", () => {
    const h = new Harness({ policy: { clientSecretBasic: true } })
    const wrong = clientCredentials(h, basic(WEB.id, "wrong"))
    expect(wrong.status).toBe(401)
    expect(wrong.headers["www-authenticate"]).toBe("Basic")
    expect(wrong.json).toEqual(hmError("client_secret is invalid"))
    expect(clientCredentials(h, basic(WEB.id, WEB.secret), { client_id: PARTNER.id }).json).toEqual(
      hmError("client_id differs from the one in the Authorization header")
    )
    for (const broken of ["Basic", "Basic !!!", `Basic ${Buffer.from("no-colon").toString("base64")}`]) {
      expect(clientCredentials(h, broken).json).toEqual(
        hmError("client_id and client_secret in the Authorization header cannot be read")
      )
    }
    const rfc = new Harness({ policy: { clientSecretBasic: true, errorStyle: "rfc6749" } })
    expect(clientCredentials(rfc, basic(WEB.id, "wrong")).json).toEqual(
      oauthError("invalid_client", "client_secret is invalid")
    )
  })
})

describe("Model client authentication: revocation authenticates with every method the client has", () => {
  const assertionFields = (h: Harness) => ({
    client_id: FLEET.id,
    client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    client_assertion: signAssertion(h.claims())
  })

  it("asks a client holding only keys for an assertion, and checks it", () => {
    const h = new Harness()
    const token = h.assert(signAssertion(h.claims())).field("access_token")
    expect(h.revoke({ token, client_id: FLEET.id }).json).toEqual(
      hmError("client_assertion can't be blank, client_assertion_type can't be blank")
    )
    expect(
      h.revoke({
        token,
        client_id: FLEET.id,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: "garbage"
      }).json
    ).toEqual(hmError("client_assertion is invalid"))
    expect(h.status(token)).toBe("live")
    const fields = assertionFields(h)
    expect(h.revoke({ token, ...fields }).status).toBe(200)
    expect(h.status(token)).toBe("revoked")
    // the assertion's jti was spent by the revocation
    expect(h.revoke({ token, ...fields }).json).toEqual(hmError("client_assertion has already been used"))
  })

  it("refuses a secret from a client that has none, and lets a public client revoke with its id alone", () => {
    const h = new Harness()
    const { refreshToken } = h.nativeLogin()
    expect(h.revoke({ token: refreshToken, client_id: FLEET.id, client_secret: "guess" }).json).toEqual(
      hmError("client_secret is invalid")
    )
    expect(h.revoke({ token: refreshToken, client_id: NATIVE.id, client_secret: "guess" }).json).toEqual(
      hmError("client_secret is invalid")
    )
    expect(h.revoke({ token: refreshToken, client_id: NATIVE.id }).status).toBe(200)
  })
})
