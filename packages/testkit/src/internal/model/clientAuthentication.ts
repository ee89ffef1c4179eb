import * as crypto from "node:crypto"
import { Either } from "effect"
import type { Client, State } from "../../Model.js"
import { missingParameters, type OAuthError, OAuthErrors } from "./errors.js"
import { clientOf } from "./lookup.js"
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

/**
 * Compares a client's secret in constant time. Comparing SHA-256 digests, not the secrets, gives
 * `timingSafeEqual` equal lengths, so a wrong guess does not even learn the secret's length.
 */
const secretMatches = (client: Client, secret: string, given: string): boolean =>
  crypto.timingSafeEqual(secretDigest(client, secret), digest(given))

/**
 * Whether `client_secret` is required. A known client needs it when it has a secret. With a blank
 * `client_id` the server cannot tell, so it asks for the secret unless the request carries another
 * credential: that reproduces the spec's example ("client_id can't be blank, client_secret can't be
 * blank, grant_type can't be blank"). An unknown `client_id` is reported as such instead.
 */
export const secretRequired = (params: Params, client: Client | undefined): boolean =>
  client !== undefined
    ? client.secret !== undefined
    : param(params, "client_id") === undefined &&
      param(params, "code_verifier") === undefined &&
      param(params, "client_assertion") === undefined

/** `["client_secret"]` when the secret is required, else nothing. */
export const secretIfRequired = (params: Params, client: Client | undefined): ReadonlyArray<string> =>
  secretRequired(params, client) ? ["client_secret"] : []

/**
 * The first steps of every endpoint: find the client, then report every blank required parameter at once
 * (alphabetically, the order of the spec's example), then refuse an unknown client.
 */
export const identifyClient = (
  state: State,
  params: Params,
  required: (client: Client | undefined) => ReadonlyArray<string>
): Either.Either<Client, OAuthError> => {
  const clientId = param(params, "client_id")
  const client = clientId === undefined ? undefined : clientOf(state, clientId)
  const blank = ["client_id", ...required(client)].filter((name) => param(params, name) === undefined).sort()
  if (blank.length > 0) return Either.left(missingParameters(blank))
  return client === undefined ? Either.left(OAuthErrors.unknownClient) : Either.right(client)
}

/** A confidential client proves itself with its secret; a public client has none and must send none. */
export const authenticateWithSecret = (client: Client, params: Params): Either.Either<Client, OAuthError> => {
  const given = param(params, "client_secret")
  const authentic =
    client.secret === undefined
      ? given === undefined
      : given !== undefined && secretMatches(client, client.secret, given)
  return authentic ? Either.right(client) : Either.left(OAuthErrors.invalidSecret)
}
