/**
 * A model-based test of the token manager: random sequences of what callers, time, owners, the server and the
 * machines do, run against three manager nodes over one shared memory store and the in-memory fake at its strictest
 * (rotation, reuse detection with no grace), with faults (5xx, 429, hangs, `CommitThenLose`).
 *
 * - Interleavings: every store operation of a node waits for `fc.scheduler` to let it through, so the order in
 *   which nodes read, claim and write is the property's to choose, and a race found once replays from its seed.
 *   Time is the `TestClock`: when nothing is scheduled and calls still wait, time moves to the next sleep.
 * - Commands: concurrent `accessToken` calls over the nodes, advancing the clock, a node dying between a refresh's
 *   answer and its commit (its store view drops the commit and everything after, then the node is disposed and
 *   replaced), revoking, withdrawing a consent, approving a pending one, starting and stopping faults.
 * - Invariants, after every command: a token handed out was committed to the store first; no grant's refresh
 *   token is ever stored empty; each refresh token was sent at most once, twice only when the first answer was
 *   lost; failures are the typed ones. At the end, faults stopped and every grant due: a live grant's stored
 *   refresh token is the server's live one, and a grant is dead exactly when its consent or family is dead at the
 *   server (reason `RotationLost` only after a lost answer, `RevokedByUs` only after a revoke).
 */
import { describe, expect, it } from "@effect/vitest"
import { FakeServer, Faults, Model } from "@hm-oauth/testkit"
import {
  Cause,
  Chunk,
  Clock,
  Effect,
  Exit,
  FastCheck as fc,
  Layer,
  Logger,
  ManagedRuntime,
  Option,
  Predicate,
  Redacted,
  Scope,
  TestClock,
  TestContext,
  type TestServices
} from "effect"
import { type TokenManager, TokenStore } from "../src/index.js"
import * as Fleet from "./support/fleet.js"
import * as Stores from "./support/stores.js"

const NODES = 3
const GRANTS = 3
const HOUR = Fleet.HOUR

type Services = Fleet.Services | TestServices.TestServices

interface Node {
  readonly nodeId: string
  readonly mortal: ReturnType<typeof Stores.mortal>
  readonly scope: Scope.CloseableScope
  readonly manager: TokenManager.Service
}

/** What the real run holds. */
interface Real {
  readonly runtime: ManagedRuntime.ManagedRuntime<Services, never>
  readonly scheduler: fc.Scheduler
  readonly store: TokenStore.Service
  readonly nodes: Array<Node>
  /** Every access and refresh token value that reached the store. */
  readonly stored: { readonly accessTokens: Set<string>; readonly refreshTokens: Set<string> }
  /** Nodes started so far, for fresh node ids. */
  started: number
  /** Tokens handed out before they were in the store (the start of each): must stay empty. */
  readonly early: Array<string>
}

/** What the model knows of each grant. */
interface GrantModel {
  readonly grantId: string
  readonly authorizationId: string
  pending: boolean
  withdrawn: boolean
  revokedByUs: boolean
  /** A refresh's answer may have been lost (a fault that drops it, or a node that died holding it). */
  lostAnswer: boolean
}

interface ModelState {
  readonly grants: Array<GrantModel>
  faults: boolean
}

const run = <A, E>(real: Real, effect: Effect.Effect<A, E, Services>) => real.runtime.runPromise(effect)

/** Lets every fiber run until it waits: on the scheduler, the clock, or nothing more. */
const settle = async () => {
  for (let turn = 0; turn < 4; turn++) await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setTimeout(resolve, 0))
}

/** Moves the clock to the next pending sleep; false if there is none. */
const advanceToNextSleep = Effect.gen(function* () {
  const now = yield* Clock.currentTimeMillis
  const next = Chunk.reduce(yield* TestClock.sleeps(), Number.POSITIVE_INFINITY, (earliest, at) =>
    at > now ? Math.min(earliest, at) : earliest
  )
  if (next === Number.POSITIVE_INFINITY) return false
  yield* TestClock.adjust(next - now)
  return true
})

