/**
 * The requests the checks send, over `Context.send`: the token endpoint in JSON (the spec's format) or form
 * encoding, revocation, vehicle info, and the steps most checks begin with (a consent, a code exchange). Values the
 * checks handle (codes, tokens) are plain strings here: they stay inside the run, and the report shows each as its
 * label only (see `exchange.ts`).
 */
import { createHash, type KeyObject, randomBytes, sign } from "node:crypto"
import { Clock, Effect, Predicate, Redacted } from "effect"
import { type Context, expect, fail, type RunError } from "./check.js"
import type { ConfidentialClient, PublicClient, ServiceAccount, ServiceAccountKey } from "./driver.js"
import { Unavailable } from "./driver.js"
import type { Answer } from "./exchange.js"

/** How a body is encoded: JSON (the spec's format) or form (RFC 6749's, and HM's own samples'). */
export type Encoding = "json" | "form"

/** Fields of a request body; an undefined field is left out. */
export type Fields = Readonly<Record<string, string | undefined>>

const defined = (fields: Fields): Array<[string, string]> =>
  Object.entries(fields).flatMap(
    ([name, value]): Array<[string, string]> => (value === undefined ? [] : [[name, value]])
  )

/** The body text and content type of `fields` in `encoding`. */
export const encode = (fields: Fields, encoding: Encoding = "json") =>
  encoding === "json"
    ? { body: JSON.stringify(Object.fromEntries(defined(fields))), contentType: "application/json" }
    : { body: new URLSearchParams(defined(fields)).toString(), contentType: "application/x-www-form-urlencoded" }

const bodyRequest =
  (method: "POST" | "DELETE") =>
  (context: Context, fields: Fields, encoding: Encoding = "json"): Effect.Effect<Answer, RunError> => {
    const { body, contentType } = encode(fields, encoding)
    return context.send({ method, path: "/v1/access_tokens", headers: { "content-type": contentType }, body })
  }

/** `POST /v1/access_tokens`. */
export const token = bodyRequest("POST")

/** `DELETE /v1/access_tokens` (RFC 7009, as HM spells it). */
export const revoke = bodyRequest("DELETE")

/** `GET /v1/vehicleinfo` with `Authorization: Bearer <accessToken>`. */
export const vehicleInfo = (context: Context, accessToken: string) =>
  context.send({ method: "GET", path: "/v1/vehicleinfo", headers: { authorization: `Bearer ${accessToken}` } })

/** Whether the token endpoint accepted: HM answers 200, its SDKs also accept 201. */
export const accepted = (answer: Answer): boolean => answer.status === 200 || answer.status === 201

/** Whether the server refused as a client error, in any of the shapes OAuth allows (400, or 401 for a client). */
export const refused = (answer: Answer): boolean => answer.status >= 400 && answer.status < 500

/** Fails the check with `what` and the answer's status unless the server refused (see `refused`). */
export const expectRefused = (
  context: Context,
  answer: Answer,
  what: string,
  counterexample?: unknown
): Effect.Effect<void, RunError> => expect(context, refused(answer), `${what} (${answer.status})`, counterexample)

/** A string field of a JSON answer, if it has one. */
export const field = (answer: Answer, name: string): string | undefined => {
  const value = member(answer, name)
  return typeof value === "string" ? value : undefined
}

/** A member of a JSON object answer, if it has one. */
export const member = (answer: Answer, name: string): unknown =>
  Predicate.hasProperty(answer.json, name) ? answer.json[name] : undefined

/** What the driver holds, or the check is skipped: its needs say the runner checked, this narrows the type. */
export const required = <A>(value: A | undefined, what: string): Effect.Effect<A, Unavailable> =>
  value === undefined ? Effect.fail(new Unavailable({ reason: `the driver has no ${what}` })) : Effect.succeed(value)

/** A client's secret, revealed for the line that puts it on the wire. */
export const secretOf = (client: ConfidentialClient): string => Redacted.value(client.secret)

/** The fields that authenticate `client` at the token endpoint and revocation. */
export const credentials = (client: ConfidentialClient | PublicClient): Fields =>
  "secret" in client ? { client_id: client.id, client_secret: secretOf(client) } : { client_id: client.id }

/** A PKCE verifier (43 unreserved characters) and its S256 challenge (RFC 7636 §4.1–4.2). */
export const pkce = (verifier: string = randomBytes(32).toString("base64url")) => ({
  verifier,
  challenge: createHash("sha256").update(verifier).digest("base64url")
})

/** A fresh value for a `state` parameter or an assertion's `jti`. */
export const nonce = (): string => randomBytes(12).toString("base64url")

/** What a consent asks for beyond the client: a challenge, a pending consent, another redirect URI. */
export interface ConsentOptions {
  readonly codeChallenge?: string | undefined
  readonly pending?: boolean | undefined
}

