/**
 * The walkthrough's side of a fleet node: the child process running `fleetNode.js`, its commands and reports over
 * IPC, its output relayed line by line, and a real kill (`SIGKILL`: no finalizer runs, nothing is flushed).
 */
import { type ChildProcess, fork } from "node:child_process"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { Data, Effect, Queue, Schema, type Scope } from "effect"
import { Command, Report } from "./fleetProtocol.js"

const program = fileURLToPath(new URL("./fleetNode.js", import.meta.url))

/** The node's process ended before answering: killed, or failed (its output says why). */
export class NodeExited extends Data.TaggedError("NodeExited")<{
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}> {
  override get message() {
    return this.signal === null
      ? `the fleet node exited with code ${this.code}`
      : `the fleet node was killed (${this.signal})`
  }
}

/** The reports that end a command. */
type Answer = Extract<Report, { readonly _tag: "Ready" | "ClockSet" | "Onboarded" | "ReadDone" }>
/** The reports a command makes on its way. */
export type Interim = Exclude<Report, Answer>

/** The answer each command ends with. */
interface Answers {
  readonly SetClock: Extract<Answer, { readonly _tag: "ClockSet" }>
  readonly Onboard: Extract<Answer, { readonly _tag: "Onboarded" }>
  readonly Read: Extract<Answer, { readonly _tag: "ReadDone" }>
}

/** A running fleet node. */
export interface NodeProcess {
  readonly nodeId: string
  readonly pid: number
  /** Sends the command and hands each interim report to `onReport` until the command's answer arrives. */
  readonly run: <C extends Command>(
    command: C,
    onReport: (report: Interim) => Effect.Effect<void>
  ) => Effect.Effect<Answers[C["_tag"]], NodeExited>
  /**
   * Kills the process with `SIGKILL`, as a crash would, and waits until it is gone. A command under way fails with
   * `NodeExited`, unless its answer had left the node before the signal landed.
   */
  readonly kill: Effect.Effect<void>
}

type Incoming = Report | NodeExited

const decodeReport = Schema.decodeUnknownSync(Report)
const encodeCommand = Schema.encodeSync(Command)

const answers: { readonly [K in Command["_tag"]]: Answers[K]["_tag"] } = {
  SetClock: "ClockSet",
  Onboard: "Onboarded",
  Read: "ReadDone"
}

const isAnswerTo =
  <C extends Command>(command: C) =>
  (report: Report): report is Answers[C["_tag"]] =>
    report._tag === answers[command._tag]

const waitFor = <A extends Report>(
  incoming: Queue.Queue<Incoming>,
  isIt: (report: Report) => report is A,
  onReport: (report: Interim) => Effect.Effect<void>
): Effect.Effect<A, NodeExited> =>
  Effect.flatMap(Queue.take(incoming), (next) => {
    if (next instanceof NodeExited) return Effect.fail(next)
    if (isIt(next)) return Effect.succeed(next)
    if (next._tag === "Progress" || next._tag === "Event") {
      return Effect.zipRight(onReport(next), waitFor(incoming, isIt, onReport))
    }
    return Effect.dieMessage(`the fleet node answered ${next._tag} out of turn`)
  })

const relayLines = (child: ChildProcess, relay: (line: string) => void) => {
  for (const stream of [child.stdout, child.stderr]) {
    if (stream !== null) createInterface({ input: stream }).on("line", relay)
  }
}

/**
 * Starts a fleet node with `env` (its whole environment) and waits until it is ready. Closing the scope closes the
 * IPC channel, on which the node ends, and waits for its exit.
 */
export const spawn = (
  env: Readonly<Record<string, string>>,
  relay: (line: string) => void
): Effect.Effect<NodeProcess, NodeExited, Scope.Scope> =>
  Effect.gen(function* () {
    const incoming = yield* Queue.unbounded<Incoming>()
    const child = fork(program, [], { env, stdio: ["ignore", "pipe", "pipe", "ipc"], serialization: "json" })
    child.on("message", (message) => Queue.unsafeOffer(incoming, decodeReport(message)))
    const exited = new Promise<void>((resolve) =>
      child.on("exit", (code, signal) => {
        Queue.unsafeOffer(incoming, new NodeExited({ code, signal }))
        resolve()
      })
    )
    relayLines(child, relay)
    yield* Effect.addFinalizer(() =>
      Effect.promise(() => {
        if (child.connected) child.disconnect()
        return exited
      })
    )
    const ready = yield* waitFor(
      incoming,
      (report): report is Extract<Report, { _tag: "Ready" }> => report._tag === "Ready",
      () => Effect.void
    )
    const node: NodeProcess = {
      nodeId: ready.nodeId,
      pid: child.pid ?? -1,
      run: (command, onReport) =>
        Effect.zipRight(
          Effect.sync(() => child.send(encodeCommand(command))),
          waitFor(incoming, isAnswerTo(command), onReport)
        ),
      kill: Effect.zipRight(
        Effect.sync(() => child.kill("SIGKILL")),
        Effect.promise(() => exited)
      )
    }
    return node
  })
