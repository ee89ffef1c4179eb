/**
 * Client authentication, once for the token endpoint and revocation (RFC 6749 §2.3, RFC 7009 §2.1): which client a
 * request names, which credential it presents, and whether that credential is the client's. A client authenticates
 * with what it has: a secret (in the body, or in an `Authorization: Basic` header when the policy allows it), a
 * service-account key (an assertion), or nothing for a public client. One method per request, never two.
 */
import * as crypto from "node:crypto"
import { Either } from "effect"
import type { Client, Policy, State } from "../../Model.js"
import { acceptAssertion } from "./assertion.js"
import { missingParameters, type OAuthError, OAuthErrors } from "./errors.js"
import { clientOf } from "./records.js"
import { type Params, param } from "./wire.js"

// One call to `crypto.hash` (Node 20.12 on) costs about half of `createHash().update().digest()`, and every request
// that authenticates with a secret digests it.
const digest: (text: string) => Buffer =
  typeof crypto.hash === "function"
    ? (text) => crypto.hash("sha256", text, "buffer")
    : (text) => crypto.createHash("sha256").update(text, "utf8").digest()

// Each registered secret's digest, computed once: a client record never changes, so the entry never goes
// stale, and it leaves with the record.
const secretDigests = new WeakMap<Client, Buffer>()

const secretDigest = (client: Client, secret: string): Buffer => {
  const known = secretDigests.get(client)
  if (known !== undefined) return known
  const computed = digest(secret)
  secretDigests.set(client, computed)
  return computed
}

// A client sends the same secret with every request: the digests of the last few secrets sent are remembered (a
// memo of a pure function: the answer is the same either way), emptied whole once 64 are held.
const sentDigests = new Map<string, Buffer>()

const sentDigest = (given: string): Buffer => {
  const known = sentDigests.get(given)
  if (known !== undefined) return known
  if (sentDigests.size >= 64) sentDigests.clear()
  const computed = digest(given)
  sentDigests.set(given, computed)
  return computed
}

/**
 * Compares a client's secret in constant time. Comparing SHA-256 digests, not the secrets, gives
 * `timingSafeEqual` equal lengths, so a wrong guess does not even learn the secret's length.
 */
const secretMatches = (client: Client, secret: string, given: string): boolean =>
  crypto.timingSafeEqual(secretDigest(client, secret), sentDigest(given))

/** The credential a request presents. */
type Credential =
  | { readonly _tag: "None" }
  | { readonly _tag: "Secret"; readonly secret: string; readonly basic: boolean }
  | { readonly _tag: "Assertion" }

const none: Credential = { _tag: "None" }

/** Who a request says it is and how it proves it, read from its body and headers. */
interface Presented {
  readonly clientId: string | undefined
  readonly credential: Credential
}

const BASIC = /^Basic(?!\S)/i
const BASIC_CREDENTIALS = /^ +([A-Za-z0-9+/]+=*)$/

// RFC 6749 §2.3.1: the id and secret are form-encoded before they are joined and base64-encoded
const formDecoded = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "))
  } catch {
    return undefined
  }
}

