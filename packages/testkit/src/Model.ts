/**
 * The fake High Mobility OAuth2 server as a pure state machine. `step(state, now, request)` answers one HTTP
 * request with the exact response bytes and the next state; it never reads a clock or an ambient random
 * source, so one seed and one list of requests always replay the same run (ECDSA signatures aside).
 * Both transports, the in-memory HttpClient and the Node HTTP server, call `step` unchanged.
 *
 * Rules, each with the file (under `internal/`) that enforces it, where a comment names it again:
 *
 * Wire
 * - Routes: POST and DELETE `/v1/access_tokens`, GET `/v1/vehicleinfo`, declared once (`model/endpoints.ts`); an
 *   unknown path answers 404 `{"error":"not_found"}`, a wrong method 405 with an `allow` header; methods are
 *   case-sensitive, the target is read as sent and its query ignored; HEAD is answered without content
 *   (`model/step.ts`).
 * - Bodies are JSON (the spec's format, also assumed without a content-type) or form-encoded (RFC 6749). A body
 *   that does not parse, holds a non-string value, names a field twice (a JSON member or a form field, RFC 6749
 *   §3.2) or has another media type is malformed (`model/wire.ts`, `fields.ts`). An empty body holds no
 *   parameters. A blank value (empty or whitespace) counts as missing.
 * - Token responses carry `cache-control: no-store` and `pragma: no-cache` (RFC 6749 §5.1); DELETE success is 200
 *   with no body (`model/tokenResponse.ts`, `model/revocation.ts`).
 * - Tokens, codes and authorization ids are version 4 UUIDs (RFC 9562) from the seeded PRNG (`model/rng.ts`).
 *
 * Errors (`model/errors.ts`)
 * - Every token-endpoint failure is one entry of a single catalogue (`rfcCode`, `hmDescription`). Style
 *   "hm" answers 400 `invalid_request` with the kind only in `error_description`, as HM does; style
 *   "rfc6749" answers the precise code (401 for `invalid_client`) with the same description.
 * - Blank required parameters are all reported at once, alphabetically as in the spec's example:
 *   "client_id can't be blank, client_secret can't be blank, grant_type can't be blank".
 * - Checks run in this order: blank parameters, unknown client, unknown grant type, a public client refused by
 *   the grant, client authentication, then the grant's own checks (`model/tokenEndpoint.ts`).
 *
 * Client authentication, once for the token endpoint and revocation (`model/clientAuthentication.ts`)
 * - A client proves itself with what it has: a secret sent as `client_secret`, compared in constant time over
 *   SHA-256 digests so neither content nor length leaks; a service-account key, by an assertion; nothing, for a
 *   public client, which must send no secret. A client holding only keys must send an assertion.
 * - One method per request (RFC 6749 §2.3): a secret beside an assertion, or HTTP Basic beside either, is refused.
 * - HTTP Basic (RFC 6749 §2.3.1) is refused as `invalid_client` unless `clientSecretBasic`; then a wrong one
 *   answers 401 with a `Basic` challenge (RFC 6749 §5.2), and a body `client_id` must name the same client.
 * - Assertions (`model/assertion.ts`): an ES256 JWT whose `iss` names one of this client's keys, signed by it
 *   (raw R||S), no `crit` header, no header or claim named twice, the key unexpired, `aud` equal to the policy's
 *   audience, `sub` the client if present, `iat` no further ahead than `assertionIatSkew` nor older than
 *   `assertionMaxAge`, `nbf` reached (with the same skew) and `exp` unexpired if present, and a `jti` never used
 *   before by that key (`model/replay.ts`, which forgets a jti once its assertion would be stale anyway).
 *
 * authorization_code (`model/grants/authorizationCode.ts`)
 * - The code exists, was issued to this client, is unredeemed and younger than `codeLifetime`;
 *   `redirect_uri` is byte-identical to the one it was issued for (RFC 6749 §4.1.3).
 * - PKCE (RFC 7636, `model/pkce.ts`): a code issued with a challenge needs a `code_verifier` of 43–128 unreserved
 *   characters matching it (S256 or plain); a verifier for a code issued without a challenge is refused. Public
 *   clients must send a challenge when authorizing (`requirePkceForPublicClients`).
 * - A replayed code fails and revokes every token of the family issued from it (RFC 6749 §4.1.2).
 * - A revoked consent issues nothing; a pending one issues tokens with `status: "pending"`.
 *
 * refresh_token (also `grant_type: "refresh"`, the spec examples' spelling, unless `acceptRefreshGrantQuirk` is
 * off; `model/grants/refreshToken.ts`)
 * - The token exists, is a refresh token of this client, its family and consent are live and it has not
 *   outlived `refreshTokenLifetime`. Another client's token is refused as "token was not issued to this client".
 * - Past the consent's `validity_end_date`, `refreshAfterValidityEnd` refuses the refresh ("authorization is
 *   outside its validity period") or issues tokens that read nothing.
 * - With rotation, each refresh supersedes the token with a new one; reusing a superseded token after
 *   `refreshReuseGrace` revokes the whole family (RFC 9700 §4.14); inside the grace it refreshes again
 *   without revoking. Without rotation the same refresh token comes back.
 * - An optional `scope` may narrow, never widen, the granted scopes (RFC 6749 §6, `model/scopes.ts`).
 *
 * client_credentials (`model/grants/clientCredentials.ts`)
 * - Public clients (no secret, no service-account key) are refused as unauthorized for the grant.
 * - The token is an ES256 JWT signed with the server's seed-derived key (`model/signingKey.ts`), like the spec's
 *   example (`exp = iat + lifetime`, `iss` = base URL + "/v1/auth_tokens", `scope`, `sub` = client id, `ver: 1`,
 *   `jti`), with no refresh token. An optional `scope` narrows the client's scopes.
 *
 * DELETE /v1/access_tokens (RFC 7009, `model/revocation.ts`)
 * - Client authentication as above; an unknown or already revoked token still answers 200; another
 *   client's token is refused. `token_type_hint` is only a hint: every kind of token is searched.
 * - Revoking an access token kills it alone; revoking a refresh token kills its family's refresh tokens,
 *   and its access tokens too when `cascadeRevocation` is on (`model/families.ts`).
 *
 * GET /v1/vehicleinfo (`model/vehicleInfo.ts`)
 * - `authorization: Bearer <token>`, one b64token after one or more spaces (`bearer.ts`); no token, two tokens or
 *   two headers answer 400 `invalid_request` (RFC 6750 §3.1). Else 200 `{vin, sub}` of the consent that minted a
 *   live, unexpired access token whose consent is approved and inside its validity window; else 401 with one of
 *   "access token is missing", "access token is invalid" (unknown, revoked, a refresh or client-credentials
 *   token), "consent is revoked", "consent is removed by OEM", "access token is expired", "consent is pending",
 *   and, a description HM does not document, "consent is outside its validity period" (`model/tokenStatus.ts`).
 * - `resourceErrorShape` answers those 401s in the shapes of HM's other resource APIs instead, `{errors, request_id}`
 *   or a bare array, with HM's details ("Invalid token", "Expired token", "No active consent", …).
 *
 * Consent (control functions, for the FakeServer and the consent page; `model/consent.ts`)
 * - `authorize` checks the client, the exact redirect URI, the vehicle (default: the first registered), the
 *   validity window (an end after the start) and the challenge, then creates a consent and a single-use code.
 *   Withdrawing a consent (by the owner, or the carmaker) kills every token minted from it, for good.
 * - Registration (`model/registration.ts`) checks clients, keys and vehicles against their schemas and refuses an
 *   id registered twice; clients and vehicles keep their order of registration.
 *
 * State, memory and history
 * - Every token, code and family carries a sequential handle (`at#3`, `rt#4`, `code#1`, `fam#2`) that inspection
 *   and history use instead of its value (`model/handles.ts`); a handle finds its record through the serial it
 *   carries, and listings walk indexes kept in order, page by bounded page (`model/log.ts`, `model/inspect.ts`).
 * - What can no longer change an answer is forgotten (`model/prune.ts`): client-credentials tokens as they expire,
 *   access tokens `forgetAfter` after they expire, whole grants `forgetAfter` after they died. A superseded refresh
 *   token is recognised as long as its family lives, and `forgetAfter` after.
 * - The history keeps the last `historyLimit` exchanges, with every secret replaced by its handle or
 *   "<redacted>" (`model/history.ts`).
 *
 * @since 0.1.0
 */