/** A fresh code for `client`, from the driver's consent; a check needing one lists the `consent` need. */
export const authorize = (
  context: Context,
  client: ConfidentialClient | PublicClient,
  options: ConsentOptions = {}
): Effect.Effect<string, RunError> => {
  const consent = context.driver.consent
  if (consent === undefined) return Effect.fail(new Unavailable({ reason: "the driver has no consent" }))
  return Effect.map(
    consent.authorize({
      clientId: client.id,
      redirectUri: client.redirectUri,
      state: nonce(),
      vin: context.driver.vin,
      codeChallenge: options.codeChallenge,
      pending: options.pending
    }),
    Redacted.value
  )
}

/** A grant's tokens as the code exchange (or a refresh) handed them out. */
export interface Grant {
  readonly accessToken: string
  readonly refreshToken: string | undefined
  readonly authorizationId: string | undefined
  readonly expiresIn: number | undefined
  readonly scope: string | undefined
  readonly answer: Answer
}

/** The tokens of an accepted answer, or the check fails: `what` was a valid request the server had to accept. */
export const grantOf = (context: Context, answer: Answer, what: string): Effect.Effect<Grant, RunError> => {
  const accessToken = field(answer, "access_token")
  if (!accepted(answer) || accessToken === undefined) {
    return fail(context, `${what} was refused (${answer.status}), though it was valid`)
  }
  const expiresIn = member(answer, "expires_in")
  return Effect.succeed({
    accessToken,
    refreshToken: field(answer, "refresh_token"),
    authorizationId: field(answer, "authorization_id"),
    expiresIn: typeof expiresIn === "number" ? expiresIn : undefined,
    scope: field(answer, "scope"),
    answer
  })
}

/** The code-exchange fields of `client` for `code`. */
export const exchangeFields = (client: ConfidentialClient | PublicClient, code: string, verifier?: string): Fields => ({
  grant_type: "authorization_code",
  code,
  redirect_uri: client.redirectUri,
  ...credentials(client),
  code_verifier: verifier
})

/** A consent and its code exchanged by the confidential client (or `client`): the start of most checks. */
export const login = (
  context: Context,
  client: ConfidentialClient = context.driver.clients.confidential,
  options: ConsentOptions = {}
): Effect.Effect<Grant, RunError> =>
  Effect.gen(function* () {
    const code = yield* authorize(context, client, options)
    return yield* grantOf(context, yield* token(context, exchangeFields(client, code)), "the exchange of a fresh code")
  })

/** The refresh fields of `client` for `refreshToken`. */
export const refreshFields = (client: ConfidentialClient, refreshToken: string, scope?: string): Fields => ({
  grant_type: "refresh_token",
  refresh_token: refreshToken,
  ...credentials(client),
  scope
})

/** The refresh token of a grant, or the check fails: the server must hand one out with a consent-flow grant. */
export const refreshTokenOf = (context: Context, grant: Grant): Effect.Effect<string, RunError> =>
  grant.refreshToken === undefined
    ? fail(context, "the token answer of the consent flow holds no refresh_token")
    : Effect.succeed(grant.refreshToken)

/** Moves the server's clock by `seconds`; checks that call it list the `clock` need. */
export const advance = (context: Context, seconds: number): Effect.Effect<void, RunError> =>
  context.driver.clock === undefined
    ? Effect.fail(new Unavailable({ reason: "the driver has no clock" }))
    : context.driver.clock.advance(seconds)

/** The server's time in epoch seconds: the driver's clock's reading, else Effect's `Clock`. */
export const serverSeconds = (context: Context): Effect.Effect<number, RunError> =>
  Effect.map(context.driver.clock?.now ?? Clock.currentTimeMillis, (millis) => Math.floor(millis / 1000))

/** The claims of a client assertion as HM's example has them: `iss` the key id, `aud` the API + `/v1`, no `exp`. */
export const assertionClaims = (account: ServiceAccount, key: ServiceAccountKey, iat: number) => ({
  aud: account.audience,
  iss: key.id,
  ver: 2,
  iat,
  jti: nonce()
})

const segment = (value: object): string => Buffer.from(JSON.stringify(value)).toString("base64url")

/** An ES256 signature of `text` in the raw R||S form HM's console key signs with, base64url-encoded. */
export const es256 = (key: KeyObject, text: string): string =>
  sign("sha256", Buffer.from(text), { key, dsaEncoding: "ieee-p1363" }).toString("base64url")

/** A JWT signed with ES256, header and claims as given. */
export const signJwt = (key: ServiceAccountKey, claims: object, header: object = { alg: "ES256", typ: "JWT" }) => {
  const input = `${segment(header)}.${segment(claims)}`
  return `${input}.${es256(key.privateKey, input)}`
}

/** An assertion of `account` signed by `key` (default its live one), dated by the server's clock, `claims` over HM's. */
export const assertion = (
  context: Context,
  account: ServiceAccount,
  options: { readonly key?: ServiceAccountKey | undefined; readonly claims?: object | undefined } = {}
): Effect.Effect<string, RunError> =>
  Effect.map(serverSeconds(context), (now) => {
    const key = options.key ?? account.key
    return signJwt(key, { ...assertionClaims(account, key, now), ...options.claims })
  })

/** The client-credentials request of a service account presenting `assertion`. */
export const assertionFields = (account: ServiceAccount, assertion: string): Fields => ({
  grant_type: "client_credentials",
  client_id: account.clientId,
  client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
  client_assertion: assertion
})
