/**
 * How the client authenticates at the token and revocation endpoints: a client secret (server-side apps),
 * a service-account key that signs a client assertion (application tokens), or nothing (public PKCE apps).
 *
 * @since 0.1.0
 */
import { Data, Effect, Redacted, Schema } from "effect"
import { InvalidServiceAccountKey } from "./HmOAuthError.js"

/** A service-account key as the console hands it out. `id` becomes the client assertion's `iss`. */
export interface ServiceAccountKey {
  readonly id: string
  /** A PKCS#8 PEM of a P-256 private key. */
  readonly privateKeyPem: Redacted.Redacted<string>
}

/** The client's way of proving who it is. */
export type Credentials = Data.TaggedEnum<{
  ClientSecret: { readonly secret: Redacted.Redacted<string> }
  ServiceAccount: { readonly key: ServiceAccountKey }
  None: {}
}>

const { ClientSecret, None, ServiceAccount } = Data.taggedEnum<Credentials>()

/** Authenticate with a client secret (sent as `client_secret`). */
export const clientSecret = (secret: string | Redacted.Redacted<string>): Credentials =>
  ClientSecret({ secret: Redacted.isRedacted(secret) ? secret : Redacted.make(secret) })

/** Authenticate with a fresh ES256 client assertion per request, signed by a service-account key. */
export const serviceAccount = (key: ServiceAccountKey): Credentials => ServiceAccount({ key })

/** No client authentication: a public app that proves possession with PKCE instead. */
export const none: Credentials = None()

const ConsoleKeyJson = Schema.parseJson(
  Schema.Struct({
    id: Schema.NonEmptyTrimmedString,
    private_key: Schema.Redacted(Schema.String.pipe(Schema.includes("PRIVATE KEY")))
  })
)
const decodeConsoleKeyJson = Schema.decodeUnknown(ConsoleKeyJson)

/**
 * Reads the JSON file the console downloads for a service-account key: `{ "id": …, "private_key": "<PEM>" }`.
 * The error names what is wrong, never the key material.
 */
export const serviceAccountKeyFromJson = (
  json: string | Redacted.Redacted<string>
): Effect.Effect<ServiceAccountKey, InvalidServiceAccountKey> =>
  decodeConsoleKeyJson(Redacted.isRedacted(json) ? Redacted.value(json) : json).pipe(
    Effect.map((decoded) => ({ id: decoded.id, privateKeyPem: decoded.private_key })),
    Effect.mapError(
      () =>
        new InvalidServiceAccountKey({
          detail: 'expected the console\'s JSON: { "id": "<key id>", "private_key": "<PKCS#8 PEM>" }'
        })
    )
  )
