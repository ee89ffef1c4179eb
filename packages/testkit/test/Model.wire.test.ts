import { describe, expect, it } from "@effect/vitest"
import * as Model from "../src/Model.js"
import { Harness, hmError, NATIVE, oauthError, WEB } from "./fixtures.js"

const SPEC_MISSING = "client_id can't be blank, client_secret can't be blank, grant_type can't be blank"

describe("Model wire", () => {
  it("accepts a JSON body, the spec's format", () => {
    const h = new Harness()
    const { code } = h.authorize()
    const response = h.exchange(code)
    expect(response.status).toBe(200)
    // RFC 6749 §5.1: no cache keeps a token response
    expect(response.headers).toEqual({
      "content-type": "application/json",
      "cache-control": "no-store",
      pragma: "no-cache"
    })
  })

  it("accepts a form-encoded body, as RFC 6749 clients send", () => {
    const h = new Harness()
    const { code } = h.authorize()
    const response = h.post(
      {
        grant_type: "authorization_code",
        code,
        redirect_uri: WEB.redirectUris[0],
        client_id: WEB.id,
        client_secret: WEB.secret
      },
      { form: true }
    )
    expect(response.status).toBe(200)
    expect(response.json.token_type).toBe("bearer")
  })

  it("reads a body without content-type as JSON", () => {
    const h = new Harness()
    const { code } = h.authorize()
    const body = JSON.stringify({
      grant_type: "authorization_code",
      code,
      redirect_uri: WEB.redirectUris[0],
      client_id: WEB.id,
      client_secret: WEB.secret
    })
    expect(h.send({ body }).status).toBe(200)
  })

  it("accepts a content-type with parameters", () => {
    const h = new Harness()
    const response = h.send({ headers: { "content-type": "application/json; charset=utf-8" }, body: "{}" })
    expect(response.json).toEqual(hmError(SPEC_MISSING))
  })

  it.each([
    ["broken JSON", "application/json", '{"grant_type":'],
    ["a JSON array", "application/json", "[]"],
    ["a JSON string", "application/json", '"grant_type"'],
    ["a non-string value", "application/json", '{"grant_type":"client_credentials","client_id":42}'],
    ["a repeated form field", "application/x-www-form-urlencoded", "client_id=a&client_id=b"],
    [
      "a repeated JSON member",
      "application/json",
      '{"client_id":"a","grant_type":"client_credentials","client_id":"b"}'
    ],
    ["a repeated JSON member, escaped", "application/json", '{"client_id":"a","client\\u005fid":"b"}'],
    ["another media type", "text/plain", "grant_type=client_credentials"]
  ])("answers %s as a malformed body", (_, contentType, body) => {
    const h = new Harness()
    const response = h.send({ headers: { "content-type": contentType }, body })
    expect(response.status).toBe(400)
    expect(response.json).toEqual(hmError("request body is malformed"))
  })

  it("answers a malformed body with invalid_request in the rfc6749 style too", () => {
    const h = new Harness({ policy: { errorStyle: "rfc6749" } })
    const response = h.send({ method: "DELETE", body: "{" })
    expect(response.status).toBe(400)
    expect(response.json).toEqual(oauthError("invalid_request", "request body is malformed"))
  })

  it("reads an empty body as no parameters: the spec's example error", () => {
    const h = new Harness()
    const response = h.send({ body: "" })
    expect(response.status).toBe(400)
    expect(response.json).toEqual(hmError(SPEC_MISSING))
  })

  it("treats null and blank values as missing", () => {
    const h = new Harness()
    const response = h.post({ grant_type: "  ", client_id: null, client_secret: "" })
    expect(response.json).toEqual(hmError(SPEC_MISSING))
  })

  it("lists every blank parameter of the grant, alphabetically", () => {
    const h = new Harness()
    expect(h.post({ grant_type: "authorization_code", client_id: WEB.id }).json).toEqual(
      hmError("client_secret can't be blank, code can't be blank, redirect_uri can't be blank")
    )
    expect(h.post({ grant_type: "authorization_code", client_id: NATIVE.id }).json).toEqual(
      hmError("code can't be blank, redirect_uri can't be blank")
    )
    expect(h.post({ grant_type: "refresh_token", client_id: WEB.id, client_secret: WEB.secret }).json).toEqual(
      hmError("refresh_token can't be blank")
    )
  })

  it("reports blank parameters as invalid_request in the rfc6749 style", () => {
    const h = new Harness({ policy: { errorStyle: "rfc6749" } })
    const response = h.post({})
    expect(response.status).toBe(400)
    expect(response.json).toEqual({ error: "invalid_request", error_description: SPEC_MISSING })
  })

  it("refuses an unknown client: 400 invalid_request (hm), 401 invalid_client (rfc6749)", () => {
    const params = { grant_type: "client_credentials", client_id: "nobody", client_secret: "x" }
    const hm = new Harness().post(params)
    expect(hm.status).toBe(400)
    expect(hm.json).toEqual(hmError("client_id is invalid"))
    const rfc = new Harness({ policy: { errorStyle: "rfc6749" } }).post(params)
    expect(rfc.status).toBe(401)
    expect(rfc.json).toEqual(oauthError("invalid_client", "client_id is invalid"))
  })

  it("refuses an unknown grant type: unsupported_grant_type in the rfc6749 style", () => {
    const params = { grant_type: "password", client_id: WEB.id, client_secret: WEB.secret }
    expect(new Harness().post(params).json).toEqual(hmError("grant_type is invalid"))
    const rfc = new Harness({ policy: { errorStyle: "rfc6749" } }).post(params)
    expect(rfc.status).toBe(400)
    expect(rfc.json).toEqual(oauthError("unsupported_grant_type", "grant_type is invalid"))
  })

  it("answers an unknown path with 404 not_found", () => {
    const h = new Harness()
    const response = h.send({ method: "GET", path: "/v1/nothing" })
    expect(response.status).toBe(404)
    expect(response.json).toEqual({ error: "not_found" })
    expect(h.send({ method: "GET", path: "constructor" }).status).toBe(404)
  })

  it("answers a wrong method with 405 and the allowed ones", () => {
    const h = new Harness()
    const tokens = h.send({ method: "GET", path: "/v1/access_tokens" })
    expect(tokens.status).toBe(405)
    expect(tokens.headers.allow).toBe("POST, DELETE")
    const info = h.send({ method: "POST", path: "/v1/vehicleinfo" })
    expect(info.status).toBe(405)
    expect(info.headers.allow).toBe("GET")
    expect(info.headers["content-type"]).toBe("application/json")
  })

  it("reads the target as sent: another host's URL, a backslash or a doubled slash is no path of the API", () => {
    const h = new Harness()
    for (const path of [
      "//evil.example/v1/access_tokens",
      "/\\evil/v1/vehicleinfo",
      "//v1/vehicleinfo",
      "/v1/./vehicleinfo"
    ]) {
      const response = h.send({ method: "GET", path, headers: { authorization: "Bearer x" } })
      expect(response.status, path).toBe(404)
    }
    // recorded as it came, not resolved against a base URL
    expect(Model.history(h.state).map((entry) => entry.path)).toEqual([
      "//evil.example/v1/access_tokens",
      "/\\evil/v1/vehicleinfo",
      "//v1/vehicleinfo",
      "/v1/./vehicleinfo"
    ])
  })

  it("matches methods case-sensitively (RFC 9110 §9.1); HEAD, no method of the API, gets its 405 without content", () => {
    const h = new Harness()
    const { accessToken } = h.login()
    const headers = { authorization: `Bearer ${accessToken}` }
    const lower = h.send({ method: "get", path: "/v1/vehicleinfo", headers })
    expect(lower.status).toBe(405)
    expect(lower.headers.allow).toBe("GET")
    expect(h.send({ method: "GET", path: "/v1/vehicleinfo", headers }).status).toBe(200)
    const head = h.send({ method: "HEAD", path: "/v1/vehicleinfo", headers })
    expect(head).toMatchObject({ status: 405, body: "" })
    expect(head.headers.allow).toBe("GET")
  })

  it("ignores the query string", () => {
    const h = new Harness()
    expect(h.send({ path: "/v1/access_tokens?x=1", body: "{}" }).json).toEqual(hmError(SPEC_MISSING))
  })

  it("answers a successful revocation with 200 and no body, no content-type", () => {
    const h = new Harness()
    const response = h.revoke({ token: "unknown", client_id: WEB.id, client_secret: WEB.secret })
    expect(response).toMatchObject({ status: 200, body: "", headers: {} })
  })

  it("answers token requests with 201 when the policy says so", () => {
    const h = new Harness({ policy: { successStatus: 201 } })
    const { code } = h.authorize()
    expect(h.exchange(code).status).toBe(201)
  })

  it("keeps cache-control off error responses", () => {
    const response = new Harness().post({})
    expect(response.headers).toEqual({ "content-type": "application/json" })
  })
})