/**
 * Runs `calls` to their end: the scheduler orders store operations; time moves only when nothing else can. While a
 * node's commit waits, a new caller on that node asks for the grant: it must not get the tokens being committed.
 */
const drive = async <A>(
  real: Real,
  calls: ReadonlyArray<Promise<A>>
): Promise<ReadonlyArray<PromiseSettledResult<A>>> => {
  const probes: Array<Promise<unknown>> = []
  const probed = new Set<number>()
  let done = false
  const all = Promise.allSettled(calls).then((results) => {
    done = true
    return results
  })
  for (let step = 0; step < 5_000; step++) {
    await settle()
    if (done) {
      await Promise.allSettled(probes)
      return all
    }
    if (real.scheduler.count() > 0) {
      for (const task of real.scheduler.report()) {
        if (task.status !== "pending" || probed.has(task.taskId)) continue
        probed.add(task.taskId)
        const [nodeId, operation, grantId] = task.label.split(" ")
        const node = real.nodes.find((candidate) => candidate.nodeId === nodeId)
        if (operation === "commit" && node !== undefined && grantId !== undefined) {
          probes.push(run(real, handedOut(real, node.manager.accessToken(grantId))))
        }
      }
      await real.scheduler.waitOne()
    } else if (!(await run(real, advanceToNextSleep)))
      throw new Error("calls wait on nothing: no store operation, no sleep")
  }
  throw new Error("calls did not end within 5,000 steps")
}

/**
 * Lets every store operation waiting on the scheduler through (in the order it picks), until none waits: the
 * store answers before time moves on. (Holding a commit while hours pass is a lease running out under its holder:
 * a lost answer the crash command stands for.)
 */
const quiesce = async (real: Real) => {
  for (let step = 0; step < 5_000; step++) {
    await settle()
    if (real.scheduler.count() === 0) return
    await real.scheduler.waitOne()
  }
  throw new Error("store operations kept coming for 5,000 steps")
}

/** The node's view of the store: each operation waits for the scheduler, then for the node's process being alive. */
const scheduledStore = (store: TokenStore.Service, scheduler: fc.Scheduler, label: string): TokenStore.Service => {
  const gate = <A, E>(name: string, operation: Effect.Effect<A, E>) =>
    Effect.zipRight(
      Effect.promise(() => scheduler.schedule(Promise.resolve(), `${label} ${name}`)),
      operation
    )
  return {
    get: (grantId) => gate(`get ${grantId}`, store.get(grantId)),
    insert: (grant) => gate(`insert ${grant.grantId}`, store.insert(grant)),
    claim: (grantId, lease) => gate(`claim ${grantId}`, store.claim(grantId, lease)),
    commit: (grantId, version, tokens) => gate(`commit ${grantId}`, store.commit(grantId, version, tokens)),
    release: (grantId, version, backoff) => gate(`release ${grantId}`, store.release(grantId, version, backoff)),
    markDead: (grantId, version, reason) => gate(`markDead ${grantId}`, store.markDead(grantId, version, reason)),
    remove: (grantId) => gate(`remove ${grantId}`, store.remove(grantId)),
    scan: (query) => gate("scan", store.scan(query))
  }
}

/** The shared store, recording every token value that reaches it. */
const recording = (store: TokenStore.Service, stored: Real["stored"]): TokenStore.Service => {
  const keep = (record: TokenStore.GrantRecord) => {
    stored.accessTokens.add(Redacted.value(record.accessToken))
    if (Option.isSome(record.refreshToken)) stored.refreshTokens.add(Redacted.value(record.refreshToken.value))
  }
  return {
    ...store,
    insert: (grant) => Effect.tap(store.insert(grant), (record) => Effect.sync(() => keep(record))),
    commit: (grantId, version, tokens) =>
      Effect.tap(store.commit(grantId, version, tokens), (outcome) =>
        Effect.sync(() => {
          if (outcome._tag === "Written") keep(outcome.record)
        })
      )
  }
}

