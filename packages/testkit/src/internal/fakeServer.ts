/**
 * The fake server's state and its control service: the model, the fault plan and the clock offset in one cell,
 * every request one synchronous step of it.
 */
import { Clock, Duration, Effect, Either, Redacted } from "effect"
import {
  AuthorizeRefused,
  ClockOutOfRange,
  type Consented,
  ConsentUnchangeable,
  connectionReset,
  InvalidRegistration,
  type Options,
  type Reply,
  type Service
} from "../FakeServer.js"
import * as Faults from "../Faults.js"
import * as Model from "../Model.js"
import { declaredTooLarge, defaultMaxBodyBytes, tooLarge } from "./bodyLimit.js"
import { MAX_SECONDS } from "./durations.js"

interface ServerState {
  readonly model: Model.State
  readonly faults: Faults.Plan
  /** Milliseconds added to the clock by `advanceClock`. */
  readonly offset: number
}

/** Counts the request against the scripted faults and picks the one that strikes it, if any. */
const decide = (state: ServerState, request: Model.WireRequest): readonly [Faults.Fault | undefined, ServerState] => {
  // Request numbers matter only to rules, and `setFaults` numbers from 1 again: with no rules, nothing to count.
  if (state.faults.rules.length === 0) return [undefined, state]
  const [fault, faults] = Faults.decide(state.faults, Faults.endpointOf(request.method, request.path))
  return [fault, { model: state.model, faults, offset: state.offset }]
}

/** The model answers the request at `now`, and the delivery shapes what of its answer reaches the client. */
const act = (
  step: typeof Model.step,
  state: ServerState,
  now: number,
  request: Model.WireRequest,
  deliver: (response: Model.WireResponse) => Reply
): readonly [Reply, ServerState] => {
  const [response, model] = step(state.model, now, request)
  return [deliver(response), { model, faults: state.faults, offset: state.offset }]
}

// Every instant the server computes is its time plus at most two durations of 100 years (a lifetime and
// `forgetAfter`): its time stops that far short of the largest instant a Date holds.
const LATEST = 8.64e15 - 2 * MAX_SECONDS * 1000

export const make = (options: Options = {}): Effect.Effect<Service, InvalidRegistration> =>
  Effect.gen(function* () {
    const initial: ServerState = {
      model: yield* Either.mapLeft(Model.make(options), (reason) => new InvalidRegistration({ reason })),
      faults: Faults.plan(options.faults ?? [], options.faultSeed ?? options.seed ?? 0),
      offset: 0
    }
    // A cell, not a Ref: every change below is one synchronous function of the state, which nothing can interleave
    // with, and the hot path (`handle`) then costs no Effect of its own beyond the clock.
    let current = initial
    const modify = <A>(f: (state: ServerState) => readonly [A, ServerState]) =>
      Effect.sync(() => {
        const [result, next] = f(current)
        current = next
        return result
      })
    const change = (f: (state: ServerState) => ServerState) => modify((state) => [undefined, f(state)] as const)
    const step = options.step ?? Model.step
    const now = Effect.map(Clock.currentTimeMillis, (millis) => millis + current.offset)

    /** What the request comes to at the clock's time: a reply now, later or never. */
    const arrive = (
      state: ServerState,
      clockMillis: number,
      request: Model.WireRequest
    ): readonly [Effect.Effect<Reply>, ServerState] => {
      const [fault, counted] = decide(state, request)
      const delivery = Faults.delivery(fault)
      switch (delivery._tag) {
        case "Answer":
          return [Effect.succeed(delivery.reply), counted]
        case "Never":
          return [Effect.never, counted]
        case "Act": {
          if (delivery.delayMillis === 0) {
            const [reply, next] = act(step, counted, clockMillis + state.offset, request, delivery.deliver)
            return [Effect.succeed(reply), next]
          }
          // the server acts when the request finally reaches it, at the server's time then
          const later = Effect.flatMap(now, (at) => modify((state) => act(step, state, at, request, delivery.deliver)))
          return [Effect.zipRight(Effect.sleep(delivery.delayMillis), later), counted]
        }
      }
    }

    const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes
    const tooLong = Effect.succeed(tooLarge)
    const dropped = Effect.succeed(connectionReset)

    // Every request comes here: one look at the clock, one step of the state.
    const handle = (request: Model.WireRequest): Effect.Effect<Reply> => {
      if (declaredTooLarge(request.headers, maxBodyBytes)) return tooLong
      // UTF-8 takes at most three bytes per UTF-16 unit: a body a third of the limit long needs no counting
      if (request.body.length > maxBodyBytes / 3 && Buffer.byteLength(request.body) > maxBodyBytes) return dropped
      return Effect.clockWith((clock) => {
        const [reply, next] = arrive(current, clock.unsafeCurrentTimeMillis(), request)
        current = next
        return reply
      })
    }

    const update = <E>(f: (model: Model.State, now: number) => Either.Either<Model.State, E>) =>
      Effect.flatMap(now, (at) =>
        modify((state): readonly [Either.Either<void, E>, ServerState] =>
          Either.match(f(state.model, at), {
            onLeft: (error) => [Either.left(error), state],
            onRight: (model) => [Either.void, { ...state, model }]
          })
        )
      ).pipe(Effect.flatten)

    const model_ = Effect.sync(() => current.model)
    const view = <A>(f: (model: Model.State, now: number) => A) =>
      Effect.flatMap(now, (at) => Effect.map(model_, (model) => f(model, at)))

    return {
      handle,
      registerClient: (client) =>
        update((model) =>
          Either.mapLeft(Model.registerClient(model, client), (reason) => new InvalidRegistration({ reason }))
        ),
      registerVehicle: (vehicle) =>
        update((model) =>
          Either.mapLeft(Model.registerVehicle(model, vehicle), (reason) => new InvalidRegistration({ reason }))
        ),
      authorize: (request) =>
        Effect.flatMap(now, (at) =>
          modify((state): readonly [Either.Either<Consented, AuthorizeRefused>, ServerState] =>
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
      withdraw: (authorizationId, options) =>
        update((model, now) =>
          Either.mapLeft(
            Model.withdrawConsent(model, now, authorizationId, options?.by),
            (reason) => new ConsentUnchangeable({ reason })
          )
        ),
      now,
      advanceClock: (duration) =>
        Effect.flatMap(Clock.currentTimeMillis, (clockMillis) => {
          const millis = Duration.toMillis(duration)
          return modify((state): readonly [boolean, ServerState] => {
            const valid = Number.isFinite(millis) && millis >= 0 && clockMillis + state.offset + millis <= LATEST
            return valid ? [true, { ...state, offset: state.offset + millis }] : [false, state]
          }).pipe(Effect.flatMap((advanced) => (advanced ? Effect.void : Effect.fail(new ClockOutOfRange({ millis })))))
        }),
      reset: (resetOptions) =>
        change((state) => ({ ...initial, offset: resetOptions?.rewindClock === true ? 0 : state.offset })),
      setFaults: (rules) => change((state) => ({ ...state, faults: { ...Faults.plan(rules), rng: state.faults.rng } })),
      state: model_,
      read: view,
      consents: view(Model.consents),
      tokens: view(Model.tokens),
      families: view(Model.families),
      history: view(Model.history)
    }
  })
