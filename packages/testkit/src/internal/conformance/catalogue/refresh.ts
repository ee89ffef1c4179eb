/**
 * The refresh-token grant (RFC 6749 §6, RFC 9700 §4.14): a refresh token refreshes for its own client only, a
 * rotated token is superseded for good, reusing a superseded one revokes its family, and scope narrows, never
 * widens.
 */
import { Effect, FastCheck as fc } from "effect"
import * as Api from "../api.js"
import { type Check, type Context, expect, fail, make, type RunError } from "../check.js"
import { Unavailable } from "../driver.js"
import { property } from "../property.js"
import { madeUpToken } from "./arbitraries.js"

const refresh = (context: Context, refreshToken: string, scope?: string) =>
  Effect.flatMap(
    Api.token(context, Api.refreshFields(context.driver.clients.confidential, refreshToken, scope)),
    (answer) => Api.grantOf(context, answer, "a refresh with the latest refresh token")
  )

/** The granted scopes of a fresh grant; a server that names none cannot be checked for narrowing. */
const grantedScopes = (grant: Api.Grant): Effect.Effect<ReadonlyArray<string>, RunError> => {
  const scopes = (grant.scope ?? "").split(" ").filter((scope) => scope !== "")
  return scopes.length === 0
    ? Effect.fail(new Unavailable({ reason: "the token answer names no scope" }))
    : Effect.succeed(scopes)
}

const scopesOf = (scope: string | undefined) => (scope ?? "").split(" ").filter((part) => part !== "")

const rotation = make({
  id: "refresh/rotation",
  area: "refresh",
  title: "the latest refresh token refreshes, into a new one when the server rotates, never into one handed out before",
  reference: "RFC 6749 §6, RFC 9700 §4.14.2",
  level: "MUST",
  needs: ["consent"],
  run: (context) =>
    property(context, fc.integer({ min: 1, max: 4 }), (refreshes) =>
      Effect.gen(function* () {
        const grant = yield* Api.login(context)
        let latest = yield* Api.refreshTokenOf(context, grant)
        const seen = new Set([latest])
        const accessTokens = new Set([grant.accessToken])
        for (let i = 0; i < refreshes; i++) {
          const next = yield* refresh(context, latest)
          yield* expect(context, !accessTokens.has(next.accessToken), "a refresh handed out an access token again")
          accessTokens.add(next.accessToken)
          const rotated = next.refreshToken ?? latest
          if (context.driver.rotatesRefreshTokens === true && rotated === latest) {
            return yield* fail(context, "the server rotates refresh tokens, but a refresh kept the old one", {
              refreshes
            })
          }
          if (rotated !== latest) {
            yield* expect(context, !seen.has(rotated), "a refresh handed out a superseded refresh token again")
          }
          seen.add(rotated)
          latest = rotated
        }
      })
    )
})

/** Reuses `superseded` once its grace (if any) has run out. */
const afterGrace = (context: Context) => {
  const grace = context.driver.refreshReuseGrace ?? 0
  return grace === 0 ? Effect.void : Api.advance(context, grace + 1)
}

const reuseRevokes = make({
  id: "refresh/reuse-revokes-family",
  area: "refresh",
  title: "reusing a superseded refresh token revokes its whole family",
  reference: "RFC 9700 §4.14.2",
  level: "MUST",
  needs: ["consent"],
  run: (context) =>
    property(context, fc.integer({ min: 1, max: 3 }), (rotations) =>
      Effect.gen(function* () {
        const grant = yield* Api.login(context)
        const first = yield* Api.refreshTokenOf(context, grant)
        let latest = first
        let access = grant.accessToken
        for (let i = 0; i < rotations; i++) {
          const next = yield* refresh(context, latest)
          if (next.refreshToken === undefined || next.refreshToken === latest) {
            return yield* Effect.fail(new Unavailable({ reason: "the server does not rotate refresh tokens" }))
          }
          latest = next.refreshToken
          access = next.accessToken
        }
        yield* afterGrace(context)
        const reused = yield* Api.token(context, Api.refreshFields(context.driver.clients.confidential, first))
        yield* Api.expectRefused(context, reused, `a superseded refresh token refreshed`)
        const afterReuse = yield* Api.token(context, Api.refreshFields(context.driver.clients.confidential, latest))
        yield* expect(
          context,
          Api.refused(afterReuse),
          "after a superseded refresh token was reused, the family's latest refresh token still refreshes"
        )
        const read = yield* Api.vehicleInfo(context, access)
        yield* expect(context, read.status === 401, "after a reuse, the family's latest access token still reads")
      })
    )
})

