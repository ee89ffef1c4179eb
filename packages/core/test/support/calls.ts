/**
 * Drives core calls over a scripted client under the TestClock: start one, let it run until it waits for the
 * clock, advance the clock, read its outcome and the requests it sent.
 */
import { type Duration, Effect, type Exit, Fiber, Redacted, Schedule, TestClock } from "effect"
import { type HmOAuthConfig, type HmOAuthError, Revocation, TokenEndpoint, VehicleInfo } from "../../src/index.js"
import * as Scripted from "./ScriptedHttpClient.js"

export const tokenJson = { access_token: "at-0001", token_type: "bearer", expires_in: 3600, refresh_token: "rt-0001" }
export const vehicleJson = { vin: "VIN00000000000001", sub: "00000000-0000-0000-0000-000000000000" }
export const accessToken = Redacted.make("81bcb5ee-3aa1-4fc6-bc54-79019af30a45")
export const refreshToken = Redacted.make("b39c3380-a8cf-48fe-ad80-d70279a4a5d6")

/** Configuration options over the scripted client's defaults. */
export type Options = Partial<HmOAuthConfig.Options>

export type Services = TokenEndpoint.TokenEndpoint | Revocation.Revocation | VehicleInfo.VehicleInfo

/** No jitter, so delays are exact: 100 ms, 200 ms, 400 ms, at most 3 retries. */
export const exactSchedule = Schedule.exponential("100 millis", 2).pipe(Schedule.intersect(Schedule.recurs(3)))

/** Forks `call` over a scripted client and returns a handle to drive the clock and read the outcome. */
export const start = <A>(
  call: Effect.Effect<A, HmOAuthError.HmOAuthError, Services>,
  script: Scripted.Script,
  options: Options = {}
): Effect.Effect<{
  readonly fiber: Fiber.RuntimeFiber<A, HmOAuthError.HmOAuthError>
  readonly sent: ReadonlyArray<Scripted.Sent>
}> =>
  Effect.gen(function* () {
    const { layer, sent } = Scripted.layer(script, { retrySchedule: exactSchedule, ...options })
    const fiber = yield* Effect.fork(Effect.provide(call, layer))
    yield* blockedOnClock(fiber)
    return { fiber, sent }
  })

/** Lets `fiber` run until it ends or waits for the test clock, so each check sees every request sent so far. */
export const blockedOnClock = (fiber: Fiber.RuntimeFiber<unknown, unknown>) =>
  Effect.gen(function* () {
    for (let turn = 0; turn < 10_000 && fiber.unsafePoll() === null; turn++) {
      if ((yield* TestClock.sleeps()).length > 0) return
      yield* Effect.yieldNow()
    }
  })

/** Advances the test clock, then lets the fiber catch up. */
export const adjust = (fiber: Fiber.RuntimeFiber<unknown, unknown>, duration: Duration.DurationInput) =>
  Effect.zipRight(TestClock.adjust(duration), blockedOnClock(fiber))

/** Runs `call` to its end, advancing the test clock one minute at a time. */
export const runToEnd = <A>(
  call: Effect.Effect<A, HmOAuthError.HmOAuthError, Services>,
  script: Scripted.Script,
  options: Options = {}
): Effect.Effect<{
  readonly exit: Exit.Exit<A, HmOAuthError.HmOAuthError>
  readonly sent: ReadonlyArray<Scripted.Sent>
}> =>
  Effect.gen(function* () {
    const { fiber, sent } = yield* start(call, script, options)
    for (let minute = 0; minute < 10 && fiber.unsafePoll() === null; minute++) yield* adjust(fiber, "1 minute")
    const exit = yield* Fiber.await(fiber)
    return { exit, sent }
  })

export const failureOf = <A>(
  call: Effect.Effect<A, HmOAuthError.HmOAuthError, Services>,
  script: Scripted.Script,
  options: Options = {}
): Effect.Effect<{ readonly error: HmOAuthError.HmOAuthError; readonly sent: ReadonlyArray<Scripted.Sent> }, A> =>
  Effect.gen(function* () {
    const { exit, sent } = yield* runToEnd(call, script, options)
    return { error: yield* Effect.flip(exit), sent }
  })

export const vehicleInfo = Effect.flatMap(VehicleInfo.VehicleInfo, (service) => service.get(accessToken))
export const refresh = Effect.flatMap(TokenEndpoint.TokenEndpoint, (service) => service.refresh(refreshToken))
export const exchangeCode = Effect.flatMap(TokenEndpoint.TokenEndpoint, (service) =>
  service.exchangeCode({ code: Redacted.make("7672e33d-fdc0"), redirectUri: "http://localhost/mycallback" })
)
export const clientCredentials = Effect.flatMap(TokenEndpoint.TokenEndpoint, (service) => service.clientCredentials())
export const revoke = Effect.flatMap(Revocation.Revocation, (service) => service.revoke({ token: accessToken }))
export const noRetry = { retrySchedule: Schedule.stop }