import type { JsonWebKey, KeyObject } from "node:crypto"
import type { Either, HashMap, List, Option, Schema } from "effect"
import * as consent_ from "./internal/model/consent.js"
import * as inspect from "./internal/model/inspect.js"
import type { Log } from "./internal/model/log.js"
import * as make_ from "./internal/model/make.js"
import * as policy_ from "./internal/model/policy.js"
import * as registration from "./internal/model/registration.js"
import type { Rng } from "./internal/model/rng.js"
import * as step_ from "./internal/model/step.js"

// ---------------------------------------------------------------------------------------------------------
// Wire
// ---------------------------------------------------------------------------------------------------------

/** An HTTP request as a transport hands it over: lower-case header names, the raw body ("" if none). */
export interface WireRequest {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** The exact HTTP response to send: status, headers and body text ("" if none). */
export interface WireResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

// ---------------------------------------------------------------------------------------------------------
// Policy
// ---------------------------------------------------------------------------------------------------------

/** How a code challenge was derived from its verifier (RFC 7636 §4.2). */
export type CodeChallengeMethod = "S256" | "plain"

/** The server behaviour tests may tune, as a schema: each knob with its type and bounds. Times in seconds. */
export const Policy: typeof policy_.Policy = policy_.Policy

/** Server behaviour tests may tune; `defaultPolicy` holds the faithful, safe defaults. */
export interface Policy extends Schema.Schema.Type<typeof policy_.Policy> {}

/** Any knobs of the policy, each optional: what `make` and the configuration file override. */
export const PolicyOverrides: typeof policy_.PolicyOverrides = policy_.PolicyOverrides

/** The default policy: HM's observed behaviour where known, the RFCs' safe choice elsewhere. */
export const defaultPolicy: Policy = policy_.defaultPolicy

// ---------------------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------------------

/**
 * A service-account key to register, as a schema: in JSON the public key is a PEM (public, or the console's private
 * key, whose public half is taken) or a JWK and `expiresAt` an ISO 8601 instant; in code the key may also be a
 * `KeyObject` and `expiresAt` is epoch milliseconds.
 */
export const ServiceAccountKeyRegistration: typeof registration.ServiceAccountKeyRegistration =
  registration.ServiceAccountKeyRegistration

/** A service-account key to register. */
export interface ServiceAccountKeyRegistration extends Schema.Schema.Type<typeof ServiceAccountKeyRegistration> {}

/**
 * A client to register, as a schema (the configuration file and the control API decode it): no `secret` means a
 * public (PKCE) app; `scopes` are its client-credentials scopes.
 */
export const ClientRegistration: typeof registration.ClientRegistration = registration.ClientRegistration

/** A client to register. */
export interface ClientRegistration extends Schema.Schema.Type<typeof ClientRegistration> {}

/** A registered service-account key: the public half of a P-256 key, named by its id. */
export interface ServiceAccountKey {
  readonly id: string
  readonly publicKey: KeyObject
  readonly expiresAt?: number
}

/** A registered client. */
export interface Client {
  readonly id: string
  readonly secret?: string
  readonly redirectUris: ReadonlyArray<string>
  readonly serviceAccountKeys: ReadonlyArray<ServiceAccountKey>
  readonly scopes: ReadonlyArray<string>
}

/** A vehicle, as a schema: what is registered is what is kept. */
export const Vehicle: typeof registration.Vehicle = registration.Vehicle

/** A registered vehicle. */
export interface Vehicle extends Schema.Schema.Type<typeof Vehicle> {}

/** Where a consent stands: pending until the owner (or carmaker) approves it, revoked for good. */
export type ConsentStatus = "pending" | "approved" | "revoked"

/** An owner's consent for one client to one vehicle (HM's "authorization"). Times in epoch ms. */
export interface Consent {
  readonly authorizationId: string
  /** Its place in the order of consents, from 0: the cursor of paged listings. */
  readonly seq: number
  /** The handle of the single-use code it was given. */
  readonly code: string
  readonly clientId: string
  readonly vin: string
  readonly sub: string
  readonly scopes: ReadonlyArray<string>
  readonly status: ConsentStatus
  readonly createdAt: number
  readonly validFrom?: number
  readonly validUntil?: number
  readonly appId?: string
  readonly approvedAt?: number
  readonly revokedAt?: number
  /** Who ended a revoked consent: the owner, or the carmaker ("Consent is removed by OEM"). */
  readonly revokedBy?: ConsentRevoker
}

/** Who may withdraw a consent: the owner, or the carmaker. */
export type ConsentRevoker = "owner" | "oem"

/** A PKCE challenge bound to a code. */
export interface CodeChallenge {
  readonly value: string
  readonly method: CodeChallengeMethod
}

/** A single-use authorization code, keyed in the state by its value. */
export interface AuthorizationCode {
  readonly handle: string
  readonly serial: number
  readonly clientId: string
  readonly redirectUri: string
  readonly authorizationId: string
  readonly issuedAt: number
  readonly expiresAt: number
  readonly challenge?: CodeChallenge
  readonly redeemed?: { readonly at: number; readonly family: string }
}

/** What a consent-flow token inherits from the code or refresh token it was issued from. */
export interface Lineage {
  readonly clientId: string
  readonly authorizationId: string
  readonly family: string
  readonly issuedFrom: string
  readonly scopes: ReadonlyArray<string>
}

/** A consent-flow access token (opaque UUID), keyed in the state by its value. */
export interface AccessToken extends Lineage {
  readonly kind: "access"
  readonly handle: string
  readonly serial: number
  readonly issuedAt: number
  readonly expiresAt: number
  readonly revokedAt?: number
}

/** A consent-flow refresh token, keyed in the state by its value. */
export interface RefreshToken extends Lineage {
  readonly kind: "refresh"
  readonly handle: string
  readonly serial: number
  readonly issuedAt: number
  readonly expiresAt?: number
  readonly supersededAt?: number
}

/** A client-credentials access token (an ES256 JWT), keyed in the state by its value. */
export interface ClientCredentialsToken {
  readonly kind: "client_credentials"
  readonly handle: string
  readonly serial: number
  readonly clientId: string
  readonly jti: string
  readonly scopes: ReadonlyArray<string>
  readonly issuedAt: number
  readonly expiresAt: number
  readonly revokedAt?: number
}

/** Any token the server issued. */
export type Token = AccessToken | RefreshToken | ClientCredentialsToken

/** Why a family's tokens were revoked. */
export type RevocationReason = "code_replayed" | "refresh_token_reused" | "refresh_token_revoked"

/** When and why part of a family was revoked. */
export interface Revocation {
  readonly at: number
  readonly reason: RevocationReason
}

/** The tokens descending from one code redemption: rotated refresh tokens and their access tokens. */
export interface Family {
  readonly handle: string
  readonly serial: number
  readonly clientId: string
  readonly authorizationId: string
  readonly code: string
  readonly openedAt: number
  readonly refreshTokensRevoked?: Revocation
  readonly accessTokensRevoked?: Revocation
}

/** One exchange as the history keeps it: secret values replaced by handles or "<redacted>". */
export interface HistoryEntry {
  readonly seq: number
  readonly at: number
  readonly method: string
  readonly path: string
  readonly status: number
  readonly authorization?: string
  readonly request?: Readonly<Record<string, unknown>> | "<malformed>"
  readonly response?: Readonly<Record<string, unknown>> | ReadonlyArray<unknown>
}

/** Assertion ids already accepted, each remembered until its assertion would be refused as stale anyway. */
export interface SeenAssertions {
  readonly byKey: HashMap.HashMap<string, number>
  readonly order: Log<{ readonly key: string; readonly forgetAt: number }>
}

/**
 * A family's tokens by value: its refresh tokens newest first (kept as long as the family lives, for reuse
 * detection), and its access tokens oldest first, each leaving as it is forgotten, the oldest first.
 */
export interface FamilyTokens {
  readonly refresh: List.List<string>
  readonly access: Log<string>
}

/**
 * The whole server: immutable, persistent structures so a step copies only what it touches. Each kind of record sits
 * in a log by its serial (a consent by its `seq`), and every value the server hands out carries that serial (see
 * `internal/model/rng.ts`), so a record is found from its value or handle in O(log n) with no map keyed by secrets,
 * and every listing reads in order rather than sorting. Memory stays bounded: what can no longer change an answer
 * is forgotten (see `internal/model/prune.ts`).
 */
export interface State {
  readonly policy: Policy
  readonly rng: Rng
  /** Mixed into the serial every value carries, so that values look alike from no seed to the next. */
  readonly salt: number
  readonly serial: number
  readonly signingKey: KeyObject
  /** In the order of registration (a map copied on each registration, which is rare). */
  readonly clients: ReadonlyMap<string, Client>
  /** In the order of registration: the first is the consent page's default. */
  readonly vehicles: ReadonlyMap<string, Vehicle>
  /** By `Consent.seq`. */
  readonly consents: Log<Consent>
  /** Tokens, codes and families by serial − 1; `values` holds each token's and code's value at its serial too. */
  readonly tokens: Log<Token>
  readonly codes: Log<AuthorizationCode>
  readonly families: Log<Family>
  readonly values: Log<string>
  /** Every family's tokens, by the family's serial − 1. */
  readonly familyTokens: Log<FamilyTokens>
  /**
   * The tokens to forget, by value, in issue order, which is the order they fall due in (lifetimes are the
   * policy's): client-credentials ones at expiry, access ones `forgetAfter` after it. `due` is when the first of
   * the two heads falls due (infinite while both are empty): a step before then has nothing to forget.
   */
  readonly expiries: {
    readonly clientCredentials: Log<string>
    readonly access: Log<string>
    readonly due: number
  }
  /** The position in `consents` where the sweep for dead grants goes on. */
  readonly sweep: number
  readonly assertions: SeenAssertions
  readonly history: Log<HistoryEntry>
}

// ---------------------------------------------------------------------------------------------------------
// Construction and registration
// ---------------------------------------------------------------------------------------------------------

/** Options of `make`: a 32-bit seed (default 0), policy overrides, initial clients and vehicles. */
export interface MakeOptions {
  readonly seed?: number
  readonly policy?: Partial<Policy>
  readonly clients?: ReadonlyArray<ClientRegistration>
  readonly vehicles?: ReadonlyArray<Vehicle>
}

/** Why a registration (or the policy `make` was given) was refused; each names what it refused. */
export type RegistrationError =
  | { readonly _tag: "InvalidPolicy"; readonly problems: ReadonlyArray<string> }
  | { readonly _tag: "InvalidClient"; readonly clientId: string; readonly problems: ReadonlyArray<string> }
  | { readonly _tag: "DuplicateClient"; readonly clientId: string }
  | {
      readonly _tag: "InvalidServiceAccountKey"
      readonly clientId: string
      readonly keyId: string
      readonly problem: string
    }
  | { readonly _tag: "DuplicateServiceAccountKey"; readonly clientId: string; readonly keyId: string }
  | { readonly _tag: "InvalidVehicle"; readonly vin: string; readonly problems: ReadonlyArray<string> }
  | { readonly _tag: "DuplicateVehicle"; readonly vin: string }

/** A fresh server, its policy checked and every client and vehicle registered in order, or the first refusal. */
export const make: (options?: MakeOptions) => Either.Either<State, RegistrationError> = make_.make

/** Registers a client; a client id already registered is refused, never replaced. */
export const registerClient: (state: State, client: ClientRegistration) => Either.Either<State, RegistrationError> =
  registration.registerClient

/** Registers a vehicle; a VIN already registered is refused. */
export const registerVehicle: (state: State, vehicle: Vehicle) => Either.Either<State, RegistrationError> =
  registration.registerVehicle

// ---------------------------------------------------------------------------------------------------------
// Consent
// ---------------------------------------------------------------------------------------------------------

/** What the consent page receives; times in epoch ms, `scopes` defaulting to the spec example's. */
export interface AuthorizeRequest {
  readonly clientId: string
  readonly redirectUri: string
  /** Which car; default the first registered. */
  readonly vin?: string | undefined
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly codeChallenge?: string | undefined
  readonly codeChallengeMethod?: string | undefined
  readonly status?: "approved" | "pending" | undefined
  readonly validFrom?: number | undefined
  readonly validUntil?: number | undefined
  readonly sub?: string | undefined
  readonly appId?: string | undefined
}

/** The code to hand to the redirect URI, and the consent it redeems into. */
export interface Authorized {
  readonly code: string
  readonly authorizationId: string
}

/** Why the consent page refuses a request. */
export type AuthorizeError =
  | { readonly _tag: "UnknownClient"; readonly clientId: string }
  | { readonly _tag: "UnregisteredRedirectUri"; readonly redirectUri: string }
  | { readonly _tag: "UnknownVehicle"; readonly vin: string }
  | { readonly _tag: "NoVehicleRegistered" }
  | { readonly _tag: "InvalidCodeChallenge"; readonly reason: "missing" | "malformed" | "unsupported_method" }
  /** A validity date that is no instant a `Date` holds, or an end not after the start. */
  | { readonly _tag: "InvalidValidityPeriod"; readonly reason: "not_an_instant" | "ends_before_start" }

/** Why a consent cannot change. */
export type ConsentError =
  | { readonly _tag: "UnknownConsent"; readonly authorizationId: string }
  | { readonly _tag: "ConsentRevoked"; readonly authorizationId: string }

/** The owner grants access: a new consent and a single-use code, or why the consent page refuses. */
export const authorize: (
  state: State,
  now: number,
  request: AuthorizeRequest
) => Either.Either<readonly [Authorized, State], AuthorizeError> = consent_.authorize

/** The owner (or carmaker) approves a pending consent; approving an approved one changes nothing. */
export const approveConsent: (
  state: State,
  now: number,
  authorizationId: string
) => Either.Either<State, ConsentError> = consent_.approveConsent

/** The owner withdraws access: the consent is revoked and every token minted from it dies. */
export const withdrawConsent: (
  state: State,
  now: number,
  authorizationId: string,
  by?: ConsentRevoker
) => Either.Either<State, ConsentError> = consent_.withdrawConsent

// ---------------------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------------------

/** Answers one request: the exact response and the next state. Pure; `now` is epoch milliseconds. */
export const step: (state: State, now: number, request: WireRequest) => readonly [WireResponse, State] = step_.step

// ---------------------------------------------------------------------------------------------------------
// Inspection
// ---------------------------------------------------------------------------------------------------------

/** Where a token stands at a given time. */
export type TokenStatus = "live" | "revoked" | "expired" | "superseded"

/** A token record with its status at the time asked; never the token's value. */
export type TokenView = Token & { readonly status: TokenStatus }

/** A consent-flow token with its status: what a family's lineage lists. */
export type LineageTokenView = (AccessToken | RefreshToken) & { readonly status: TokenStatus }

/**
 * A family with its lineage: its tokens in issue order, each naming the code or token it came from. A listing may
 * keep only the newest of a long lineage: `olderTokens` then says that earlier ones exist.
 */
export type FamilyView = Family & {
  readonly lineage: ReadonlyArray<LineageTokenView>
  readonly olderTokens?: true
}

/**
 * A page of a listing: its items in order, and `next`, the cursor to pass as `after` for the rest (absent once
 * the listing is at its end). A page may hold fewer than `limit` items with a `next`: a listing looks at a bounded
 * stretch of the server's records per call, so no call takes long, however large the state or sparse the filter.
 */
export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly next?: number
}