const startNode = async (real: Real, index: number): Promise<Node> => {
  real.started += 1
  const nodeId = `node-${real.started}`
  const mortal = Stores.mortal(scheduledStore(real.store, real.scheduler, nodeId))
  const scope = await run(real, Scope.make())
  const manager = await run(
    real,
    Fleet.node(mortal.store, { nodeId, pollInterval: "5 seconds" }).pipe(Scope.extend(scope))
  )
  const node = { nodeId, mortal, scope, manager }
  real.nodes[index] = node
  return node
}

// ---------------------------------------------------------------------------------------------------------
// Invariants
// ---------------------------------------------------------------------------------------------------------

/**
 * A call on a node whose token, the moment it is handed out, must already be in the store: the check runs as the
 * call returns, not after the burst (by then a commit let through later would hide the lie).
 */
const handedOut = <E>(real: Real, call: Effect.Effect<Redacted.Redacted<string>, E>) =>
  Effect.exit(
    Effect.tap(call, (token) =>
      Effect.sync(() => {
        if (!real.stored.accessTokens.has(Redacted.value(token))) real.early.push(Redacted.value(token).slice(0, 8))
      })
    )
  )

/** Every failure a typed one (a dead node's calls excepted). */
const checkOutcome = (outcome: PromiseSettledResult<Exit.Exit<Redacted.Redacted<string>, unknown>>) => {
  if (outcome.status === "rejected") throw outcome.reason
  const exit = outcome.value
  if (Exit.isSuccess(exit)) return
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) {
    expect(["GrantNotFound", "GrantPending", "GrantDead", "RefreshUnavailable"]).toContain(
      (failure.value as { readonly _tag: string })._tag
    )
  } else if (!Cause.isInterruptedOnly(exit.cause)) {
    // only a node whose process died fails otherwise
    expect(Cause.pretty(exit.cause)).toContain("process died")
  }
}

/** Each refresh token was sent at most once, or twice when the answer to the first was lost. */
const checkRefreshes = (real: Real) =>
  run(
    real,
    Effect.gen(function* () {
      const fake = yield* FakeServer.FakeServer
      const state = yield* fake.state
      const storedHandles = new Set(
        [...real.stored.refreshTokens].map((value) => Option.getOrElse(Model.handleOf(state, value), () => value))
      )
      const sent = new Map<string, Array<string | undefined>>()
      for (const entry of yield* fake.history) {
        if (entry.request === undefined || entry.request === "<malformed>") continue
        if (entry.request.grant_type !== "refresh_token") continue
        const handle = String(entry.request.refresh_token)
        const minted =
          entry.status === 200 && Predicate.hasProperty(entry.response, "refresh_token")
            ? String(entry.response.refresh_token)
            : undefined
        sent.set(handle, [...(sent.get(handle) ?? []), minted])
      }
      for (const [handle, answers] of sent) {
        expect(answers.length, `refresh token ${handle} sent ${answers.length} times`).toBeLessThanOrEqual(2)
        if (answers.length === 2) {
          // a retry is only for a lost answer: what the first request minted never reached the store
          expect(answers[0] === undefined || !storedHandles.has(answers[0])).toBe(true)
        }
      }
    })
  )

/** No grant is stored without a refresh token. */
const checkStore = (real: Real, model: ModelState) =>
  run(
    real,
    Effect.forEach(model.grants, (grant) =>
      Effect.map(real.store.get(grant.grantId), (found) => {
        const record = Option.getOrThrow(found)
        expect(Option.isSome(record.refreshToken)).toBe(true)
        if (record.status === "dead") {
          const reason = Option.getOrThrow(record.deadReason)
          if (reason === "RotationLost") expect(grant.lostAnswer).toBe(true)
          if (reason === "RevokedByUs") expect(grant.revokedByUs).toBe(true)
        }
      })
    )
  )