/** The client id and secret of an `Authorization: Basic` header, undefined if it is not one, an error if broken. */
const basicCredentials = (
  policy: Policy,
  header: string | undefined
): Either.Either<{ readonly clientId: string; readonly secret: string } | undefined, OAuthError> => {
  const value = header?.trim()
  if (value === undefined || !BASIC.test(value)) return Either.right(undefined)
  // refused, not ignored: a client that sends its secret there believes it authenticated
  if (!policy.clientSecretBasic) return Either.left(OAuthErrors.basicUnsupported)
  const encoded = BASIC_CREDENTIALS.exec(value.slice("Basic".length))?.[1]
  const decoded = encoded === undefined ? "" : Buffer.from(encoded, "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  const clientId = colon > 0 ? formDecoded(decoded.slice(0, colon)) : undefined
  const secret = colon > 0 ? formDecoded(decoded.slice(colon + 1)) : undefined
  if (clientId === undefined || secret === undefined || clientId === "" || secret === "") {
    return Either.left(OAuthErrors.malformedBasic)
  }
  return Either.right({ clientId, secret })
}

const usesAssertion = (params: Params): boolean =>
  param(params, "client_assertion") !== undefined || param(params, "client_assertion_type") !== undefined

/** What the request presents; two methods at once (RFC 6749 §2.3), or a Basic header naming another client, fail. */
const present = (
  policy: Policy,
  params: Params,
  headers: Readonly<Record<string, string>>
): Either.Either<Presented, OAuthError> =>
  Either.flatMap(basicCredentials(policy, headers.authorization), (basic) => {
    const bodyId = param(params, "client_id")
    const bodySecret = param(params, "client_secret")
    const assertion = usesAssertion(params)
    if (basic !== undefined) {
      if (bodySecret !== undefined || assertion) return Either.left(OAuthErrors.multipleMethods)
      if (bodyId !== undefined && bodyId !== basic.clientId) return Either.left(OAuthErrors.clientIdMismatch)
      return Either.right({
        clientId: basic.clientId,
        credential: { _tag: "Secret", secret: basic.secret, basic: true }
      })
    }
    if (bodySecret !== undefined && assertion) return Either.left(OAuthErrors.multipleMethods)
    const credential: Credential =
      bodySecret !== undefined
        ? { _tag: "Secret", secret: bodySecret, basic: false }
        : assertion
          ? { _tag: "Assertion" }
          : none
    return Either.right({ clientId: bodyId, credential })
  })

/** A client with neither secret nor key: a public (PKCE) app, which proves nothing at the token endpoint. */
export const isPublic = (client: Client): boolean =>
  client.secret === undefined && client.serviceAccountKeys.length === 0

/**
 * The credential parameters still required. A known client must send the credential it has: its secret, or for a
 * client holding only keys, an assertion. With a blank `client_id` the server cannot tell, so it asks for the
 * secret unless the request carries another credential: that reproduces the spec's example ("client_id can't be
 * blank, client_secret can't be blank, grant_type can't be blank"). An unknown `client_id` is reported as such.
 */
const credentialsRequired = (
  params: Params,
  presented: Presented,
  client: Client | undefined
): ReadonlyArray<string> => {
  const { credential } = presented
  if (credential._tag === "Assertion") return ["client_assertion", "client_assertion_type"]
  if (credential._tag === "Secret") return []
  if (client === undefined) {
    return presented.clientId === undefined && param(params, "code_verifier") === undefined ? ["client_secret"] : []
  }
  if (client.secret !== undefined) return ["client_secret"]
  return client.serviceAccountKeys.length > 0 ? ["client_assertion", "client_assertion_type"] : []
}

/** A request's client, named and known, with what it presented to prove it. */
export interface Identified {
  readonly client: Client
  readonly credential: Credential
}

/**
 * The first steps of every endpoint: read the credential, report every blank required parameter at once
 * (`client_id`, the credential's, then `required`'s, alphabetically as in the spec's example), then refuse an
 * unknown client.
 */
export const identify = (
  state: State,
  params: Params,
  headers: Readonly<Record<string, string>>,
  required: ReadonlyArray<string>
): Either.Either<Identified, OAuthError> =>
  Either.flatMap(present(state.policy, params, headers), (presented) => {
    const client = presented.clientId === undefined ? undefined : clientOf(state, presented.clientId)
    const blank = [
      ...(presented.clientId === undefined ? ["client_id"] : []),
      ...[...credentialsRequired(params, presented, client), ...required].filter(
        (name) => param(params, name) === undefined
      )
    ].sort()
    if (blank.length > 0) return Either.left(missingParameters(blank))
    return client === undefined
      ? Either.left(OAuthErrors.unknownClient)
      : Either.right({ client, credential: presented.credential })
  })

// RFC 6749 §5.2: a client that tried the Authorization header is answered 401 with a challenge of that scheme
const challenged = (error: OAuthError): OAuthError => ({ ...error, challenge: "Basic" })

/**
 * Checks the credential against the client: a secret compared in constant time, an assertion verified and its jti
 * spent (the next state), nothing from a public client. The state comes back unchanged but for a spent jti.
 */
export const authenticate = (
  state: State,
  now: number,
  { client, credential }: Identified,
  params: Params
): Either.Either<State, OAuthError> => {
  switch (credential._tag) {
    case "None":
      // a known client with a secret or key has been asked for it by `identify`; only a public client gets here
      return Either.right(state)
    case "Secret": {
      const authentic = client.secret !== undefined && secretMatches(client, client.secret, credential.secret)
      if (authentic) return Either.right(state)
      return Either.left(credential.basic ? challenged(OAuthErrors.invalidSecret) : OAuthErrors.invalidSecret)
    }
    case "Assertion":
      return acceptAssertion(state, now, client, params)
  }
}