/** Where a listing starts and how much a page holds. */
export interface PageQuery {
  /** Only items after this cursor: a serial for tokens and families, a `seq` for consents and history. */
  readonly after?: number | undefined
  /** At most this many items (default 100, at most 1000). */
  readonly limit?: number | undefined
}

/** A listing of tokens; each filter given must match. */
export interface TokenQuery extends PageQuery {
  readonly kind?: Token["kind"] | undefined
  readonly status?: TokenStatus | undefined
  readonly clientId?: string | undefined
  readonly authorizationId?: string | undefined
  /** A family's handle. */
  readonly family?: string | undefined
}

/** A listing of families; each filter given must match. */
export interface FamilyQuery extends PageQuery {
  readonly clientId?: string | undefined
  readonly authorizationId?: string | undefined
  /** How many of each family's newest tokens its lineage lists (default every one). */
  readonly lineage?: number | undefined
}

/** A listing of consents; each filter given must match. */
export interface ConsentQuery extends PageQuery {
  readonly clientId?: string | undefined
  readonly vin?: string | undefined
  readonly status?: ConsentStatus | undefined
}

/** How much the server holds now: what it remembers, after forgetting what can no longer matter. */
export interface Counts {
  readonly consents: number
  readonly codes: number
  readonly tokens: number
  readonly families: number
  readonly history: number
}