const checkAll = async (real: Real, model: ModelState) => {
  expect(real.early, "tokens handed out before their commit").toEqual([])
  await checkRefreshes(real)
  await checkStore(real, model)
}

// ---------------------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------------------

type Command = fc.AsyncCommand<ModelState, Real>

/** Many concurrent `accessToken` calls, spread over the nodes. */
class Calls implements Command {
  constructor(readonly calls: ReadonlyArray<{ readonly node: number; readonly grant: number }>) {}
  check = () => true
  async run(model: ModelState, real: Real) {
    const outcomes = await drive(
      real,
      this.calls.map(({ grant, node }) =>
        run(real, handedOut(real, real.nodes[node % NODES]!.manager.accessToken(model.grants[grant % GRANTS]!.grantId)))
      )
    )
    for (const outcome of outcomes) checkOutcome(outcome)
    await checkAll(real, model)
  }
  toString = () => `Calls(${this.calls.map(({ grant, node }) => `${node % NODES}:${grant % GRANTS}`).join(" ")})`
}

/** Time passes. */
class Advance implements Command {
  constructor(readonly seconds: number) {}
  check = () => true
  async run(model: ModelState, real: Real) {
    await quiesce(real)
    await run(real, TestClock.adjust(`${this.seconds} seconds`))
    await settle()
    await checkAll(real, model)
  }
  toString = () => `Advance(${this.seconds}s)`
}

/** Time passes to just before the first live grant's expiry: past its refresh point, so renewals run ahead. */
class AdvanceToRenewal implements Command {
  check = () => true
  async run(model: ModelState, real: Real) {
    await quiesce(real)
    await run(
      real,
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const records = yield* Effect.forEach(model.grants, (grant) => real.store.get(grant.grantId))
        const expiries = records.flatMap((record) =>
          Option.isSome(record) && record.value.status === "active" ? [record.value.expiresAt.epochMillis] : []
        )
        const first = Math.min(...expiries)
        if (Number.isFinite(first) && first - 100_000 > now) yield* TestClock.adjust(first - 100_000 - now)
      })
    )
    await settle()
    await checkAll(real, model)
  }
  toString = () => "AdvanceToRenewal()"
}

/**
 * A node's process dies with a refresh's answer in hand: it refreshes the grant (as after a data API's 401), its
 * commit never lands and nothing after it either; the node is disposed and a fresh one takes its place.
 */
class Crash implements Command {
  constructor(
    readonly node: number,
    readonly grant: number
  ) {}
  check = () => true
  async run(model: ModelState, real: Real) {
    const index = this.node % NODES
    const node = real.nodes[index]!
    const grant = model.grants[this.grant % GRANTS]!
    const record = Option.getOrThrow(await run(real, real.store.get(grant.grantId)))
    node.mortal.crashAtNextCommit()
    const [outcome] = await drive(real, [
      run(real, handedOut(real, node.manager.invalidate(grant.grantId, record.accessToken)))
    ])
    checkOutcome(outcome!)
    // the refresh's answer was in hand when the process died: the server rotated, the store never heard
    if (node.mortal.dead) grant.lostAnswer = true
    await drive(real, [run(real, Scope.close(node.scope, Exit.void))])
    await startNode(real, index)
    await checkAll(real, model)
  }
  toString = () => `Crash(node=${this.node % NODES}, grant=${this.grant % GRANTS})`
}

/** This application revokes a grant. */
class Revoke implements Command {
  constructor(
    readonly node: number,
    readonly grant: number
  ) {}
  check = () => true
  async run(model: ModelState, real: Real) {
    const grant = model.grants[this.grant % GRANTS]!
    const [outcome] = await drive(real, [
      run(real, Effect.exit(real.nodes[this.node % NODES]!.manager.revoke(grant.grantId)))
    ])
    if (outcome!.status === "fulfilled" && Exit.isSuccess(outcome!.value)) {
      const record = Option.getOrThrow(await run(real, real.store.get(grant.grantId)))
      if (Option.getOrUndefined(record.deadReason) === "RevokedByUs") grant.revokedByUs = true
    }
    await checkAll(real, model)
  }
  toString = () => `Revoke(node=${this.node % NODES}, grant=${this.grant % GRANTS})`
}

