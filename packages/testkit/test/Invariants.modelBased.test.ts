/**
 * A model-based test: random sequences of what owners, the client and time do (consent, approve, withdraw,
 * exchange, refresh, refresh with a retired token, revoke, vehicleinfo, client_credentials, clock advances),
 * run through the core client against the fake server over every transport. A small abstract model of which
 * token should work now predicts each command's outcome, and the command's `Exit` must match it. A failing
 * sequence shrinks to a minimal one; fast-check prints it with the seed that replays it.
 */
import { appendFileSync } from "node:fs"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { type HmOAuthConfig, Revocation, TokenEndpoint, type TokenSet, VehicleInfo } from "@hm-oauth/core"
import {
  Cause,
  Effect,
  Exit,
  FastCheck as fc,
  Layer,
  ManagedRuntime,
  type Redacted,
  TestClock,
  TestContext,
  type TestServices
} from "effect"
import { FakeServer } from "../src/FakeServer.js"
import * as Client from "./support/client.js"
import { sized } from "./support/runs.js"
import * as Steps from "./support/steps.js"
import { type Transport, transports } from "./support/transport.js"

const VINS = [Client.VIN, "WBA00000000000002", "WBA00000000000003"]
const CODE_LIFETIME = 600_000
const ACCESS_TOKEN_LIFETIME = 3_600_000

// ---------------------------------------------------------------------------------------------------------
// The abstract model: what should work now
// ---------------------------------------------------------------------------------------------------------

interface ConsentModel {
  readonly vin: string
  readonly sub: string
  status: "pending" | "approved" | "revoked"
  readonly codeIssuedAt: number
  /** The family its code was redeemed into. */
  family?: number
}

interface FamilyModel {
  readonly consent: number
  /** When each of its access tokens was issued, and whether it alone was revoked. */
  readonly accessTokens: Array<{ readonly issuedAt: number; revoked: boolean }>
  /** How many refresh tokens it has had; the last is the current one, the others are retired. */
  refreshTokens: number
  refreshTokensRevoked: boolean
  accessTokensRevoked: boolean
}

interface Model {
  now: number
  readonly consents: Array<ConsentModel>
  readonly families: Array<FamilyModel>
}

/** The values the real run handed out, indexed like the model. */
interface Real {
  readonly runtime: ManagedRuntime.ManagedRuntime<Client.Services | TestServices.TestServices, never>
  readonly consents: Array<{ readonly code: Redacted.Redacted<string>; readonly authorizationId: string }>
  readonly families: Array<{
    readonly accessTokens: Array<Redacted.Redacted<string>>
    readonly refreshTokens: Array<Redacted.Redacted<string>>
  }>
}

const revokeFamily = (family: FamilyModel) => {
  family.refreshTokensRevoked = true
  family.accessTokensRevoked = true
}

/** What the model expects of a command: a success, or a failure matching `error`. */
type Expected = { readonly _tag: "Success" } | { readonly _tag: "Failure"; readonly error: object }
const succeeds: Expected = { _tag: "Success" }
const fails = (error: object): Expected => ({ _tag: "Failure", error })
const invalidGrant = fails(Steps.invalidGrant())
const unauthorized = (reason: string) => fails({ _tag: "Unauthorized", reason })

/**
 * Runs `effect` in the sequence's runtime, checks its exit against `expected` and the server's families for
 * consistency; the value when it succeeded.
 */
const runChecked = async <A, E>(
  real: Real,
  effect: Effect.Effect<A, E, Client.Services | TestServices.TestServices>,
  expected: Expected
): Promise<A | undefined> => {
  const exit = await real.runtime.runPromise(Effect.exit(effect))
  if (expected._tag === "Failure") expect(Steps.failureOf(exit)).toMatchObject(expected.error)
  else if (Exit.isFailure(exit)) expect.fail(`expected a success, got ${Cause.pretty(exit.cause)}`)
  await real.runtime.runPromise(Steps.expectConsistentFamilies)
  return Exit.isSuccess(exit) ? exit.value : undefined
}

/** Which item of a list a command acts on, drawn before the list is known: the newest, or any by its index. */
type Choice = number | "newest"

/** The position `choice` names in a list of `length` items. */
const pick = (choice: Choice, length: number) => (choice === "newest" ? length - 1 : choice % length)

// ---------------------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------------------

type Command = fc.AsyncCommand<Model, Real>

