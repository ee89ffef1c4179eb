/**
 * Vehicle info (`GET /v1/vehicleinfo`): a live access token of an approved consent reads its car; a token revoked,
 * expired, never issued, or of a pending or withdrawn consent reads nothing.
 */
import { Effect, FastCheck as fc } from "effect"
import * as Api from "../api.js"
import { type Check, expect, make } from "../check.js"
import { property } from "../property.js"
import { tokenTypeHint } from "./arbitraries.js"

const liveToken = make({
  id: "vehicle-info/live-token",
  area: "vehicleInfo",
  title: "a live access token reads the car its consent was given for",
  reference: "hm-oauth-rest-v1.yml (GET /v1/vehicleinfo)",
  level: "MUST",
  needs: ["consent"],
  run: (context) =>
    Effect.gen(function* () {
      const grant = yield* Api.login(context)
      const read = yield* Api.vehicleInfo(context, grant.accessToken)
      yield* expect(context, read.status === 200, `a fresh access token was refused (${read.status})`)
      yield* expect(context, Api.field(read, "vin") === context.driver.vin, "vehicle info named another car")
    })
})

const revokedToken = make({
  id: "vehicle-info/revoked-token",
  area: "vehicleInfo",
  title: "a revoked access token reads nothing",
  reference: "RFC 7009 §2.1, hm-oauth-rest-v1.yml (DELETE /v1/access_tokens)",
  level: "MUST",
  needs: ["consent"],
  run: (context) =>
    property(context, tokenTypeHint, (given) =>
      Effect.gen(function* () {
        const grant = yield* Api.login(context)
        const revoked = yield* Api.revoke(context, {
          token: grant.accessToken,
          token_type_hint: given,
          ...Api.credentials(context.driver.clients.confidential)
        })
        yield* expect(context, revoked.status === 200, `revoking an access token answered ${revoked.status}`)
        const read = yield* Api.vehicleInfo(context, grant.accessToken)
        yield* expect(context, read.status === 401, `a revoked access token still reads (${read.status})`)
      })
    )
})

const expiredToken = make({
  id: "vehicle-info/expired-token",
  area: "vehicleInfo",
  title: "an access token past its `expires_in` reads nothing",
  reference: "RFC 6749 §5.1, RFC 6750 §3.1",
  level: "MUST",
  needs: ["consent", "clock"],
  run: (context) =>
    Effect.gen(function* () {
      const grant = yield* Api.login(context)
      const lifetime = yield* Api.required(grant.expiresIn, "token answer with `expires_in`")
      yield* Api.advance(context, lifetime + 1)
      const read = yield* Api.vehicleInfo(context, grant.accessToken)
      yield* expect(context, read.status === 401, `an access token ${lifetime + 1} s old read (${read.status})`)
    })
})

const pendingConsent = make({
  id: "vehicle-info/pending-consent",
  area: "vehicleInfo",
  title: "a token of a pending consent reads nothing until the consent is approved",
  reference: "hm-oauth-rest-v1.yml L225-273 (`status: pending`)",
  level: "HM quirk",
  needs: ["consent", "pendingConsent"],
  run: (context) =>
    Effect.gen(function* () {
      const grant = yield* Api.login(context, context.driver.clients.confidential, { pending: true })
      yield* expect(
        context,
        Api.field(grant.answer, "status") === "pending",
        "a pending consent's tokens say another status"
      )
      const early = yield* Api.vehicleInfo(context, grant.accessToken)
      yield* expect(context, early.status === 401, `a pending consent's token read (${early.status})`)
      const approve = yield* Api.required(context.driver.consent?.approve, "way to approve a consent")
      yield* approve(yield* Api.required(grant.authorizationId, "authorization_id in the token answer"))
      const late = yield* Api.vehicleInfo(context, grant.accessToken)
      yield* expect(context, late.status === 200, `once approved, the consent's token was refused (${late.status})`)
    })
})

const withdrawnConsent = make({
  id: "vehicle-info/withdrawn-consent",
  area: "vehicleInfo",
  title: "once the owner withdraws the consent, its tokens read nothing and refresh no more",
  reference: "API-NOTES (authorization_changed), hm-oauth-rest-v1.yml (GET /v1/vehicleinfo 401)",
  level: "MUST",
  needs: ["consent", "withdrawConsent"],
  run: (context) =>
    Effect.gen(function* () {
      const grant = yield* Api.login(context)
      const withdraw = yield* Api.required(context.driver.consent?.withdraw, "way to withdraw a consent")
      yield* withdraw(yield* Api.required(grant.authorizationId, "authorization_id in the token answer"))
      const read = yield* Api.vehicleInfo(context, grant.accessToken)
      yield* expect(context, read.status === 401, `a withdrawn consent's token read (${read.status})`)
      const refreshToken = yield* Api.refreshTokenOf(context, grant)
      const refreshed = yield* Api.token(context, Api.refreshFields(context.driver.clients.confidential, refreshToken))
      yield* expect(context, Api.refused(refreshed), "a withdrawn consent's refresh token still refreshes")
    })
})

const unknownToken = make({
  id: "vehicle-info/unknown-token",
  area: "vehicleInfo",
  title: "a bearer token the server never issued reads nothing",
  reference: "RFC 6750 §3.1",
  level: "MUST",
  needs: [],
  run: (context) =>
    property(context, fc.oneof(fc.uuid(), fc.stringMatching(/^[A-Za-z0-9._~+/-]{1,64}$/)), (made) =>
      Effect.gen(function* () {
        const read = yield* Api.vehicleInfo(context, made)
        yield* expect(context, read.status === 401 || read.status === 400, `a made-up token read (${read.status})`, {
          token: made
        })
      })
    )
})

const refreshTokenIsNoAccess = make({
  id: "vehicle-info/refresh-token-as-bearer",
  area: "vehicleInfo",
  title: "a refresh token is no access token: as a bearer token it reads nothing",
  reference: "RFC 6749 §1.5, RFC 6750 §3.1",
  level: "MUST",
  needs: ["consent"],
  run: (context) =>
    Effect.gen(function* () {
      const refreshToken = yield* Api.refreshTokenOf(context, yield* Api.login(context))
      const read = yield* Api.vehicleInfo(context, refreshToken)
      yield* expect(context, read.status === 401, `a refresh token read as a bearer token (${read.status})`)
    })
})

/** The vehicle-info checks. */
export const vehicleInfo: ReadonlyArray<Check> = [
  liveToken,
  revokedToken,
  expiredToken,
  pendingConsent,
  withdrawnConsent,
  unknownToken,
  refreshTokenIsNoAccess
]
