import { describe, expect, it } from "@effect/vitest"
import { Either, Option } from "effect"
import * as Log from "../src/internal/model/log.js"
import * as Model from "../src/Model.js"
import { Harness, OTHER, signAssertion, VERIFIER, WEB } from "./fixtures.js"

describe("Model history and inspection", () => {
  it("holds no secret value, whatever was sent or answered", () => {
    const h = new Harness()
    const secrets: Array<string> = [WEB.secret, OTHER.secret, VERIFIER]

    const { code } = h.authorize()
    secrets.push(code)
    const login = h.exchange(code)
    secrets.push(login.field("access_token"), login.field("refresh_token"))
    h.exchange(code) // a replay, the code shown again
    const fresh = h.login()
    secrets.push(fresh.accessToken, fresh.refreshToken)
    const refreshed = h.refresh(fresh.refreshToken, { client_secret: OTHER.secret })
    expect(refreshed.status).toBe(400)
    const rotated = h.refresh(fresh.refreshToken)
    secrets.push(rotated.field("access_token"), rotated.field("refresh_token"))

    const native = h.nativeAuthorize()
    secrets.push(native.code)
    const nativeTokens = h.nativeExchange(native.code, { code_verifier: VERIFIER })
    secrets.push(nativeTokens.field("access_token"), nativeTokens.field("refresh_token"))

    const assertion = signAssertion(h.claims())
    const cc = h.assert(assertion)
    secrets.push(assertion, cc.field("access_token"))
    secrets.push(
      h.post({ grant_type: "client_credentials", client_id: WEB.id, client_secret: WEB.secret }).field("access_token")
    )

    h.vehicleInfo(rotated.field("access_token"))
    const stranger = "0f8fad5b-d9cb-469f-a165-70867728950e"
    secrets.push(stranger, "d2ViLWFwcDpzZWNyZXQ=")
    h.vehicleInfo(stranger)
    h.send({ method: "GET", path: "/v1/vehicleinfo", headers: { authorization: "Basic d2ViLWFwcDpzZWNyZXQ=" } })
    h.revoke({ token: stranger, client_id: WEB.id, client_secret: WEB.secret })
    h.revoke({ token: fresh.accessToken, client_id: WEB.id, client_secret: WEB.secret })
    h.send({ headers: { "content-type": "application/json" }, body: `{"client_secret":"${WEB.secret}"` })

    const text = JSON.stringify(Model.history(h.state))
    expect(Model.history(h.state).length).toBe(14)
    for (const secret of secrets) expect(text).not.toContain(secret)
  })

  it("shows the handle of each token and code in place of its value", () => {
    const h = new Harness()
    const { code } = h.authorize()
    const login = h.exchange(code)
    h.vehicleInfo(login.field("access_token"))
    const codeHandle = h.handle(code)
    const accessHandle = h.handle(login.field("access_token"))
    const refreshHandle = h.handle(login.field("refresh_token"))
    expect([codeHandle, accessHandle, refreshHandle]).toEqual(["code#1", "at#3", "rt#4"])

    const [exchange, info] = Model.history(h.state)
    expect(exchange).toEqual({
      seq: 0,
      at: h.now,
      method: "POST",
      path: "/v1/access_tokens",
      status: 200,
      request: {
        grant_type: "authorization_code",
        code: codeHandle,
        redirect_uri: WEB.redirectUris[0],
        client_id: WEB.id,
        client_secret: "<redacted>"
      },
      response: { ...login.json, access_token: accessHandle, refresh_token: refreshHandle }
    })
    expect(info).toMatchObject({ seq: 1, method: "GET", status: 200, authorization: `Bearer ${accessHandle}` })
    expect(info?.request).toBeUndefined()
  })

  it("records a malformed body as such, and 404 and 405 without a body", () => {
    const h = new Harness()
    h.send({ body: "{" })
    h.send({ method: "GET", path: "/v1/elsewhere?token=x" })
    h.send({ method: "PUT" })
    expect(Model.history(h.state).map((e) => [e.path, e.status, e.request])).toEqual([
      ["/v1/access_tokens", 400, "<malformed>"],
      ["/v1/elsewhere", 404, undefined],
      ["/v1/access_tokens", 405, undefined]
    ])
  })

  it("keeps the last historyLimit exchanges", () => {
    const h = new Harness({ policy: { historyLimit: 3 } })
    for (let i = 0; i < 5; i++) h.advance(1).send({ body: "{}" })
    const kept = Model.history(h.state)
    expect(kept.map((e) => e.seq)).toEqual([2, 3, 4])
    expect(kept[0]?.at).toBe(h.now - 2000)
  })

  it("keeps the last historyLimit exchanges across many blocks, and frees the older ones", () => {
    const h = new Harness({ policy: { historyLimit: 40 } })
    for (let i = 0; i < 100; i++) h.send({ body: "{}" })
    expect(Model.history(h.state).map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => 60 + i))
    // positions 60 to 99 fill three blocks of 32 (32–63, 64–95, 96–127); none before them is kept
    expect(Log.blockCount(h.state.history)).toBe(3)
  })

  it("keeps nothing with historyLimit 0", () => {
    const h = new Harness({ policy: { historyLimit: 0 } })
    for (let i = 0; i < 40; i++) h.send({ body: "{}" })
    expect(Model.history(h.state)).toEqual([])
    expect(Log.blockCount(h.state.history)).toBe(1)
  })

  it("traces each family's lineage, with the status of every token", () => {
    const h = new Harness()
    const login = h.login()
    const first = h.refresh(login.refreshToken)
    h.refresh(first.field("refresh_token"))
    h.revoke({ token: login.accessToken, client_id: WEB.id, client_secret: WEB.secret })

    const [family] = Model.families(h.state, h.now)
    expect(family).toMatchObject({ handle: "fam#2", code: "code#1", clientId: WEB.id, openedAt: h.now })
    expect(family?.lineage.map((t) => [t.handle, t.issuedFrom, t.status])).toEqual([
      ["at#3", "code#1", "revoked"],
      ["rt#4", "code#1", "superseded"],
      ["at#5", "rt#4", "live"],
      ["rt#6", "rt#4", "superseded"],
      ["at#7", "rt#6", "live"],
      ["rt#8", "rt#6", "live"]
    ])
    expect(h.advance(3600).status(login.refreshToken)).toBe("superseded")
    expect(Model.token(h.state, h.now, "at#7").pipe(Option.map((t) => t.status))).toEqual(Option.some("expired"))
  })

  it("opens one family per code redemption", () => {
    const h = new Harness()
    h.login()
    h.login()
    h.post({ grant_type: "client_credentials", client_id: WEB.id, client_secret: WEB.secret })
    const families = Model.families(h.state, h.now)
    expect(families.map((f) => f.lineage.length)).toEqual([2, 2])
    expect(Model.tokens(h.state, h.now).map((t) => t.kind)).toEqual([
      "access",
      "refresh",
      "access",
      "refresh",
      "client_credentials"
    ])
  })

  it("finds nothing for an unknown handle or value", () => {
    const h = new Harness()
    h.login()
    expect(Model.token(h.state, h.now, "at#999")).toEqual(Option.none())
    expect(Model.handleOf(h.state, "not-a-token")).toEqual(Option.none())
    expect(Model.consent(h.state, "nope")).toEqual(Option.none())
  })

  it("does not record control functions, only exchanges", () => {
    const h = new Harness()
    const { authorizationId } = h.authorize()
    h.state = Either.getOrThrow(Model.withdrawConsent(h.state, h.now, authorizationId))
    expect(Model.history(h.state)).toEqual([])
  })
})
