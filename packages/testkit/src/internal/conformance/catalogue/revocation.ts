/**
 * Revocation (RFC 7009, as HM spells it: `DELETE /v1/access_tokens`): an unknown token answers 200, revoking a
 * refresh token ends its family, an access token revoked reads nothing, and only the token's client revokes it.
 */
import { Effect, FastCheck as fc } from "effect"
import * as Api from "../api.js"
import { type Check, expect, make } from "../check.js"
import { property } from "../property.js"
import { encoding, madeUpToken, tokenTypeHint } from "./arbitraries.js"

const unknownToken = make({
  id: "revocation/unknown-token",
  area: "revocation",
  title: "revoking a token the server does not know answers 200",
  reference: "RFC 7009 §2.2",
  level: "MUST",
  needs: [],
  run: (context) =>
    property(context, fc.tuple(madeUpToken, tokenTypeHint, encoding), ([made, hintGiven, body]) =>
      Effect.gen(function* () {
        const answer = yield* Api.revoke(
          context,
          { token: made, token_type_hint: hintGiven, ...Api.credentials(context.driver.clients.confidential) },
          body
        )
        yield* expect(context, answer.status === 200, `revoking an unknown token answered ${answer.status}`, {
          token: made,
          token_type_hint: hintGiven
        })
      })
    )
})

const refreshEndsFamily = make({
  id: "revocation/refresh-token-ends-family",
  area: "revocation",
  title: "a revoked refresh token, and every refresh token of its family, refreshes no more",
  reference: "RFC 7009 §2.1, §2.2",
  level: "MUST",
  needs: ["consent"],
  run: (context) =>
    property(context, fc.tuple(tokenTypeHint, fc.boolean()), ([given, again]) =>
      Effect.gen(function* () {
        const client = context.driver.clients.confidential
        const grant = yield* Api.login(context)
        const refreshToken = yield* Api.refreshTokenOf(context, grant)
        const revokeIt = Api.revoke(context, {
          token: refreshToken,
          token_type_hint: given,
          ...Api.credentials(client)
        })
        const revoked = yield* revokeIt
        yield* expect(context, revoked.status === 200, `revoking a refresh token answered ${revoked.status}`)
        if (again) {
          const twice = yield* revokeIt
          yield* expect(context, twice.status === 200, `revoking a revoked token answered ${twice.status}`)
        }
        const refreshed = yield* Api.token(context, Api.refreshFields(client, refreshToken))
        yield* expect(context, Api.refused(refreshed), "a revoked refresh token still refreshes")
      })
    )
})

const cascade = make({
  id: "revocation/refresh-token-cascades",
  area: "revocation",
  title: "revoking a refresh token also invalidates the access tokens of its grant",
  reference: "RFC 7009 §2.1",
  level: "SHOULD",
  needs: ["consent"],
  run: (context) =>
    Effect.gen(function* () {
      const client = context.driver.clients.confidential
      const grant = yield* Api.login(context)
      const refreshToken = yield* Api.refreshTokenOf(context, grant)
      yield* Api.revoke(context, { token: refreshToken, ...Api.credentials(client) })
      const read = yield* Api.vehicleInfo(context, grant.accessToken)
      yield* expect(context, read.status === 401, `the grant's access token still reads (${read.status})`)
    })
})

const otherClient = make({
  id: "revocation/other-client",
  area: "revocation",
  title: "another client cannot revoke a client's token",
  reference: "RFC 7009 §2.1",
  level: "MUST",
  needs: ["consent", "secondClient"],
  run: (context) =>
    property(context, fc.constantFrom("access", "refresh"), (kind) =>
      Effect.gen(function* () {
        const second = yield* Api.required(context.driver.clients.second, "a second client")
        const grant = yield* Api.login(context)
        const refreshToken = yield* Api.refreshTokenOf(context, grant)
        yield* Api.revoke(context, {
          token: kind === "access" ? grant.accessToken : refreshToken,
          ...Api.credentials(second)
        })
        const read = yield* Api.vehicleInfo(context, grant.accessToken)
        yield* expect(context, read.status === 200, `another client's revocation of the ${kind} token took effect`)
        const refreshed = yield* Api.token(
          context,
          Api.refreshFields(context.driver.clients.confidential, refreshToken)
        )
        yield* expect(context, Api.accepted(refreshed), `another client's revocation of the ${kind} token took effect`)
      })
    )
})

const authenticates = make({
  id: "revocation/authenticates-client",
  area: "revocation",
  title: "a revocation with a wrong client secret revokes nothing",
  reference: "RFC 7009 §2.1, RFC 6749 §2.3",
  level: "MUST",
  needs: ["consent"],
  run: (context) =>
    Effect.gen(function* () {
      const client = context.driver.clients.confidential
      const grant = yield* Api.login(context)
      const answer = yield* Api.revoke(context, {
        token: grant.accessToken,
        client_id: client.id,
        client_secret: `${Api.secretOf(client)}x`
      })
      yield* expect(context, Api.refused(answer), `a revocation with a wrong secret answered ${answer.status}`)
      const read = yield* Api.vehicleInfo(context, grant.accessToken)
      yield* expect(context, read.status === 200, "a revocation with a wrong secret took effect")
    })
})

/** The revocation checks. */
export const revocation: ReadonlyArray<Check> = [unknownToken, refreshEndsFamily, cascade, otherClient, authenticates]