/** The owner of one of the vehicles consents, approved at once or pending the carmaker's approval. */
class Consent implements Command {
  constructor(
    readonly vehicle: number,
    readonly pending: boolean
  ) {}
  check = () => true
  async run(model: Model, real: Real) {
    const index = model.consents.length
    const vin = VINS[pick(this.vehicle, VINS.length)]!
    const sub = `owner-${index}`
    const status = this.pending ? "pending" : "approved"
    const given = await runChecked(real, Steps.consent("web", { vin, sub, status }), succeeds)
    real.consents.push(given!)
    model.consents.push({ vin, sub, status, codeIssuedAt: model.now })
  }
  toString = () => `Consent(vehicle=${this.vehicle}, pending=${this.pending})`
}

/** The carmaker approves a consent; a withdrawn one cannot change. */
class Approve implements Command {
  constructor(readonly consent: Choice) {}
  check = (model: Readonly<Model>) => model.consents.length > 0
  async run(model: Model, real: Real) {
    const index = pick(this.consent, model.consents.length)
    const consent = model.consents[index]!
    const approve = Effect.flatMap(FakeServer, (server) => server.approve(real.consents[index]!.authorizationId))
    await runChecked(
      real,
      approve,
      consent.status === "revoked" ? fails({ reason: { _tag: "ConsentRevoked" } }) : succeeds
    )
    if (consent.status === "pending") consent.status = "approved"
  }
  toString = () => `Approve(consent=${this.consent})`
}

/** The owner withdraws a consent: everything minted from it dies for good. */
class Withdraw implements Command {
  constructor(readonly consent: Choice) {}
  check = (model: Readonly<Model>) => model.consents.length > 0
  async run(model: Model, real: Real) {
    const index = pick(this.consent, model.consents.length)
    const withdraw = Effect.flatMap(FakeServer, (server) => server.withdraw(real.consents[index]!.authorizationId))
    await runChecked(real, withdraw, succeeds)
    model.consents[index]!.status = "revoked"
  }
  toString = () => `Withdraw(consent=${this.consent})`
}

/** The client exchanges a consent's code: once, within ten minutes, while the consent stands. */
class Exchange implements Command {
  constructor(readonly consent: Choice) {}
  check = (model: Readonly<Model>) => model.consents.length > 0
  async run(model: Model, real: Real) {
    const index = pick(this.consent, model.consents.length)
    const consent = model.consents[index]!
    const replayed = consent.family !== undefined
    const expected =
      replayed || model.now >= consent.codeIssuedAt + CODE_LIFETIME || consent.status === "revoked"
        ? invalidGrant
        : succeeds
    const tokens = await runChecked(real, Steps.exchange("web", real.consents[index]!.code), expected)
    // a replayed code revokes the family it was redeemed into
    if (replayed) revokeFamily(model.families[consent.family!]!)
    if (tokens === undefined) return
    expect(tokens.status).toBe(consent.status)
    consent.family = model.families.length
    model.families.push({
      consent: index,
      accessTokens: [{ issuedAt: model.now, revoked: false }],
      refreshTokens: 1,
      refreshTokensRevoked: false,
      accessTokensRevoked: false
    })
    real.families.push({ accessTokens: [tokens.accessToken], refreshTokens: [Steps.refreshTokenOf(tokens)] })
  }
  toString = () => `Exchange(consent=${this.consent})`
}

/** The client refreshes with a family's current refresh token, or with a retired one (`retired` given). */
class Refresh implements Command {
  constructor(
    readonly family: Choice,
    readonly retired: Choice | undefined
  ) {}
  check = (model: Readonly<Model>) => model.families.length > 0
  async run(model: Model, real: Real) {
    const index = pick(this.family, model.families.length)
    const family = model.families[index]!
    const consent = model.consents[family.consent]!
    // a retired token only when the family has one; else the current
    const used =
      this.retired === undefined || family.refreshTokens === 1
        ? family.refreshTokens - 1
        : pick(this.retired, family.refreshTokens - 1)
    const reused = used < family.refreshTokens - 1
    const dead = consent.status === "revoked" || family.refreshTokensRevoked
    const refresh = Effect.flatMap(TokenEndpoint.TokenEndpoint, (tokens) =>
      tokens.refresh(real.families[index]!.refreshTokens[used]!)
    )
    const tokens: TokenSet.TokenSet | undefined = await runChecked(
      real,
      refresh,
      dead || reused ? invalidGrant : succeeds
    )
    // a retired token coming back to a live family revokes the family (RFC 9700 §4.14)
    if (reused && !dead) revokeFamily(family)
    if (tokens === undefined) return
    expect(tokens.status).toBe(consent.status)
    family.accessTokens.push({ issuedAt: model.now, revoked: false })
    family.refreshTokens++
    real.families[index]!.accessTokens.push(tokens.accessToken)
    real.families[index]!.refreshTokens.push(Steps.refreshTokenOf(tokens))
  }
  toString = () => `Refresh(family=${this.family}${this.retired === undefined ? "" : `, retired=${this.retired}`})`
}

