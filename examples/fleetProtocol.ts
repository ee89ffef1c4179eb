/**
 * What the fleet walkthrough (`fleet.ts`) and its fleet node (`fleetNode.ts`, a child process) say to each other
 * over Node's IPC channel: the walkthrough sends one command at a time; the node answers with reports, the last of
 * which (`Ready`, `ClockSet`, `Onboarded`, `ReadDone`) ends the command. No message holds a token.
 */
import { Schema } from "effect"

/** Sets the node's clock to the fake's time, in epoch milliseconds (see `fakeClock.ts`). */
export const SetClock = Schema.TaggedStruct("SetClock", { now: Schema.Number })

/** Consents, exchanges and onboards each car; the `pending` ones as BMW-style consents awaiting approval. */
export const Onboard = Schema.TaggedStruct("Onboard", {
  vins: Schema.Array(Schema.String),
  pending: Schema.Array(Schema.String),
  redirectUri: Schema.String
})

/** Reads every grant in the store `rounds` times, concurrently: a token from the manager, then vehicle info. */
export const Read = Schema.TaggedStruct("Read", { rounds: Schema.Number })

/** A command of the walkthrough. */
export const Command = Schema.Union(SetClock, Onboard, Read)
export type Command = typeof Command.Type

/** A grant's death, as the manager's `Dead` event or a read's `GrantDead` tells it. */
export const Death = Schema.Struct({ grantId: Schema.String, reason: Schema.String })

/** How far the command has come. */
export const Progress = Schema.TaggedStruct("Progress", { done: Schema.Number, total: Schema.Number })

/** An event of `TokenManager.events` worth telling as it happens (refreshes are only counted). */
export const Event = Schema.TaggedStruct("Event", {
  event: Schema.Literal("Approved", "Dead", "TransientFailure", "LeaseLost"),
  grantId: Schema.String,
  detail: Schema.String
})

/** The node has opened the store and built its manager. */
export const Ready = Schema.TaggedStruct("Ready", { nodeId: Schema.String })

/** The node's clock now reads `now`. */
export const ClockSet = Schema.TaggedStruct("ClockSet", { now: Schema.Number })

/** The cars onboarded, and which of them wait for approval. */
export const Onboarded = Schema.TaggedStruct("Onboarded", { active: Schema.Number, pending: Schema.Number })

/**
 * What the reads found: every grant's outcome, how long each `accessToken` took (milliseconds) during the reads and
 * once more afterwards, from memory, for each grant that answered, and what the manager did meanwhile (refreshes committed, of which `recovered` made good an answer lost by another node).
 */
export const ReadDone = Schema.TaggedStruct("ReadDone", {
  grants: Schema.Number,
  reads: Schema.Number,
  valid: Schema.Number,
  pending: Schema.Array(Schema.String),
  dead: Schema.Array(Death),
  failed: Schema.Array(Schema.Struct({ grantId: Schema.String, error: Schema.String })),
  latencies: Schema.Array(Schema.Number),
  fromMemory: Schema.Array(Schema.Number),
  refreshed: Schema.Number,
  recovered: Schema.Number
})
export type ReadDone = typeof ReadDone.Type

/** A report of the node. */
export const Report = Schema.Union(Progress, Event, Ready, ClockSet, Onboarded, ReadDone)
export type Report = typeof Report.Type