const boundToClient = make({
  id: "refresh/bound-to-client",
  area: "refresh",
  title: "a refresh token refreshes only for the client it was issued to",
  reference: "RFC 6749 §6, §10.4",
  level: "MUST",
  needs: ["consent", "secondClient"],
  run: (context) =>
    Effect.gen(function* () {
      const second = yield* Api.required(context.driver.clients.second, "a second client")
      const refreshToken = yield* Api.refreshTokenOf(context, yield* Api.login(context))
      const stolen = yield* Api.token(context, Api.refreshFields(second, refreshToken))
      yield* Api.expectRefused(context, stolen, `another client refreshed the token`)
    })
})

const scopeNeverWidens = make({
  id: "refresh/scope-never-widens",
  area: "refresh",
  title: "a refresh never grants a scope the owner did not grant",
  reference: "RFC 6749 §6",
  level: "MUST",
  needs: ["consent"],
  run: (context) =>
    property(context, fc.stringMatching(/^[a-z]{3,10}:[a-z-]{3,12}$/), (extra) =>
      Effect.gen(function* () {
        const grant = yield* Api.login(context)
        const granted = yield* grantedScopes(grant)
        if (granted.includes(extra)) return
        const refreshToken = yield* Api.refreshTokenOf(context, grant)
        const asked = [...granted, extra].join(" ")
        const answer = yield* Api.token(
          context,
          Api.refreshFields(context.driver.clients.confidential, refreshToken, asked)
        )
        if (Api.refused(answer)) return
        const given = Api.field(answer, "scope")
        // an answer without `scope` grants what was asked (RFC 6749 §5.1)
        if (given === undefined || scopesOf(given).includes(extra)) {
          return yield* fail(context, "a refresh granted a scope the owner never granted", { granted, asked })
        }
      })
    )
})

const scopeMayNarrow = make({
  id: "refresh/scope-may-narrow",
  area: "refresh",
  title: "a refresh asking for fewer scopes grants no more than it asked",
  reference: "RFC 6749 §6, §3.3",
  level: "SHOULD",
  needs: ["consent"],
  run: (context) =>
    Effect.gen(function* () {
      const grant = yield* Api.login(context)
      const granted = yield* grantedScopes(grant)
      yield* property(context, fc.subarray([...granted], { minLength: 1 }), (subset) =>
        Effect.gen(function* () {
          const fresh = yield* Api.login(context)
          const narrowed = yield* refresh(context, yield* Api.refreshTokenOf(context, fresh), subset.join(" "))
          const given = narrowed.scope === undefined ? subset : scopesOf(narrowed.scope)
          yield* expect(
            context,
            given.every((scope) => subset.includes(scope)),
            "a narrowing refresh granted more than it asked",
            { granted, asked: subset, given }
          )
        })
      )
    })
})

const unknownToken = make({
  id: "refresh/unknown-token",
  area: "refresh",
  title: "a refresh token the server never issued does not refresh",
  reference: "RFC 6749 §5.2",
  level: "MUST",
  needs: [],
  run: (context) =>
    property(context, madeUpToken, (made) =>
      Effect.gen(function* () {
        const answer = yield* Api.token(context, Api.refreshFields(context.driver.clients.confidential, made))
        yield* Api.expectRefused(context, answer, `a made-up refresh token refreshed`, {
          token: made
        })
      })
    )
})

const refreshSpelling = make({
  id: "refresh/grant-type-refresh",
  area: "refresh",
  title: "`grant_type: refresh`, the spelling of the spec's examples, refreshes too",
  reference: "hm-oauth-rest-v1.yml L133, L148",
  level: "HM quirk",
  needs: ["consent"],
  run: (context) =>
    Effect.gen(function* () {
      const refreshToken = yield* Api.refreshTokenOf(context, yield* Api.login(context))
      const answer = yield* Api.token(context, {
        ...Api.refreshFields(context.driver.clients.confidential, refreshToken),
        grant_type: "refresh"
      })
      yield* Api.grantOf(context, answer, "a refresh with `grant_type: refresh`")
    })
})

/** The refresh checks. */
export const refreshGrant: ReadonlyArray<Check> = [
  rotation,
  reuseRevokes,
  boundToClient,
  scopeNeverWidens,
  scopeMayNarrow,
  unknownToken,
  refreshSpelling
]
