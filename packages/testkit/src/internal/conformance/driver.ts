/**
 * How the kit reaches a server: what only its operator can do (consent, time), which clients to act as, and the
 * HTTP client every request goes through. The kit speaks only to `baseUrl`: the client given here is wrapped so a
 * request to any other origin is refused before it leaves (see `exchange.ts`).
 */
import type { KeyObject } from "node:crypto"
import type * as HttpClient from "@effect/platform/HttpClient"
import { Data, type Effect, type Redacted } from "effect"
import type * as Model from "../../Model.js"

/** A confidential client: a secret, and a redirect URI registered for it. */
export interface ConfidentialClient {
  readonly id: string
  readonly secret: Redacted.Redacted<string>
  readonly redirectUri: string
}

/** A public (PKCE) client: no secret. */
export interface PublicClient {
  readonly id: string
  readonly redirectUri: string
}

/** A service-account key as the console hands it out: its id and the private half. */
export interface ServiceAccountKey {
  readonly id: string
  readonly privateKey: KeyObject
}

/** A client that proves itself with client assertions (ES256 JWTs) signed by a service-account key. */
export interface ServiceAccount {
  readonly clientId: string
  readonly key: ServiceAccountKey
  /** A key of the same client past its expiry, for the check that refuses it. */
  readonly expiredKey?: ServiceAccountKey | undefined
  /** The `aud` the server expects: its base URL + `/v1` unless told otherwise. */
  readonly audience: string
}

/** The clients the checks act as. Only `confidential` is required; checks needing another are skipped without. */
export interface Clients {
  readonly confidential: ConfidentialClient
  /** Another confidential client, to check that tokens stay with theirs. */
  readonly second?: ConfidentialClient | undefined
  readonly public?: PublicClient | undefined
  readonly serviceAccount?: ServiceAccount | undefined
}

/** What the owner is asked to consent to: a code for `clientId` at `redirectUri`, for the car `vin`. */
export interface ConsentRequest {
  readonly clientId: string
  readonly redirectUri: string
  readonly state: string
  readonly vin: string
  /** An S256 challenge (RFC 7636), for a code that needs its verifier. */
  readonly codeChallenge?: string | undefined
  /** A consent that stays pending until approved, as BMW and MINI owners approve later in the carmaker's portal. */
  readonly pending?: boolean | undefined
}

/** How codes are obtained, and what the operator can do to a consent afterwards. */
export interface Consent {
  /** A fresh, unredeemed code for the request; `Unavailable` once a finite supply (pre-issued codes) runs out. */
  readonly authorize: (request: ConsentRequest) => Effect.Effect<Redacted.Redacted<string>, DriverError | Unavailable>
  /** Whether `authorize` honours `pending`. */
  readonly pending: boolean
  /** Approves a pending consent, named by the `authorization_id` of a token response. */
  readonly approve?: ((authorizationId: string) => Effect.Effect<void, DriverError>) | undefined
  /** Withdraws a consent as its owner would: every token minted from it must die. */
  readonly withdraw?: ((authorizationId: string) => Effect.Effect<void, DriverError>) | undefined
}

/** Moves the server's time forward; without one, real time runs and checks needing long waits are skipped. */
export interface Clock {
  readonly advance: (seconds: number) => Effect.Effect<void, DriverError>
  /** The server's time in epoch milliseconds (client assertions are dated by it); default Effect's `Clock`. */
  readonly now?: Effect.Effect<number, DriverError> | undefined
}

/**
 * The project's own fake, reachable through its control API: what the model-based check needs to replay a sequence
 * against a server whose state and configuration it knows.
 */
export interface FakeControl {
  /** Back to the configured state (clients and vehicles kept, nothing issued), the clock rewound. */
  readonly reset: Effect.Effect<void, DriverError>
  /** The policy the fake runs under: the model-based oracle runs under the same. */
  readonly policy: Model.Policy
}

/** Everything the checks need to reach one server. */
export interface Driver {
  /** Where the API answers, e.g. `http://127.0.0.1:4000`; no trailing slash. */
  readonly baseUrl: string
  /** The client requests go through: it must not follow redirects (the consent page answers 302). */
  readonly http: HttpClient.HttpClient
  readonly clients: Clients
  /** A car the consents are for. */
  readonly vin: string
  /** How codes are obtained; without one, only checks needing no consent run. */
  readonly consent?: Consent | undefined
  readonly clock?: Clock | undefined
  /** How long a superseded refresh token may still refresh without revoking its family; default 0. */
  readonly refreshReuseGrace?: number | undefined
  /**
   * Whether the server is meant to rotate refresh tokens: then every refresh must hand out a new one. Unset, the
   * kit checks whichever the server does (RFC 6749 §6 lets it keep the token).
   */
  readonly rotatesRefreshTokens?: boolean | undefined
  readonly fake?: FakeControl | undefined
}

/** A driver operation failed: the consent page, the clock request or a user's function did not do its job. */
export class DriverError extends Data.TaggedError("DriverError")<{
  readonly operation: string
  readonly problem: string
}> {
  override get message() {
    return `driver: ${this.operation}: ${this.problem}`
  }
}

/** What a check needs turned out to be unavailable while it ran (e.g. no pre-issued code left): it is skipped. */
export class Unavailable extends Data.TaggedError("Unavailable")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}