/** The client revokes one of a family's access tokens, or one of its refresh tokens (current or retired). */
class Revoke implements Command {
  constructor(
    readonly family: Choice,
    readonly kind: "access" | "refresh",
    readonly token: Choice
  ) {}
  check = (model: Readonly<Model>) => model.families.length > 0
  async run(model: Model, real: Real) {
    const index = pick(this.family, model.families.length)
    const family = model.families[index]!
    const tokens = this.kind === "access" ? real.families[index]!.accessTokens : real.families[index]!.refreshTokens
    const position = pick(this.token, tokens.length)
    const revoke = Effect.flatMap(Revocation.Revocation, (revocation) =>
      revocation.revoke({ token: tokens[position]! })
    )
    // RFC 7009 §2.2: revoking succeeds whatever the token's state
    await runChecked(real, revoke, succeeds)
    if (this.kind === "access") family.accessTokens[position]!.revoked = true
    else revokeFamily(family)
  }
  toString = () => `Revoke(family=${this.family}, ${this.kind}=${this.token})`
}

/** The client reads the car with one of a family's access tokens. */
class ReadVehicle implements Command {
  constructor(
    readonly family: Choice,
    readonly token: Choice
  ) {}
  check = (model: Readonly<Model>) => model.families.length > 0
  async run(model: Model, real: Real) {
    const index = pick(this.family, model.families.length)
    const family = model.families[index]!
    const consent = model.consents[family.consent]!
    const position = pick(this.token, family.accessTokens.length)
    const token = family.accessTokens[position]!
    const expected =
      consent.status === "revoked"
        ? unauthorized("ConsentRevoked")
        : token.revoked || family.accessTokensRevoked
          ? unauthorized("InvalidToken")
          : model.now >= token.issuedAt + ACCESS_TOKEN_LIFETIME
            ? unauthorized("ExpiredToken")
            : consent.status === "pending"
              ? unauthorized("ConsentPending")
              : succeeds
    const read = Effect.flatMap(VehicleInfo.VehicleInfo, (vehicles) =>
      vehicles.get(real.families[index]!.accessTokens[position]!)
    )
    const vehicle = await runChecked(real, read, expected)
    if (vehicle !== undefined)
      expect({ vin: vehicle.vin, sub: vehicle.sub }).toEqual({ vin: consent.vin, sub: consent.sub })
  }
  toString = () => `ReadVehicle(family=${this.family}, access=${this.token})`
}

/** The client gets an application token with its secret; it reads no vehicle. */
class ApplicationToken implements Command {
  check = () => true
  async run(_: Model, real: Real) {
    const issue = Effect.flatMap(TokenEndpoint.TokenEndpoint, (tokens) => tokens.clientCredentials())
    const tokens = await runChecked(real, issue, succeeds)
    const read = Effect.flatMap(VehicleInfo.VehicleInfo, (vehicles) => vehicles.get(tokens!.accessToken))
    await runChecked(real, read, unauthorized("InvalidToken"))
  }
  toString = () => "ApplicationToken()"
}

/** Time passes on the TestClock: codes and access tokens expire. */
class Advance implements Command {
  constructor(readonly seconds: number) {}
  check = () => true
  async run(model: Model, real: Real) {
    await real.runtime.runPromise(TestClock.adjust(`${this.seconds} seconds`))
    model.now += this.seconds * 1000
  }
  toString = () => `Advance(${this.seconds}s)`
}

const index = fc.nat({ max: 7 })
const choice: fc.Arbitrary<Choice> = fc.oneof(fc.constant("newest" as const), index)

// around the lifetimes of codes (600 s) and access tokens (3600 s), a short while, or up to past the latter
const advance = fc
  .oneof(
    fc.constantFrom(599, 600, 601, 3599, 3600, 3601),
    fc.integer({ min: 1, max: 120 }),
    fc.integer({ min: 1, max: 4000 })
  )
  .map((seconds) => new Advance(seconds))