/** The owner withdraws a consent, or the carmaker approves a pending one. */
class Consent implements Command {
  constructor(
    readonly change: "withdraw" | "approve",
    readonly grant: number
  ) {}
  check = (model: Readonly<ModelState>) => !model.grants[this.grant % GRANTS]!.withdrawn
  async run(model: ModelState, real: Real) {
    const grant = model.grants[this.grant % GRANTS]!
    await run(
      real,
      Effect.flatMap(FakeServer.FakeServer, (fake) => fake[this.change](grant.authorizationId)).pipe(Effect.orDie)
    )
    if (this.change === "withdraw") grant.withdrawn = true
    else grant.pending = false
    await checkAll(real, model)
  }
  toString = () => `Consent(${this.change}, grant=${this.grant % GRANTS})`
}

/** Faults start on the token endpoint (a lost answer marks every grant: any may have been hit), or stop. */
class SetFaults implements Command {
  constructor(readonly fault: Faults.Fault | undefined) {}
  check = () => true
  async run(model: ModelState, real: Real) {
    const rules = this.fault === undefined ? [] : [Faults.sometimes("token", 0.3, this.fault)]
    await run(
      real,
      Effect.flatMap(FakeServer.FakeServer, (fake) => fake.setFaults(rules))
    )
    model.faults = this.fault !== undefined
    if (this.fault?._tag === "CommitThenLose" || this.fault?._tag === "Hang") {
      for (const grant of model.grants) grant.lostAnswer = true
    }
    await checkAll(real, model)
  }
  toString = () => `SetFaults(${this.fault?._tag ?? "none"})`
}

const slot = fc.nat({ max: 11 })

const calls = fc
  .array(fc.record({ node: slot, grant: slot }), { minLength: 1, maxLength: 12 })
  .map((spread) => new Calls(spread))

// around the refresh point (55 minutes with the default margin and jitter) and the expiry (an hour), or anywhere
const advance = fc
  .oneof(fc.constantFrom(30, 3_300, 3_360, 3_600, 3_700), fc.integer({ min: 1, max: 7_200 }))
  .map((seconds) => new Advance(seconds))

/** Each kind of command with its weight: calls and time most, so that grants come due and callers race. */
const weighted: ReadonlyArray<readonly [number, fc.Arbitrary<Command>]> = [
  [5, calls],
  [3, advance],
  [2, fc.constant(new AdvanceToRenewal())],
  [1, fc.tuple(slot, slot).map(([node, grant]) => new Crash(node, grant))],
  [1, fc.tuple(slot, slot).map(([node, grant]) => new Revoke(node, grant))],
  [
    1,
    fc
      .tuple(fc.constantFrom("withdraw" as const, "approve" as const), slot)
      .map(([change, grant]) => new Consent(change, grant))
  ],
  [
    2,
    fc
      .constantFrom(undefined, Faults.serverError(503), Faults.rateLimited(30), Faults.hang, Faults.commitThenLose)
      .map((fault) => new SetFaults(fault))
  ]
]

const commands = weighted.flatMap(([weight, command]) => Array<fc.Arbitrary<Command>>(weight).fill(command))

