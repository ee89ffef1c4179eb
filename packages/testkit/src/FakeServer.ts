/**
 * The fake server: what a test does that, in production, the car owner, the carmaker or the network would do.
 * Register clients and vehicles, consent on the owner's behalf, approve or withdraw a consent, script faults, and
 * read the tokens, their families and the history. Every transport answers requests through `handle`, so faults
 * and the model behave the same in memory and over HTTP.
 *
 * `layer` is the fake in memory, as `KeyValueStore.layerMemory` is a store in memory: it provides `FakeServer`
 * and an `HttpClient` whose every request `handle` answers, so the core client's real encoding, decoding and
 * retries run. A fresh layer is a fresh server.
 *
 * ```ts
 * const TestLive = HmOAuth.layer.pipe(
 *   Layer.provide(HmOAuthConfig.layer({ clientId: "client-1", credentials: Credentials.clientSecret("secret-1") })),
 *   Layer.provideMerge(FakeServer.layer({ clients: [{ id: "client-1", secret: "secret-1", redirectUris: [...] }] })))
 * ```
 *
 * Time is Effect's `Clock` plus an offset the server keeps: under `TestClock`, `TestClock.adjust` expires codes
 * and tokens; a server on the live clock (the CLI) moves on with `advanceClock`.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { Context, Data, type Duration, Effect, Layer, type Redacted } from "effect"
import type * as Faults from "./Faults.js"
import * as InMemoryHttpClient from "./InMemoryHttpClient.js"
import * as internal from "./internal/fakeServer.js"
import type * as Model from "./Model.js"

/**
 * What becomes of a request: a response, or one of the ways a network loses a request.
 *
 * @since 0.1.0
 * @category models
 */
export type Reply =
  | {
      readonly _tag: "Response"
      readonly status: number
      readonly headers: Readonly<Record<string, string>>
      readonly body: string
    }
  /** The connection was refused: the server never saw the request. */
  | { readonly _tag: "Refused" }
  /** The connection broke after the request was sent: the server may have acted on it. */
  | { readonly _tag: "Reset" }

/**
 * A response reply; a body without headers is JSON.
 *
 * @since 0.1.0
 * @category constructors
 */
export const response = (
  status: number,
  body: string = "",
  headers: Readonly<Record<string, string>> = body === "" ? {} : { "content-type": "application/json" }
): Reply => ({ _tag: "Response", status, headers, body })

/**
 * A JSON response reply.
 *
 * @since 0.1.0
 * @category constructors
 */
export const json = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Reply =>
  response(status, JSON.stringify(body), { "content-type": "application/json", ...headers })

/**
 * A refused connection.
 *
 * @since 0.1.0
 * @category constructors
 */
export const refused: Reply = { _tag: "Refused" }

/**
 * A connection reset after the request was sent.
 *
 * @since 0.1.0
 * @category constructors
 */
export const connectionReset: Reply = { _tag: "Reset" }

