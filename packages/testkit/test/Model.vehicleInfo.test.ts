import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as Model from "../src/Model.js"
import { Harness, oauthError, VIN } from "./fixtures.js"

const error = (description: string) => oauthError("invalid_token", description)

describe("Model vehicle info (GET /v1/vehicleinfo)", () => {
  it("answers the vin and sub of the consent behind the token", () => {
    const h = new Harness()
    h.state = Either.getOrThrow(Model.registerVehicle(h.state, { vin: "WBA00000000000002" }))
    const first = h.login({ sub: "00000000-0000-0000-0000-000000000001" })
    const second = h.login({ vin: "WBA00000000000002", sub: "00000000-0000-0000-0000-000000000002" })
    const response = h.vehicleInfo(first.accessToken)
    expect(response.status).toBe(200)
    expect(response.headers["content-type"]).toBe("application/json")
    expect(response.json).toEqual({ vin: VIN, sub: "00000000-0000-0000-0000-000000000001" })
    expect(h.vehicleInfo(second.accessToken).json).toEqual({
      vin: "WBA00000000000002",
      sub: "00000000-0000-0000-0000-000000000002"
    })
  })

  it("reads the bearer scheme case-insensitively", () => {
    const h = new Harness()
    const { accessToken } = h.login()
    const response = h.send({
      method: "GET",
      path: "/v1/vehicleinfo",
      headers: { authorization: `bearer ${accessToken}` }
    })
    expect(response.status).toBe(200)
  })

  it("answers 401 access token is missing without a bearer token", () => {
    const h = new Harness()
    for (const headers of [{}, { authorization: "Basic d2ViLWFwcDpzZWNyZXQ=" }]) {
      const response = h.send({ method: "GET", path: "/v1/vehicleinfo", headers })
      expect(response.status).toBe(401)
      expect(response.json).toEqual(error("access token is missing"))
      expect(response.headers["www-authenticate"]).toBe("Bearer")
    }
  })

  it("answers 400 invalid_request to a bearer header without exactly one well-formed token (RFC 6750 §3.1)", () => {
    const h = new Harness()
    const { accessToken } = h.login()
    // two headers reach the model joined by a comma, as HTTP combines them
    for (const authorization of [
      "Bearer ",
      `Bearer ${accessToken} ${accessToken}`,
      `Bearer ${accessToken}, Bearer ${accessToken}`,
      "Bearer a\tb",
      "Bearer é"
    ]) {
      const response = h.send({ method: "GET", path: "/v1/vehicleinfo", headers: { authorization } })
      expect(response.status, authorization).toBe(400)
      expect(response.json).toEqual(oauthError("invalid_request", "authorization header is malformed"))
      expect(response.headers["www-authenticate"]).toBe('Bearer error="invalid_request"')
    }
    // one or more spaces after the scheme (RFC 7235 §2.1: 1*SP), and padding after a b64token
    for (const authorization of [`Bearer   ${accessToken}`, `BEARER ${accessToken}`]) {
      expect(h.send({ method: "GET", path: "/v1/vehicleinfo", headers: { authorization } }).status).toBe(200)
    }
  })

  it("answers 401 access token is invalid for an unknown token or a refresh token", () => {
    const h = new Harness()
    const { refreshToken } = h.login()
    for (const token of ["81bcb5ee-3aa1-4fc6-bc54-79019af30a45", refreshToken]) {
      const response = h.vehicleInfo(token)
      expect(response.status).toBe(401)
      expect(response.json).toEqual(error("access token is invalid"))
      expect(response.headers["www-authenticate"]).toBe('Bearer error="invalid_token"')
    }
  })

  it("expires an access token after its lifetime", () => {
    const h = new Harness()
    const { accessToken } = h.login()
    expect(h.advance(3599.999).vehicleInfo(accessToken).status).toBe(200)
    expect(h.advance(0.001).vehicleInfo(accessToken).json).toEqual(error("access token is expired"))
    expect(h.status(accessToken)).toBe("expired")
  })

  it("follows the policy's access-token lifetime", () => {
    const h = new Harness({ policy: { accessTokenLifetime: 60 } })
    const { accessToken, response } = h.login()
    expect(response.json.expires_in).toBe(60)
    expect(h.advance(60).vehicleInfo(accessToken).json).toEqual(error("access token is expired"))
  })

  it("answers consent is pending until the consent is approved", () => {
    const h = new Harness()
    const { accessToken, authorizationId } = h.login({ status: "pending" })
    expect(h.vehicleInfo(accessToken).json).toEqual(error("consent is pending"))
    h.state = Either.getOrThrow(Model.approveConsent(h.state, h.now, authorizationId))
    expect(h.vehicleInfo(accessToken).status).toBe(200)
  })

  it("answers consent is revoked once the owner withdraws it", () => {
    const h = new Harness()
    const { accessToken, authorizationId } = h.login()
    h.state = Either.getOrThrow(Model.withdrawConsent(h.state, h.now, authorizationId))
    expect(h.vehicleInfo(accessToken).json).toEqual(error("consent is revoked"))
  })

  it("answers consent is removed by OEM once the carmaker withdraws it", () => {
    const h = new Harness()
    const { accessToken, authorizationId } = h.login()
    h.state = Either.getOrThrow(Model.withdrawConsent(h.state, h.now, authorizationId, "oem"))
    expect(h.vehicleInfo(accessToken).json).toEqual(error("consent is removed by OEM"))
  })

  it("answers in the shapes of HM's other resource APIs when the policy says so, with HM's details", () => {
    const entry = (detail: string) => ({ title: "Unauthorized", detail, source: "authorization" })
    const errors = new Harness({ policy: { resourceErrorShape: "errors" } })
    const login = errors.login()
    const answered = errors.vehicleInfo("81bcb5ee-3aa1-4fc6-bc54-79019af30a45")
    expect(answered.status).toBe(401)
    expect(answered.json).toEqual({ errors: [entry("Invalid token")], request_id: expect.any(String) })
    expect(errors.vehicleInfo("81bcb5ee-3aa1-4fc6-bc54-79019af30a45").json.request_id).not.toBe(
      answered.json.request_id
    )
    expect(errors.advance(3600).vehicleInfo(login.accessToken).json.errors).toEqual([entry("Expired token")])
    const array = new Harness({ policy: { resourceErrorShape: "array" } })
    const { accessToken, authorizationId } = array.login()
    array.state = Either.getOrThrow(Model.withdrawConsent(array.state, array.now, authorizationId, "oem"))
    const removed = array.vehicleInfo(accessToken)
    expect(removed.status).toBe(401)
    expect(JSON.parse(removed.body)).toEqual([entry("Consent is removed by OEM")])
    expect(Model.history(array.state).at(-1)?.response).toEqual([entry("Consent is removed by OEM")])
  })

  it("reads only inside the consent's validity window", () => {
    const h = new Harness()
    const { accessToken } = h.login({ validFrom: h.now + 60_000, validUntil: h.now + 120_000 })
    const outside = error("consent is outside its validity period")
    expect(h.vehicleInfo(accessToken).json).toEqual(outside)
    expect(h.advance(60).vehicleInfo(accessToken).status).toBe(200)
    expect(h.advance(60).vehicleInfo(accessToken).json).toEqual(outside)
  })
})
