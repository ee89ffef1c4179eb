/**
 * The authorization-code grant (RFC 6749 §4.1, RFC 7636, RFC 9700 §2.1.1 and §4.8): a code is redeemed once, by
 * its client, at its exact redirect URI, within its lifetime, with the verifier of its challenge and only then.
 */
import { Effect, FastCheck as fc } from "effect"
import * as Api from "../api.js"
import { type Check, expect, make } from "../check.js"
import { property, variant } from "../property.js"
import { encoding } from "./arbitraries.js"

/** Ways of writing a redirect URI that is almost, but not byte for byte, the registered one. */
const nearMiss = variant<(uri: string) => string>({
  "a trailing slash": (uri) => `${uri}/`,
  "a query added": (uri) => `${uri}?x=1`,
  "an empty fragment": (uri) => `${uri}#`,
  "the last character dropped": (uri) => uri.slice(0, -1),
  "upper case": (uri) => uri.toUpperCase(),
  "http for https": (uri) => uri.replace(/^https:/, "http:"),
  "a leading space": (uri) => ` ${uri}`,
  "a slash percent-encoded": (uri) => uri.replace(/\/([^/]*)$/, "/%2F$1"),
  "another host's suffix": (uri) => `${uri}.evil.example`
})

/** A verifier of the right form (RFC 7636 §4.1: 43–128 unreserved characters). */
const verifier = fc.stringMatching(/^[A-Za-z0-9\-._~]{43,128}$/)

const singleUse = make({
  id: "code-grant/single-use",
  area: "codeGrant",
  title: "an authorization code is redeemed at most once",
  reference: "RFC 6749 §4.1.2, §10.5",
  level: "MUST",
  needs: ["consent"],
  run: (context) =>
    property(context, fc.tuple(encoding, encoding), ([first, again]) =>
      Effect.gen(function* () {
        const client = context.driver.clients.confidential
        const code = yield* Api.authorize(context, client)
        yield* Api.grantOf(
          context,
          yield* Api.token(context, Api.exchangeFields(client, code), first),
          "a code's first exchange"
        )
        const replay = yield* Api.token(context, Api.exchangeFields(client, code), again)
        yield* expect(
          context,
          Api.refused(replay),
          `the same code was redeemed twice (the second answered ${replay.status})`
        )
      })
    )
})

const replayRevokes = make({
  id: "code-grant/replay-revokes",
  area: "codeGrant",
  title: "a replayed code revokes the tokens issued from it",
  reference: "RFC 6749 §4.1.2, RFC 9700 §4.2.4",
  level: "SHOULD",
  needs: ["consent"],
  run: (context) =>
    Effect.gen(function* () {
      const client = context.driver.clients.confidential
      const code = yield* Api.authorize(context, client)
      const grant = yield* Api.grantOf(
        context,
        yield* Api.token(context, Api.exchangeFields(client, code)),
        "a code's first exchange"
      )
      yield* Api.token(context, Api.exchangeFields(client, code))
      const read = yield* Api.vehicleInfo(context, grant.accessToken)
      yield* expect(
        context,
        read.status === 401,
        `after the code was replayed, its access token still reads (${read.status})`
      )
      const refreshToken = yield* Api.refreshTokenOf(context, grant)
      const refreshed = yield* Api.token(context, Api.refreshFields(client, refreshToken))
      yield* expect(context, Api.refused(refreshed), "after the code was replayed, its refresh token still refreshes")
    })
})

const lifetime = make({
  id: "code-grant/lifetime",
  area: "codeGrant",
  title: "a code older than ten minutes is refused",
  reference: "RFC 6749 §4.1.2",
  level: "MUST",
  needs: ["consent", "clock"],
  run: (context) =>
    Effect.gen(function* () {
      const client = context.driver.clients.confidential
      const code = yield* Api.authorize(context, client)
      yield* Api.advance(context, 601)
      const late = yield* Api.token(context, Api.exchangeFields(client, code))
      yield* Api.expectRefused(context, late, `a code 601 s old was redeemed`)
    })
})

const exactRedirectUri = make({
  id: "code-grant/exact-redirect-uri",
  area: "codeGrant",
  title: "a code is redeemed only at the redirect URI it was issued for, byte for byte",
  reference: "RFC 6749 §4.1.3, RFC 9700 §4.1.3",
  level: "MUST",
  needs: ["consent"],
  run: (context) =>
    property(context, fc.tuple(nearMiss, encoding), ([change, body]) =>
      Effect.gen(function* () {
        const client = context.driver.clients.confidential
        const code = yield* Api.authorize(context, client)
        const redirectUri = change.apply(client.redirectUri)
        if (redirectUri === client.redirectUri) return
        const answer = yield* Api.token(
          context,
          { ...Api.exchangeFields(client, code), redirect_uri: redirectUri },
          body
        )
        yield* Api.expectRefused(context, answer, `a code was redeemed at another redirect URI`, {
          change: change.name
        })
      })
    )
})

const redirectUriRequired = make({
  id: "code-grant/redirect-uri-required",
  area: "codeGrant",
  title: "a code issued for a redirect URI is not redeemed without one",
  reference: "RFC 6749 §4.1.3",
  level: "MUST",
  needs: ["consent"],
  run: (context) =>
    Effect.gen(function* () {
      const client = context.driver.clients.confidential
      const code = yield* Api.authorize(context, client)
      const answer = yield* Api.token(context, { ...Api.exchangeFields(client, code), redirect_uri: undefined })
      yield* Api.expectRefused(context, answer, `a code was redeemed without redirect_uri`)
    })
})