/**
 * The consent page refused: unknown client or vehicle, unregistered redirect URI, bad challenge.
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthorizeRefused extends Data.TaggedError("AuthorizeRefused")<{ readonly reason: Model.AuthorizeError }> {
  override get message() {
    return `consent refused: ${this.reason._tag}`
  }
}

/**
 * A consent that does not exist, or was withdrawn for good, cannot change.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConsentUnchangeable extends Data.TaggedError("ConsentUnchangeable")<{
  readonly reason: Model.ConsentError
}> {
  override get message() {
    return `consent ${this.reason.authorizationId} cannot change: ${this.reason._tag}`
  }
}

const describeRegistration = (reason: Model.RegistrationError): string => {
  switch (reason._tag) {
    case "InvalidPolicy":
      return `invalid policy: ${reason.problems.join("; ")}`
    case "InvalidClient":
      return `client ${JSON.stringify(reason.clientId)}: ${reason.problems.join("; ")}`
    case "DuplicateClient":
      return `client ${JSON.stringify(reason.clientId)} is already registered`
    case "InvalidServiceAccountKey":
      return `client ${JSON.stringify(reason.clientId)}, service-account key ${JSON.stringify(reason.keyId)}: ${reason.problem}`
    case "DuplicateServiceAccountKey":
      return `client ${JSON.stringify(reason.clientId)} lists service-account key ${JSON.stringify(reason.keyId)} twice`
    case "InvalidVehicle":
      return `vehicle ${JSON.stringify(reason.vin)}: ${reason.problems.join("; ")}`
    case "DuplicateVehicle":
      return `vehicle ${JSON.stringify(reason.vin)} is already registered`
  }
}

/**
 * A registration the server refused: an invalid policy, client, key or vehicle, or an id registered twice. The
 * message names the client and key (or vehicle) and the problem, never a secret or key material.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRegistration extends Data.TaggedError("InvalidRegistration")<{
  readonly reason: Model.RegistrationError
}> {
  override get message() {
    return describeRegistration(this.reason)
  }
}

/**
 * A clock advance refused: not a finite, non-negative duration, or one that would carry the server's time past
 * what an expiry computed from it can hold.
 *
 * @since 0.1.0
 * @category errors
 */
export class ClockOutOfRange extends Data.TaggedError("ClockOutOfRange")<{ readonly millis: number }> {
  override get message() {
    return Number.isFinite(this.millis) && this.millis >= 0
      ? `advancing the clock by ${this.millis} ms would carry the server's time out of range`
      : "the clock advances by a finite, non-negative duration"
  }
}

/**
 * What `authorize` hands back: the code for the redirect, and the consent's authorization id.
 *
 * @since 0.1.0
 * @category models
 */
export interface Consented {
  readonly code: Redacted.Redacted<string>
  readonly authorizationId: string
}

/**
 * The fake server's control service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Answers one request as it arrived on the wire, through the scripted faults and the model: the reply as the
   * wire carries it (a body with its content type and length, see `internal/framing.ts`), or a lost connection.
   */
  readonly handle: (request: Model.WireRequest) => Effect.Effect<Reply>
  readonly registerClient: (client: Model.ClientRegistration) => Effect.Effect<void, InvalidRegistration>
  readonly registerVehicle: (vehicle: Model.Vehicle) => Effect.Effect<void, InvalidRegistration>
  /** The owner consents on the consent page: a single-use code for the client's redirect URI. */
  readonly authorize: (request: Model.AuthorizeRequest) => Effect.Effect<Consented, AuthorizeRefused>
  /** The owner (or carmaker, for BMW and MINI) approves a pending consent. */
  readonly approve: (authorizationId: string) => Effect.Effect<void, ConsentUnchangeable>
  /** The owner (or, with `by: "oem"`, the carmaker) withdraws access: every token minted from the consent dies. */
  readonly withdraw: (
    authorizationId: string,
    options?: { readonly by?: Model.ConsentRevoker | undefined }
  ) => Effect.Effect<void, ConsentUnchangeable>
  /** The server's time: Effect's `Clock` plus every `advanceClock` so far, in epoch milliseconds. */
  readonly now: Effect.Effect<number>
  /**
   * Moves the server's time forward, for a server on the live clock. A duration that is not finite, or that would
   * carry the server's time past what every expiry computed from it can hold, is refused and changes nothing.
   */
  readonly advanceClock: (duration: Duration.DurationInput) => Effect.Effect<void, ClockOutOfRange>
  /**
   * Back to the state `make` started from: the same clients and vehicles, no consents, tokens or faults. The clock
   * keeps every `advanceClock` so far (time never runs backwards for a client that still holds tokens), unless
   * `rewindClock` takes the server back to Effect's `Clock` itself, which is safe then: nothing issued survives.
   */
  readonly reset: (options?: { readonly rewindClock?: boolean | undefined }) => Effect.Effect<void>
  /** Replaces the scripted faults; request numbering starts again from 1. */
  readonly setFaults: (rules: ReadonlyArray<Faults.Rule>) => Effect.Effect<void>
  /** The whole model state, for assertions beyond the views below. */
  readonly state: Effect.Effect<Model.State>
  /** Reads the model at the server's time: `read(Model.tokenPage)`, or any function of the state and now. */
  readonly read: <A>(f: (state: Model.State, now: number) => A) => Effect.Effect<A>
  readonly consents: Effect.Effect<ReadonlyArray<Model.Consent>>
  /** Every token with its status now; never a token value. */
  readonly tokens: Effect.Effect<ReadonlyArray<Model.TokenView>>
  /** Every family with its lineage. */
  readonly families: Effect.Effect<ReadonlyArray<Model.FamilyView>>
  /** The kept exchanges, secrets redacted. */
  readonly history: Effect.Effect<ReadonlyArray<Model.HistoryEntry>>
}

