/**
 * Client authentication (RFC 6749 §2.3, RFC 7523 §3, HM's service-account assertions): a confidential client
 * proves itself with its exact secret; a service account with an ES256 assertion for this server's audience, dated
 * now, never replayed, signed by a live key of its own.
 */
import { createHmac, createPublicKey, generateKeyPairSync } from "node:crypto"
import { Effect, FastCheck as fc } from "effect"
import * as Api from "../api.js"
import { type Check, type Context, expect, make } from "../check.js"
import { property, variant } from "../property.js"

/** Ways a secret can be almost right. */
const wrongSecret = variant<(secret: string) => string>({
  "a character appended": (secret) => `${secret}x`,
  "the last character dropped": (secret) => secret.slice(0, -1),
  "the case changed": (secret) => (secret.toUpperCase() === secret ? secret.toLowerCase() : secret.toUpperCase()),
  "a leading space": (secret) => ` ${secret}`,
  "rotated by one": (secret) => `${secret.slice(1)}${secret[0] ?? ""}`,
  "another secret": () => "secret"
})

const wrongSecrets = make({
  id: "client-auth/secret",
  area: "clientAuthentication",
  title: "a confidential client is authenticated by its exact secret only",
  reference: "RFC 6749 §2.3.1, hm-oauth-rest-v1.yml L94-109",
  level: "MUST",
  needs: ["consent"],
  run: (context) =>
    Effect.gen(function* () {
      const client = context.driver.clients.confidential
      const refreshToken = yield* Api.refreshTokenOf(context, yield* Api.login(context))
      yield* property(context, wrongSecret, (change) =>
        Effect.gen(function* () {
          const sent = change.apply(Api.secretOf(client))
          if (sent === Api.secretOf(client)) return
          const answer = yield* Api.token(context, { ...Api.refreshFields(client, refreshToken), client_secret: sent })
          yield* Api.expectRefused(context, answer, `a wrong client secret was accepted`, {
            secret: change.name
          })
        })
      )
    })
})

const missingSecret = make({
  id: "client-auth/secret-required",
  area: "clientAuthentication",
  title: "a confidential client's request without its secret is refused",
  reference: "RFC 6749 §2.3, §3.2.1",
  level: "MUST",
  needs: ["consent"],
  run: (context) =>
    Effect.gen(function* () {
      const client = context.driver.clients.confidential
      const code = yield* Api.authorize(context, client)
      const answer = yield* Api.token(context, { ...Api.exchangeFields(client, code), client_secret: undefined })
      yield* Api.expectRefused(context, answer, `a code was redeemed without the client's secret`)
    })
})

const unknownClient = make({
  id: "client-auth/unknown-client",
  area: "clientAuthentication",
  title: "a client the server never registered is refused",
  reference: "RFC 6749 §2.3, §5.2",
  level: "MUST",
  needs: [],
  run: (context) =>
    property(
      context,
      fc.tuple(fc.stringMatching(/^[A-Za-z0-9-]{1,40}$/), fc.stringMatching(/^[A-Za-z0-9]{8,40}$/)),
      ([id, secret]) =>
        Effect.gen(function* () {
          const answer = yield* Api.token(context, {
            grant_type: "client_credentials",
            client_id: `unknown-${id}`,
            client_secret: secret
          })
          yield* Api.expectRefused(context, answer, `an unknown client was issued a token`, {
            client_id: `unknown-${id}`
          })
        })
    )
})

const serviceAccount = (context: Context) => Api.required(context.driver.clients.serviceAccount, "service-account key")

const assertionAccepted = make({
  id: "client-auth/assertion",
  area: "clientAuthentication",
  title: "a service account's well-formed ES256 assertion is accepted",
  reference: "hm-oauth-rest-v1.yml L155-170, RFC 7523 §2.2",
  level: "MUST",
  needs: ["serviceAccount"],
  run: (context) =>
    Effect.gen(function* () {
      const account = yield* serviceAccount(context)
      const answer = yield* Api.token(context, Api.assertionFields(account, yield* Api.assertion(context, account)))
      yield* Api.grantOf(context, answer, "a client-credentials request with a valid assertion")
    })
})

const audience = make({
  id: "client-auth/assertion-audience",
  area: "clientAuthentication",
  title: "an assertion for another audience is refused",
  reference: "RFC 7523 §3 (3)",
  level: "MUST",
  needs: ["serviceAccount"],
  run: (context) =>
    property(
      context,
      variant<(aud: string) => string>({
        "a trailing slash": (aud) => `${aud}/`,
        "without /v1": (aud) => aud.replace(/\/v1$/, ""),
        "upper case": (aud) => aud.toUpperCase(),
        "another host's suffix": (aud) => `${aud}.evil.example`,
        "another API": () => "https://api.high-mobility.com/v2",
        empty: () => ""
      }),
      (change) =>
        Effect.gen(function* () {
          const account = yield* serviceAccount(context)
          const aud = change.apply(account.audience)
          if (aud === account.audience) return
          const answer = yield* Api.token(
            context,
            Api.assertionFields(account, yield* Api.assertion(context, account, { claims: { aud } }))
          )
          yield* Api.expectRefused(context, answer, `an assertion for another audience was accepted`, {
            audience: change.name,
            aud
          })
        })
    )
})