/** Each kind of command with its weight: consents and exchanges often enough that families soon exist. */
const weighted: ReadonlyArray<readonly [number, fc.Arbitrary<Command>]> = [
  [3, fc.tuple(index, fc.boolean()).map(([vehicle, pending]) => new Consent(vehicle, pending))],
  [1, choice.map((consent) => new Approve(consent))],
  [1, choice.map((consent) => new Withdraw(consent))],
  [3, choice.map((consent) => new Exchange(consent))],
  [2, choice.map((family) => new Refresh(family, undefined))],
  [1, fc.tuple(choice, choice).map(([family, retired]) => new Refresh(family, retired))],
  [
    1,
    fc
      .tuple(choice, fc.constantFrom("access" as const, "refresh" as const), choice)
      .map(([family, kind, token]) => new Revoke(family, kind, token))
  ],
  [3, fc.tuple(choice, choice).map(([family, token]) => new ReadVehicle(family, token))],
  [1, fc.constant(new ApplicationToken())],
  [3, advance]
]

const commands = weighted.flatMap(([weight, command]) => Array<fc.Arbitrary<Command>>(weight).fill(command))

/** How a sequence's client and server talk: the body encoding core sends, the success status the server answers. */
interface Wire {
  readonly bodyEncoding: HmOAuthConfig.BodyEncoding
  readonly successStatus: 200 | 201
}

const wire: fc.Arbitrary<Wire> = fc.record({
  bodyEncoding: fc.constantFrom("json" as const, "form" as const),
  successStatus: fc.constantFrom(200 as const, 201 as const)
})

/**
 * Throughput of the runs, per transport, for `bench/property-suite.ts`: with `HM_OAUTH_MODEL_STATS` naming a file,
 * each transport's sequences, the commands they ran and the milliseconds spent running them go there as a line of
 * JSON. Set up and torn down outside the timing: building and disposing the runtime.
 */
const statsFile = process.env.HM_OAUTH_MODEL_STATS

interface Stats {
  sequences: number
  commands: number
  millis: number
}

/** The same commands, counting each one that runs. */
const counting = (sequence: Iterable<Command>, stats: Stats): Iterable<Command> =>
  Array.from(sequence, (command) => ({
    check: (model: Readonly<Model>) => command.check(model),
    run: (model: Model, real: Real) => {
      stats.commands++
      return command.run(model, real)
    },
    toString: () => command.toString()
  }))

/** Runs one generated sequence against a fresh server in its own runtime, disposed after. */
const runSequence = async (
  transport: Transport,
  { bodyEncoding, successStatus }: Wire,
  sequence: Iterable<Command>,
  stats: Stats
) => {
  const server = { vehicles: VINS.map((vin) => ({ vin })), policy: { successStatus } }
  const runtime = ManagedRuntime.make(
    // TestContext first: a server over HTTP captures its clock when it starts, and it must be the TestClock
    transport
      .layer("web", server, { ...Client.distantTimeout, bodyEncoding })
      .pipe(Layer.provideMerge(TestContext.TestContext))
  )
  try {
    const setup = () => ({
      model: { now: 0, consents: [], families: [] },
      real: { runtime, consents: [], families: [] }
    })
    // the layer is built on first use: build it now, outside the timing
    if (statsFile !== undefined) await runtime.runtime()
    const started = performance.now()
    await fc.asyncModelRun(setup, statsFile === undefined ? sequence : counting(sequence, stats))
    stats.millis += performance.now() - started
    stats.sequences++
  } finally {
    await runtime.dispose()
  }
}

const size = sized(40)

for (const transport of transports) {
  describe(`model-based over ${transport.name}`, () => {
    const stats: Stats = { sequences: 0, commands: 0, millis: 0 }
    afterAll(() => {
      if (statsFile !== undefined)
        appendFileSync(statsFile, `${JSON.stringify({ transport: transport.name, ...stats })}\n`)
    })
    it(
      "every command's Exit matches the abstract model of which tokens work now",
      () =>
        fc.assert(
          fc.asyncProperty(wire, fc.commands(commands, { size: "large", maxCommands: 40 }), (talk, sequence) =>
            runSequence(transport, talk, sequence, stats)
          ),
          size.fastCheck
        ),
      size.timeout
    )
  })
}