/**
 * The fake server's control service.
 *
 * @since 0.1.0
 * @category tags
 */
export class FakeServer extends Context.Tag("@hm-oauth/testkit/FakeServer")<FakeServer, Service>() {}

/**
 * The options of `make`: the model's (seed, policy, clients, vehicles), plus faults and their seed.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends Model.MakeOptions {
  readonly faults?: ReadonlyArray<Faults.Rule> | undefined
  /** Seeds the draws of probabilistic faults. Default: the model's seed. */
  readonly faultSeed?: number | undefined
  /** Larger request bodies get 413 (or, undeclared, lose their connection). Default 64 KiB. */
  readonly maxBodyBytes?: number | undefined
  /**
   * What answers each request: `Model.step` by default. A seam for conformance kits, which build deliberately
   * broken servers ("mutants") by wrapping or replacing it, with both transports and the control API unchanged.
   */
  readonly step?: typeof Model.step | undefined
}

/**
 * The options of `layer`: the server's, and the address the in-memory server answers at.
 *
 * @since 0.1.0
 * @category models
 */
export interface LayerOptions extends Options {
  /**
   * The only origin the in-memory client serves, as a network would: a request to any other is refused, so a
   * client pointed at the wrong address fails its tests. Default High Mobility's sandbox,
   * `https://sandbox.api.high-mobility.com`, core's default. The assertion audience follows it (+ `/v1`) unless
   * the policy names one.
   */
  readonly baseUrl?: string | undefined
}

/**
 * A fresh server: every `make` starts from an empty history and request count.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options?: Options) => Effect.Effect<Service, InvalidRegistration> = internal.make

const sandbox = "https://sandbox.api.high-mobility.com"

/**
 * An `HttpClient` that delivers every request for `baseUrl`'s origin to the fake server, as it would arrive on the
 * wire (its target as sent: path and query), and refuses the connection to any other origin.
 *
 * @since 0.1.0
 * @category constructors
 */
export const httpClient = (baseUrl: string = sandbox): Effect.Effect<HttpClient.HttpClient, never, FakeServer> =>
  Effect.map(FakeServer, (server) => {
    const { origin } = new URL(baseUrl)
    return InMemoryHttpClient.make((incoming) =>
      incoming.url.origin === origin
        ? server.handle({
            method: incoming.method,
            path: `${incoming.url.pathname}${incoming.url.search}`,
            headers: incoming.headers,
            body: incoming.body
          })
        : Effect.succeed(refused)
    )
  })

/**
 * A fresh fake server in memory, and an `HttpClient` wired to it at `baseUrl`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: LayerOptions = {}
): Layer.Layer<FakeServer | HttpClient.HttpClient, InvalidRegistration> => {
  const { baseUrl = sandbox, ...server } = options
  const audience = `${baseUrl.replace(/\/+$/, "")}/v1`
  return Layer.effect(HttpClient.HttpClient, httpClient(baseUrl)).pipe(
    Layer.provideMerge(Layer.effect(FakeServer, make({ ...server, policy: { audience, ...server.policy } })))
  )
}
