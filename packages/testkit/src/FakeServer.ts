/**
 * The control side of the fake server: what a test does that, in production, the car owner, the carmaker or the
 * network would do. Register clients and vehicles, consent on the owner's behalf, approve or withdraw a
 * consent, script faults, and read the tokens, their families and the history. Every transport answers
 * requests through `handle`, so faults and the model behave the same in memory and over HTTP.
 *
 * Time is Effect's `Clock` plus an offset the server keeps: under `TestClock`, `TestClock.adjust` expires codes
 * and tokens; a server on the live clock (the CLI) moves on with `advanceClock`.
 *
 * @since 0.1.0
 */
import { Clock, Context, Data, Duration, Effect, Either, Redacted, Ref } from "effect"
import * as Faults from "./Faults.js"
import * as InMemoryHttpClient from "./InMemoryHttpClient.js"
import * as Model from "./Model.js"

/** The consent page refused: unknown client or vehicle, unregistered redirect URI, bad challenge. */
export class AuthorizeRefused extends Data.TaggedError("AuthorizeRefused")<{ readonly reason: Model.AuthorizeError }> {
  override get message() {
    return `consent refused: ${this.reason._tag}`
  }
}

/** A consent that does not exist, or was withdrawn for good, cannot change. */
export class ConsentUnchangeable extends Data.TaggedError("ConsentUnchangeable")<{
  readonly reason: Model.ConsentError
}> {
  override get message() {
    return `consent ${this.reason.authorizationId} cannot change: ${this.reason._tag}`
  }
}

/** A client registration the server cannot accept, such as a service-account key that is not P-256. */
export class InvalidRegistration extends Data.TaggedError("InvalidRegistration")<{ readonly detail: string }> {}

/** What `authorize` hands back: the code for the redirect, and the consent's authorization id. */
export interface Consented {
  readonly code: Redacted.Redacted<string>
  readonly authorizationId: string
}

/** The fake server's control service. */
export class FakeServer extends Context.Tag("@hm-oauth/testkit/FakeServer")<
  FakeServer,
  {
    /** Answers one request as it arrived on the wire, through the scripted faults and the model. */
    readonly handle: (request: Model.WireRequest) => Effect.Effect<InMemoryHttpClient.Reply>
    readonly registerClient: (client: Model.ClientRegistration) => Effect.Effect<void, InvalidRegistration>
    readonly registerVehicle: (vehicle: Model.Vehicle) => Effect.Effect<void>
    /** The owner consents on the consent page: a single-use code for the client's redirect URI. */
    readonly authorize: (request: Model.AuthorizeRequest) => Effect.Effect<Consented, AuthorizeRefused>
    /** The owner (or carmaker, for BMW and MINI) approves a pending consent. */
    readonly approve: (authorizationId: string) => Effect.Effect<void, ConsentUnchangeable>
    /** The owner withdraws access: every token minted from the consent dies. */
    readonly withdraw: (authorizationId: string) => Effect.Effect<void, ConsentUnchangeable>
    /** The server's time: Effect's `Clock` plus every `advanceClock` so far, in epoch milliseconds. */
    readonly now: Effect.Effect<number>
    /** Moves the server's time forward, for a server on the live clock. */
    readonly advanceClock: (duration: Duration.DurationInput) => Effect.Effect<void>
    /** Back to the state `make` started from: the same clients and vehicles, no consents, tokens or faults. */
    readonly reset: Effect.Effect<void>
    /** Replaces the scripted faults; request numbering starts again from 1. */
    readonly setFaults: (rules: ReadonlyArray<Faults.Rule>) => Effect.Effect<void>
    /** The whole model state, for assertions beyond the views below. */
    readonly state: Effect.Effect<Model.State>
    readonly consents: Effect.Effect<ReadonlyArray<Model.Consent>>
    /** Every token with its status now; never a token value. */
    readonly tokens: Effect.Effect<ReadonlyArray<Model.TokenView>>
    /** Every family with its lineage. */
    readonly families: Effect.Effect<ReadonlyArray<Model.FamilyView>>
    /** The kept exchanges, secrets redacted. */
    readonly history: Effect.Effect<ReadonlyArray<Model.HistoryEntry>>
  }