/** A registered client by id. */
export const client: (state: State, clientId: string) => Option.Option<Client> = inspect.client

/** The registered vehicles, in the order of registration. */
export const vehicles: (state: State) => ReadonlyArray<Vehicle> = inspect.vehicles

/** Every consent, oldest first. */
export const consents: (state: State) => ReadonlyArray<Consent> = inspect.consents

/** A page of consents, oldest first. */
export const consentPage: (state: State, query?: ConsentQuery) => Page<Consent> = inspect.consentPage

/** One consent by authorization id. */
export const consent: (state: State, authorizationId: string) => Option.Option<Consent> = inspect.consent

/** Every token, in issue order, with its status at `now`. */
export const tokens: (state: State, now: number) => ReadonlyArray<TokenView> = inspect.tokens

/** A page of tokens, in issue order, with their status at `now`. */
export const tokenPage: (state: State, now: number, query?: TokenQuery) => Page<TokenView> = inspect.tokenPage

/** One token by handle, with its status at `now`: found by the serial its handle carries, in O(log n). */
export const token: (state: State, now: number, handle: string) => Option.Option<TokenView> = inspect.token

/** The handle of a token or code value (what the history shows in its place). */
export const handleOf: (state: State, value: string) => Option.Option<string> = inspect.handleOf

/** Every family with its lineage, in the order they were opened. */
export const families: (state: State, now: number) => ReadonlyArray<FamilyView> = inspect.families

/** A page of families with their lineage, in the order they were opened. */
export const familyPage: (state: State, now: number, query?: FamilyQuery) => Page<FamilyView> = inspect.familyPage

/** The kept exchanges, oldest first. */
export const history: (state: State) => ReadonlyArray<HistoryEntry> = inspect.history

/** A page of the kept exchanges, oldest first. */
export const historyPage: (state: State, query?: PageQuery) => Page<HistoryEntry> = inspect.historyPage

/** How many consents, codes, tokens, families and exchanges the server holds. */
export const counts: (state: State) => Counts = inspect.counts

/** Every token and code value the server still holds, oldest first: for tests that search text for a leak. */
export const issuedValues: (state: State) => ReadonlyArray<string> = inspect.issuedValues

/** The public half of the server's ES256 key, to verify client-credentials tokens. */
export const signingPublicKey: (state: State) => JsonWebKey = inspect.signingPublicKey
