import { generateKeyPairSync } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as Model from "../src/Model.js"
import { decodeJwt, Harness, make, signAssertion, VIN, WEB } from "./fixtures.js"

// RFC 9562 §5.4: version 4, variant 10
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** A run touching every consent-flow endpoint; returns every response and the final history. */
const scenario = (seed: number) => {
  const h = new Harness({ seed })
  const responses = []
  const login = h.login()
  responses.push(login.response)
  const refreshed = h.advance(10).refresh(login.refreshToken)
  responses.push(refreshed)
  responses.push(h.vehicleInfo(refreshed.field("access_token")))
  responses.push(h.refresh(login.refreshToken))
  responses.push(h.revoke({ token: refreshed.field("access_token"), client_id: WEB.id, client_secret: WEB.secret }))
  responses.push(h.login().response)
  return { responses, history: Model.history(h.state), consents: Model.consents(h.state) }
}

describe("Model", () => {
  it("starts from the default policy, overridden knob by knob", () => {
    expect(make().policy).toEqual(Model.defaultPolicy)
    const { policy } = make({ policy: { errorStyle: "rfc6749", refreshReuseGrace: 5 } })
    expect(policy).toEqual({ ...Model.defaultPolicy, errorStyle: "rfc6749", refreshReuseGrace: 5 })
    expect(Model.defaultPolicy).toMatchObject({
      accessTokenLifetime: 3600,
      clientCredentialsTokenLifetime: 300,
      codeLifetime: 600,
      refreshTokenLifetime: null,
      errorStyle: "hm",
      successStatus: 200,
      historyLimit: 10_000
    })
  })

  it("replays exactly: the same seed and requests give the same responses and history", () => {
    const first = scenario(1)
    const second = scenario(1)
    expect(second.responses.map((r) => r.body)).toEqual(first.responses.map((r) => r.body))
    expect(second.responses.map((r) => r.status)).toEqual([200, 200, 200, 400, 200, 200])
    expect(second.history).toEqual(first.history)
    expect(second.consents).toEqual(first.consents)
  })

  it("draws other values from another seed", () => {
    const one = scenario(1).responses[0]?.json
    const two = scenario(2).responses[0]?.json
    expect(one?.access_token).not.toEqual(two?.access_token)
    expect(one?.authorization_id).not.toEqual(two?.authorization_id)
  })

  it("derives its signing key from the seed", () => {
    const jwk = Model.signingPublicKey(make({ seed: 9 }))
    expect(jwk).toMatchObject({ kty: "EC", crv: "P-256" })
    expect(Model.signingPublicKey(make({ seed: 9 }))).toEqual(jwk)
    expect(Model.signingPublicKey(make({ seed: 10 }))).not.toEqual(jwk)
  })

  it("replays client-credentials tokens up to their randomized ECDSA signature", () => {
    const run = () => {
      const h = new Harness({ seed: 3 })
      return decodeJwt(h.assert(signAssertion(h.claims())).field("access_token"))
    }
    const [a, b] = [run(), run()]
    expect(b.header).toEqual(a.header)
    expect(b.payload).toEqual(a.payload)
    expect(b.signature).not.toEqual(a.signature)
  })

  it("never changes a state it was given: stepping it again answers the same", () => {
    const h = new Harness()
    const { code } = h.authorize()
    const before = h.state
    const request = {
      method: "POST",
      path: "/v1/access_tokens",
      headers: {},
      body: JSON.stringify({
        grant_type: "authorization_code",
        code,
        redirect_uri: WEB.redirectUris[0],
        client_id: WEB.id,
        client_secret: WEB.secret
      })
    }
    const [first, after] = Model.step(before, h.now, request)
    const [again] = Model.step(before, h.now, request)
    expect(again).toEqual(first)
    expect(first.status).toBe(200)
    expect(Model.history(before)).toEqual([])
    // the next state has redeemed the code
    expect(Model.step(after, h.now, request)[0].status).toBe(400)
  })

  it("makes every token, code and authorization id a version 4 UUID (RFC 9562), none repeated", () => {
    const h = new Harness()
    const values = new Set<string>()
    for (let i = 0; i < 200; i++) {
      const { code, authorizationId } = h.authorize()
      const response = h.exchange(code)
      values.add(code).add(authorizationId).add(response.field("access_token")).add(response.field("refresh_token"))
    }
    expect(values.size).toBe(800)
    for (const value of values) expect(value).toMatch(UUID_V4)
  })

  it("refuses a service-account key that is not P-256 or not readable, naming the client and the key", () => {
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" })
    const register = (publicKey: Model.ServiceAccountKeyRegistration["publicKey"]) =>
      Model.registerClient(make(), { id: "x", redirectUris: [], serviceAccountKeys: [{ id: "k", publicKey }] })
    expect(register(p384.publicKey)).toEqual(
      Either.left({
        _tag: "InvalidServiceAccountKey",
        clientId: "x",
        keyId: "k",
        problem: "not a P-256 key (found ec on secp384r1)"
      })
    )
    expect(register("-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----")).toEqual(
      Either.left({
        _tag: "InvalidServiceAccountKey",
        clientId: "x",
        keyId: "k",
        problem: "not a readable key: expected a PEM (public or private) or a JWK"
      })
    )
    const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" })
    const state = Either.getOrThrow(register(p256.privateKey))
    expect([...state.clients.values()].map((c) => c.serviceAccountKeys[0]?.publicKey.type)).toEqual(["public"])
  })

  it("refuses a client id, a key id within a client, or a VIN registered twice, and leaves the state as it was", () => {
    const state = make({ clients: [WEB], vehicles: [{ vin: VIN }] })
    expect(Model.registerClient(state, { ...WEB, secret: "another" })).toEqual(
      Either.left({ _tag: "DuplicateClient", clientId: WEB.id })
    )
    const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey
    expect(
      Model.registerClient(state, {
        id: "twice",
        redirectUris: [],
        serviceAccountKeys: [
          { id: "k", publicKey: key },
          { id: "k", publicKey: key }
        ]
      })
    ).toEqual(Either.left({ _tag: "DuplicateServiceAccountKey", clientId: "twice", keyId: "k" }))
    expect(Model.registerVehicle(state, { vin: VIN })).toEqual(Either.left({ _tag: "DuplicateVehicle", vin: VIN }))
    expect(Model.make({ clients: [WEB, WEB] })).toEqual(Either.left({ _tag: "DuplicateClient", clientId: WEB.id }))
  })

  it("checks what code registers as the configuration file is checked: the problems named, never a secret", () => {
    const refused = Model.registerClient(make(), { id: "", secret: "", redirectUris: [] })
    expect(refused).toEqual(
      Either.left({
        _tag: "InvalidClient",
        clientId: "",
        problems: ["id: Expected a non empty string", "secret: Expected a non empty string"]
      })
    )
    expect(Model.make({ policy: { accessTokenLifetime: Number.POSITIVE_INFINITY, historyLimit: -1 } })).toEqual(
      Either.left({
        _tag: "InvalidPolicy",
        problems: ["accessTokenLifetime: Expected an integer", "historyLimit: Expected a number between 0 and 1000000"]
      })
    )
  })

  it("keeps clients and vehicles in the order of registration", () => {
    const vins = ["WBA00000000000009", "WBA00000000000001", "WBA00000000000005"]
    const state = make({ vehicles: vins.map((vin) => ({ vin })) })
    expect(Model.vehicles(state).map((vehicle) => vehicle.vin)).toEqual(vins)
  })

  it("registers clients with the spec example's client-credentials scopes", () => {
    const state = Either.getOrThrow(Model.registerClient(make(), { id: "a", secret: "s", redirectUris: [] }))
    const [client] = state.clients.values()
    expect(client?.scopes).toEqual(["fleet:clearance", "vehicle:eligibility-check", "vehicle:data"])
    expect(client?.serviceAccountKeys).toEqual([])
  })
})