const boundToClient = make({
  id: "code-grant/bound-to-client",
  area: "codeGrant",
  title: "a code is redeemed only by the client it was issued to",
  reference: "RFC 6749 §4.1.3",
  level: "MUST",
  needs: ["consent", "secondClient"],
  run: (context) =>
    Effect.gen(function* () {
      const { confidential } = context.driver.clients
      const second = yield* Api.required(context.driver.clients.second, "a second client")
      const code = yield* Api.authorize(context, confidential)
      const answer = yield* Api.token(context, {
        ...Api.exchangeFields(second, code),
        redirect_uri: confidential.redirectUri
      })
      yield* Api.expectRefused(context, answer, `another client redeemed the code`)
    })
})

const verifierRequired = make({
  id: "pkce/verifier-required",
  area: "codeGrant",
  title: "a code issued with a challenge is not redeemed without its verifier (no downgrade)",
  reference: "RFC 7636 §4.6, RFC 9700 §4.8.2",
  level: "MUST",
  needs: ["consent"],
  run: (context) =>
    property(context, encoding, (body) =>
      Effect.gen(function* () {
        const client = context.driver.clients.confidential
        const { challenge } = Api.pkce()
        const code = yield* Api.authorize(context, client, { codeChallenge: challenge })
        const answer = yield* Api.token(context, Api.exchangeFields(client, code), body)
        yield* Api.expectRefused(context, answer, `a code with a challenge was redeemed without a verifier`)
      })
    )
})

const verifierMustMatch = make({
  id: "pkce/verifier-must-match",
  area: "codeGrant",
  title: "a code is redeemed only with the verifier its S256 challenge was derived from",
  reference: "RFC 7636 §4.6",
  level: "MUST",
  needs: ["consent", "publicClient"],
  run: (context) =>
    property(
      context,
      fc.tuple(verifier, verifier).filter(([right, wrong]) => right !== wrong),
      ([right, wrong]) =>
        Effect.gen(function* () {
          const client = yield* Api.required(context.driver.clients.public, "a public client")
          const code = yield* Api.authorize(context, client, { codeChallenge: Api.pkce(right).challenge })
          const answer = yield* Api.token(context, Api.exchangeFields(client, code, wrong))
          yield* Api.expectRefused(context, answer, `a wrong verifier redeemed the code`, {
            verifier: right,
            sent: wrong
          })
          const redeemed = yield* Api.token(context, Api.exchangeFields(client, code, right))
          yield* Api.grantOf(context, redeemed, "the exchange with the right verifier, after a wrong one")
        })
    )
})

const noUpgrade = make({
  id: "pkce/no-verifier-without-challenge",
  area: "codeGrant",
  title: "a code issued without a challenge is not redeemed with a verifier",
  reference: "RFC 9700 §4.8.2",
  level: "MUST",
  needs: ["consent"],
  run: (context) =>
    Effect.gen(function* () {
      const client = context.driver.clients.confidential
      const code = yield* Api.authorize(context, client)
      const answer = yield* Api.token(context, Api.exchangeFields(client, code, Api.pkce().verifier))
      yield* Api.expectRefused(context, answer, `a code without a challenge was redeemed with a verifier`)
    })
})

const publicClientExchange = make({
  id: "pkce/public-client",
  area: "codeGrant",
  title: "a public client redeems its code with the verifier alone, and without it not at all",
  reference: "RFC 7636 §4.5, RFC 6749 §2.1",
  level: "MUST",
  needs: ["consent", "publicClient"],
  run: (context) =>
    property(context, verifier, (right) =>
      Effect.gen(function* () {
        const client = yield* Api.required(context.driver.clients.public, "a public client")
        const code = yield* Api.authorize(context, client, { codeChallenge: Api.pkce(right).challenge })
        const bare = yield* Api.token(context, Api.exchangeFields(client, code))
        yield* Api.expectRefused(context, bare, `a public client redeemed a code without its verifier`)
        yield* Api.grantOf(
          context,
          yield* Api.token(context, Api.exchangeFields(client, code, right)),
          "a public client's exchange with its verifier"
        )
      })
    )
})

const verifierForm = make({
  id: "pkce/verifier-form",
  area: "codeGrant",
  title: "a verifier shorter than 43 or longer than 128 characters is refused",
  reference: "RFC 7636 §4.1",
  level: "SHOULD",
  needs: ["consent", "publicClient"],
  run: (context) =>
    property(
      context,
      fc.oneof(fc.stringMatching(/^[A-Za-z0-9]{1,42}$/), fc.stringMatching(/^[A-Za-z0-9]{129,160}$/)),
      (bad) =>
        Effect.gen(function* () {
          const client = yield* Api.required(context.driver.clients.public, "a public client")
          const code = yield* Api.authorize(context, client, { codeChallenge: Api.pkce(bad).challenge })
          const answer = yield* Api.token(context, Api.exchangeFields(client, code, bad))
          yield* Api.expectRefused(context, answer, `a ${bad.length}-character verifier redeemed a code`)
        })
    )
})

/** The code-grant checks. */
export const codeGrant: ReadonlyArray<Check> = [
  singleUse,
  replayRevokes,
  lifetime,
  exactRedirectUri,
  redirectUriRequired,
  boundToClient,
  verifierRequired,
  verifierMustMatch,
  noUpgrade,
  publicClientExchange,
  verifierForm
]