>() {}

/** The options of `make`: the model's (seed, policy, clients, vehicles), plus faults and their seed. */
export interface Options extends Model.MakeOptions {
  readonly faults?: ReadonlyArray<Faults.Rule> | undefined
  /** Seeds the draws of probabilistic faults. Default: the model's seed. */
  readonly faultSeed?: number | undefined
}

interface ServerState {
  readonly model: Model.State
  readonly faults: Faults.Plan
  /** Milliseconds added to the clock by `advanceClock`. */
  readonly offset: number
}

const htmlPage = (status: number) =>
  `<!DOCTYPE html><html><head><title>${status} Bad Gateway</title></head><body><h1>${status} Bad Gateway</h1><p>The upstream server did not answer.</p></body></html>`

const fromResponse = (response: Model.WireResponse): InMemoryHttpClient.Reply =>
  InMemoryHttpClient.response(response.status, response.body, response.headers)

/** A fresh server: every `make` starts from an empty history and request count. */
export const make = (options: Options = {}): Effect.Effect<FakeServer["Type"], InvalidRegistration> =>
  Effect.gen(function* () {
    const initial: ServerState = {
      model: yield* Effect.try({
        try: () => Model.make(options),
        catch: (error) => new InvalidRegistration({ detail: String(error) })
      }),
      faults: Faults.plan(options.faults ?? [], options.faultSeed ?? options.seed ?? 0),
      offset: 0
    }
    const ref = yield* Ref.make(initial)
    const now = Effect.zipWith(Clock.currentTimeMillis, Ref.get(ref), (millis, state) => millis + state.offset)

    /** The model acts on the request now; the faults decide what of its answer reaches the client. */
    const act = (
      state: ServerState,
      now: number,
      request: Model.WireRequest,
      fault: Faults.Fault | undefined
    ): readonly [InMemoryHttpClient.Reply, ServerState] => {
      const [response, model] = Model.step(state.model, now, request)
      const delivered =
        fault?._tag === "CommitThenLose"
          ? InMemoryHttpClient.reset
          : fault?._tag === "MalformedJson"
            ? InMemoryHttpClient.response(
                response.status,
                response.body.slice(0, response.body.length >> 1),
                response.headers
              )
            : fromResponse(response)
      return [delivered, { model, faults: state.faults, offset: state.offset }]
    }

    /** Counts the request against the scripted faults and picks the one that strikes it, if any. */
    const decide = (
      state: ServerState,
      request: Model.WireRequest
    ): readonly [Faults.Fault | undefined, ServerState] => {
      // Request numbers matter only to rules, and `setFaults` numbers from 1 again: with no rules, nothing to count.
      if (state.faults.rules.length === 0) return [undefined, state]
      const [fault, faults] = Faults.decide(state.faults, Faults.endpointOf(request.method, request.path))
      return [fault, { model: state.model, faults, offset: state.offset }]
    }

    /** What the request comes to at the server's time (the clock's plus the offset): a reply now, later or never. */
    const arrive = (
      state: ServerState,
      clockMillis: number,
      request: Model.WireRequest
    ): readonly [Effect.Effect<InMemoryHttpClient.Reply>, ServerState] => {
      const [fault, counted] = decide(state, request)
      switch (fault?._tag) {
        case undefined:
        case "CommitThenLose":
        case "MalformedJson": {
          const [delivered, next] = act(counted, clockMillis + state.offset, request, fault)
          return [Effect.succeed(delivered), next]
        }
        case "ServerError":
          return [
            Effect.succeed(
              InMemoryHttpClient.response(
                fault.status,
                "",
                fault.retryAfterSeconds === undefined ? {} : { "retry-after": String(fault.retryAfterSeconds) }
              )
            ),
            counted
          ]
        case "RateLimited":
          return [
            Effect.succeed(InMemoryHttpClient.response(429, "", { "retry-after": String(fault.retryAfterSeconds) })),
            counted
          ]
        case "HtmlErrorPage":
          return [
            Effect.succeed(
              InMemoryHttpClient.response(fault.status, htmlPage(fault.status), { "content-type": "text/html" })
            ),
            counted
          ]
        case "Refused":
          return [Effect.succeed(InMemoryHttpClient.refused), counted]
        case "Hang":
          return [Effect.never, counted]
        case "Latency":
          // the server acts when the request finally reaches it, at the clock's time then
          return [
            Effect.zipRight(
              Effect.sleep(fault.millis),
              Effect.flatMap(now, (later) => Ref.modify(ref, (state) => act(state, later, request, undefined)))
            ),
            counted
          ]
      }
    }

    // Every request of the in-memory transport comes here: one look at the clock, one `Ref.modify`.
    const handle = (request: Model.WireRequest): Effect.Effect<InMemoryHttpClient.Reply> =>
      Effect.clockWith((clock) =>
        Effect.flatten(Ref.modify(ref, (state) => arrive(state, clock.unsafeCurrentTimeMillis(), request)))
      )

    const update = <E>(f: (model: Model.State, now: number) => Either.Either<Model.State, E>) =>
      Effect.flatMap(now, (at) =>
        Ref.modify(ref, (state): readonly [Either.Either<void, E>, ServerState] =>
          Either.match(f(state.model, at), {
            onLeft: (error) => [Either.left(error), state],
            onRight: (model) => [Either.void, { ...state, model }]
          })
        )
      ).pipe(Effect.flatten)

    const model_ = Effect.map(Ref.get(ref), (state) => state.model)
    const view = <A>(f: (model: Model.State, now: number) => A) =>
      Effect.flatMap(now, (at) => Effect.map(model_, (model) => f(model, at)))

    return FakeServer.of({
      handle,
      registerClient: (client) =>
        update((model) =>
          Either.try({
            try: () => Model.registerClient(model, client),
            catch: (error) => new InvalidRegistration({ detail: String(error) })
          })
        ),
      registerVehicle: (vehicle) =>
        update((model) => Either.right(Model.registerVehicle(model, vehicle))).pipe(Effect.orDie),
      authorize: (request) =>
        Effect.flatMap(now, (at) =>
          Ref.modify(ref, (state): readonly [Either.Either<Consented, AuthorizeRefused>, ServerState] =>
            Either.match(Model.authorize(state.model, at, request), {
              onLeft: (reason) => [Either.left(new AuthorizeRefused({ reason })), state],
              onRight: ([authorized, model]) => [
                Either.right({ code: Redacted.make(authorized.code), authorizationId: authorized.authorizationId }),
                { ...state, model }
              ]
            })
          )
        ).pipe(Effect.flatten),
      approve: (authorizationId) =>
        update((model, now) =>
          Either.mapLeft(
            Model.approveConsent(model, now, authorizationId),
            (reason) => new ConsentUnchangeable({ reason })
          )
        ),
      withdraw: (authorizationId) =>
        update((model, now) =>
          Either.mapLeft(
            Model.withdrawConsent(model, now, authorizationId),
            (reason) => new ConsentUnchangeable({ reason })
          )
        ),
      now,
      advanceClock: (duration) =>
        Ref.update(ref, (state) => ({ ...state, offset: state.offset + Duration.toMillis(duration) })),
      reset: Ref.update(ref, (state) => ({ ...initial, offset: state.offset })),
      setFaults: (rules) =>
        Ref.update(ref, (state) => ({ ...state, faults: { ...Faults.plan(rules), rng: state.faults.rng } })),
      state: model_,
      consents: view(Model.consents),
      tokens: view(Model.tokens),
      families: view(Model.families),
      history: view(Model.history)
    })
  })
