import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as Model from "../src/Model.js"
import { Harness, hmError } from "./fixtures.js"

describe("Model consent", () => {
  it("approves a pending consent once; approving again changes nothing", () => {
    const h = new Harness()
    const { authorizationId } = h.authorize({ status: "pending" })
    const approved = Either.getOrThrow(Model.approveConsent(h.state, h.now, authorizationId))
    expect(Model.consent(approved, authorizationId).pipe((o) => o._tag === "Some" && o.value.status)).toBe("approved")
    expect(Either.getOrThrow(Model.approveConsent(approved, h.now + 1, authorizationId))).toBe(approved)
  })

  it("refuses to approve an unknown or a withdrawn consent", () => {
    const h = new Harness()
    const { authorizationId } = h.authorize()
    expect(Model.approveConsent(h.state, h.now, "nope")).toEqual(
      Either.left({ _tag: "UnknownConsent", authorizationId: "nope" })
    )
    const withdrawn = Either.getOrThrow(Model.withdrawConsent(h.state, h.now, authorizationId))
    expect(Model.approveConsent(withdrawn, h.now, authorizationId)).toEqual(
      Either.left({ _tag: "ConsentRevoked", authorizationId })
    )
    expect(Model.withdrawConsent(h.state, h.now, "nope")).toEqual(
      Either.left({ _tag: "UnknownConsent", authorizationId: "nope" })
    )
  })

  it("withdraws for good, idempotently", () => {
    const h = new Harness()
    const { authorizationId } = h.authorize()
    const withdrawn = Either.getOrThrow(Model.withdrawConsent(h.state, h.now, authorizationId))
    expect(Either.getOrThrow(Model.withdrawConsent(withdrawn, h.now + 5, authorizationId))).toBe(withdrawn)
    expect(Model.consents(withdrawn)[0]).toMatchObject({ status: "revoked", revokedAt: h.now })
  })

  it("kills every token minted from a withdrawn consent, and no other", () => {
    const h = new Harness()
    const first = h.login()
    const refreshed = h.refresh(first.refreshToken)
    const again = h.exchange(h.authorize().code)
    const other = h.login()
    h.state = Either.getOrThrow(Model.withdrawConsent(h.state, h.now, first.authorizationId))

    for (const token of [first.accessToken, refreshed.field("access_token")]) {
      expect(h.vehicleInfo(token).json.error_description).toBe("consent is revoked")
    }
    expect(h.refresh(refreshed.field("refresh_token")).json).toEqual(hmError("refresh_token is invalid"))
    // another consent of the same client and car is a grant of its own
    expect(h.vehicleInfo(again.field("access_token")).status).toBe(200)
    expect(h.vehicleInfo(other.accessToken).status).toBe(200)
    const statuses = Model.tokens(h.state, h.now)
      .filter((t) => t.kind !== "client_credentials" && t.authorizationId === first.authorizationId)
      .map((t) => t.status)
    expect(statuses).toEqual(["revoked", "revoked", "revoked", "revoked"])
  })

  it("refuses a validity window that ends before it starts, or a bound that is no instant", () => {
    const h = new Harness()
    const authorize = (validFrom: number | undefined, validUntil: number | undefined) =>
      Model.authorize(h.state, h.now, {
        clientId: "web-app",
        redirectUri: "https://app.example/callback",
        validFrom,
        validUntil
      })
    for (const [from, until] of [
      [h.now, h.now],
      [h.now + 1, h.now]
    ]) {
      expect(authorize(from, until)).toEqual(
        Either.left({ _tag: "InvalidValidityPeriod", reason: "ends_before_start" })
      )
    }
    for (const [from, until] of [
      [Number.NaN, undefined],
      [undefined, Number.POSITIVE_INFINITY],
      [undefined, 9e15]
    ]) {
      expect(authorize(from, until)).toEqual(Either.left({ _tag: "InvalidValidityPeriod", reason: "not_an_instant" }))
    }
    expect(Either.isRight(authorize(h.now, h.now + 1))).toBe(true)
    expect(Either.isRight(authorize(undefined, h.now - 1))).toBe(true)
  })

  it("consents to the first registered vehicle when none is named, and to none when there is none", () => {
    const h = new Harness({ vehicles: [{ vin: "WBA00000000000009" }, { vin: "WBA00000000000001" }] })
    const { authorizationId } = h.authorize({ vin: undefined })
    expect(Model.consent(h.state, authorizationId).pipe((o) => o._tag === "Some" && o.value.vin)).toBe(
      "WBA00000000000009"
    )
    const empty = new Harness({ vehicles: [] })
    expect(
      Model.authorize(empty.state, empty.now, { clientId: "web-app", redirectUri: "https://app.example/callback" })
    ).toEqual(Either.left({ _tag: "NoVehicleRegistered" }))
  })

  it("records who withdrew a consent: the owner by default, or the carmaker", () => {
    const h = new Harness()
    const mine = h.authorize()
    const oems = h.advance(1).authorize()
    h.state = Either.getOrThrow(Model.withdrawConsent(h.state, h.now, mine.authorizationId))
    h.state = Either.getOrThrow(Model.withdrawConsent(h.state, h.now, oems.authorizationId, "oem"))
    expect(Model.consents(h.state).map((consent) => consent.revokedBy)).toEqual(["owner", "oem"])
  })

  it("lists consents oldest first", () => {
    const h = new Harness()
    const a = h.authorize()
    const b = h.advance(1).authorize({ status: "pending" })
    expect(Model.consents(h.state).map((c) => [c.authorizationId, c.status])).toEqual([
      [a.authorizationId, "approved"],
      [b.authorizationId, "pending"]
    ])
  })
})