const iatWindow = make({
  id: "client-auth/assertion-issued-at",
  area: "clientAuthentication",
  title: "an assertion issued an hour or more from now, in either direction, is refused",
  reference: "RFC 7523 §3 (6), hm-oauth-rest-v1.yml L163",
  level: "MUST",
  needs: ["serviceAccount"],
  run: (context) =>
    property(context, fc.tuple(fc.integer({ min: 3600, max: 30 * 86_400 }), fc.boolean()), ([offset, future]) =>
      Effect.gen(function* () {
        const account = yield* serviceAccount(context)
        const now = yield* Api.serverSeconds(context)
        const iat = future ? now + offset : now - offset
        const answer = yield* Api.token(
          context,
          Api.assertionFields(account, yield* Api.assertion(context, account, { claims: { iat } }))
        )
        yield* expect(
          context,
          Api.refused(answer),
          `an assertion issued ${future ? "" : "-"}${offset} s from now was accepted`,
          {
            offset: future ? offset : -offset
          }
        )
      })
    )
})

const jtiReplay = make({
  id: "client-auth/assertion-replay",
  area: "clientAuthentication",
  title: "an assertion is accepted once: its `jti` replayed is refused",
  reference: "RFC 7523 §3 (7), RFC 7519 §4.1.7",
  level: "SHOULD",
  needs: ["serviceAccount"],
  run: (context) =>
    Effect.gen(function* () {
      const account = yield* serviceAccount(context)
      const once = yield* Api.assertion(context, account)
      yield* Api.grantOf(context, yield* Api.token(context, Api.assertionFields(account, once)), "a fresh assertion")
      const replayed = yield* Api.token(context, Api.assertionFields(account, once))
      yield* Api.expectRefused(context, replayed, `a replayed assertion was accepted`)
    })
})

const expiredKey = make({
  id: "client-auth/assertion-expired-key",
  area: "clientAuthentication",
  title: "an assertion signed with an expired key is refused",
  reference: 'hm-oauth-rest-v1.yml L94-109 ("client_assertion is signed with an expired key")',
  level: "MUST",
  needs: ["serviceAccount", "expiredServiceAccountKey"],
  run: (context) =>
    Effect.gen(function* () {
      const account = yield* serviceAccount(context)
      const old = yield* Api.required(account.expiredKey, "expired service-account key")
      const signed = yield* Api.assertion(context, account, { key: old })
      const answer = yield* Api.token(context, Api.assertionFields(account, signed))
      yield* Api.expectRefused(context, answer, `an assertion signed with an expired key was accepted`)
    })
})

/** What a forgery starts from: the genuine header and claims, the key's public half, and a signer with the key. */
interface Genuine {
  readonly input: string
  readonly publicPem: string
  readonly signWith: (text: string) => string
}

const swapHeader = (input: string, header: object) =>
  `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${input.split(".")[1] ?? ""}`

/** Ways an assertion's signature can be wrong while its claims are right. */
const forgery = variant<(genuine: Genuine) => string>({
  "alg none": ({ input }) => `${swapHeader(input, { alg: "none", typ: "JWT" })}.`,
  "HS256 keyed with the public key": ({ input, publicPem }) => {
    const swapped = swapHeader(input, { alg: "HS256", typ: "JWT" })
    return `${swapped}.${createHmac("sha256", publicPem).update(swapped).digest("base64url")}`
  },
  "signed by another key": ({ input }) =>
    `${input}.${Api.es256(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey, input)}`,
  "ES384 named, ES256 signed": ({ input, signWith }) => {
    const swapped = swapHeader(input, { alg: "ES384", typ: "JWT" })
    return `${swapped}.${signWith(swapped)}`
  },
  "signature truncated": ({ input, signWith }) => `${input}.${signWith(input).slice(0, -4)}`,
  "no signature": ({ input }) => `${input}.`
})

const algorithm = make({
  id: "client-auth/assertion-signature",
  area: "clientAuthentication",
  title: "an assertion is accepted only with a valid ES256 signature by the named key",
  reference: "RFC 7523 §3 (9), RFC 8725 §2.1, §3.1",
  level: "MUST",
  needs: ["serviceAccount"],
  run: (context) =>
    property(context, forgery, (forge) =>
      Effect.gen(function* () {
        const account = yield* serviceAccount(context)
        const genuine = yield* Api.assertion(context, account)
        const forged = forge.apply({
          input: genuine.split(".").slice(0, 2).join("."),
          publicPem: createPublicKey(account.key.privateKey).export({ format: "pem", type: "spki" }).toString(),
          signWith: (text) => Api.es256(account.key.privateKey, text)
        })
        const answer = yield* Api.token(context, Api.assertionFields(account, forged))
        yield* expect(context, Api.refused(answer), `a forged assertion (${forge.name}) was accepted`, {
          forgery: forge.name
        })
      })
    )
})

/** The client-authentication checks. */
export const clientAuthentication: ReadonlyArray<Check> = [
  wrongSecrets,
  missingSecret,
  unknownClient,
  assertionAccepted,
  audience,
  iatWindow,
  jtiReplay,
  expiredKey,
  algorithm
]