/** The end of a sequence: faults stop, every backoff and lease runs out, every grant is asked for once more. */
const finish = async (model: ModelState, real: Real) => {
  await run(
    real,
    Effect.flatMap(FakeServer.FakeServer, (fake) => fake.setFaults([]))
  )
  await quiesce(real)
  await run(real, TestClock.adjust(2 * HOUR))
  const node = real.nodes[0]!.manager
  const outcomes = await drive(
    real,
    model.grants.map((grant) => run(real, handedOut(real, node.accessToken(grant.grantId))))
  )
  for (const outcome of outcomes) checkOutcome(outcome)
  await checkAll(real, model)
  await run(
    real,
    Effect.gen(function* () {
      const fake = yield* FakeServer.FakeServer
      const state = yield* fake.state
      const families = yield* fake.families
      const consents = yield* fake.consents
      for (const grant of model.grants) {
        const record = Option.getOrThrow(yield* real.store.get(grant.grantId))
        const family = families.filter((candidate) => candidate.authorizationId === grant.authorizationId).at(-1)!
        const consent = consents.find((candidate) => candidate.authorizationId === grant.authorizationId)!
        const deadAtServer = consent.status === "revoked" || family.refreshTokensRevoked !== undefined
        expect(record.status === "dead", `${grant.grantId}: store ${record.status}, server dead: ${deadAtServer}`).toBe(
          deadAtServer
        )
        if (record.status === "dead") {
          // a family revoked for a superseded token coming back is a lost answer's doing: say so
          if (family.refreshTokensRevoked?.reason === "refresh_token_reused" && consent.status !== "revoked") {
            expect(record.deadReason).toEqual(Option.some("RotationLost"))
          }
          continue
        }
        // a live grant's stored refresh token is the one the server holds live
        const stored = Option.getOrThrow(Model.handleOf(state, Redacted.value(Option.getOrThrow(record.refreshToken))))
        const live = family.lineage.filter((token) => token.kind === "refresh" && token.status === "live")
        expect(live.map((token) => token.handle)).toContain(stored)
      }
    })
  )
}

const runSequence = async (scheduler: fc.Scheduler, pending: ReadonlyArray<boolean>, sequence: Iterable<Command>) => {
  const runtime = ManagedRuntime.make(
    Fleet.layer().pipe(Layer.provideMerge(TestContext.TestContext), Layer.provide(Logger.remove(Logger.defaultLogger)))
  )
  try {
    const stored = { accessTokens: new Set<string>(), refreshTokens: new Set<string>() }
    const shared = recording(await runtime.runPromise(TokenStore.makeMemory), stored)
    const real: Real = { runtime, scheduler, store: shared, nodes: [], stored, started: 0, early: [] }
    for (let index = 0; index < NODES; index++) await startNode(real, index)
    const grants: Array<GrantModel> = []
    for (let n = 0; n < GRANTS; n++) {
      const grantId = `car-${n}`
      const onboarding = runtime.runPromise(
        Fleet.onboarded(real.nodes[n % NODES]!.manager, grantId, Fleet.VINS[n], pending[n] ? "pending" : undefined)
      )
      const [outcome] = await drive(real, [onboarding])
      if (outcome!.status === "rejected") throw outcome!.reason
      grants.push({
        grantId,
        authorizationId: outcome!.value,
        pending: pending[n]!,
        withdrawn: false,
        revokedByUs: false,
        lostAnswer: false
      })
    }
    const model: ModelState = { grants, faults: false }
    await fc.asyncModelRun(() => ({ model, real }), sequence)
    await finish(model, real)
  } finally {
    await runtime.dispose()
  }
}

const runs = Math.max(1, Math.round((8 * (fc.readConfigureGlobal().numRuns ?? 100)) / 100))

describe("TokenManager, model-based", () => {
  it(
    "three nodes over one store: tokens stored before use, each refresh token sent once (twice after a lost answer), and in step with the server at the end",
    () =>
      fc.assert(
        fc.asyncProperty(
          fc.scheduler(),
          fc.array(fc.boolean(), { minLength: GRANTS, maxLength: GRANTS }),
          fc.commands(commands, { maxCommands: 24 }),
          (scheduler, pending, sequence) => runSequence(scheduler, pending, sequence)
        ),
        { numRuns: runs }
      ),
    120_000 * Math.max(1, runs / 8)
  )
})
