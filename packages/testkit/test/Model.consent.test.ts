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
