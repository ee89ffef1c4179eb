/**
 * One incarnation of a chaos node (test/fixtures/chaos-node.mjs) as the driver sees it: commands sent on its stdin,
 * answers awaited on its stdout, and what it had in flight — refresh requests sent whose outcome the store does not
 * have yet — when it was killed.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

const script = fileURLToPath(new URL("../fixtures/chaos-node.mjs", import.meta.url))
const built = fileURLToPath(new URL("../../dist/index.js", import.meta.url))

/** Every wait on a node is bounded: a node that does not answer fails the run instead of hanging it. */
const defaultTimeout = 60_000

interface Waiter {
  readonly pattern: RegExp
  readonly resolve: (match: RegExpExecArray) => void
  readonly reject: (error: Error) => void
}

export class ChaosNode {
  private readonly child: ChildProcessWithoutNullStreams
  private readonly waiters = new Set<Waiter>()
  private stderr = ""
  private ended: number | string | null | undefined = undefined
  /** Whether the driver killed it: its unanswered commands then end quietly. */
  killed = false
  /** Refreshes sent (or held by a stall) whose outcome is not stored: grant → how far it got. */
  readonly inFlight = new Map<string, "sent" | "answered" | "stalled request" | "stalled answer">()
  /** `event …` lines: deaths and lost leases, as the manager published them. */
  readonly events: Array<string> = []
  /** Outcomes stored (`done` lines): the driver's measure of progress. */
  settled = 0
  /** Grants of refreshes whose answer never arrived (a timeout, a broken connection): each may cost a rotation. */
  readonly answersLost = new Set<string>()
  readonly exited: Promise<number | string | null>

  constructor(
    readonly name: string,
    env: Readonly<Record<string, string>>
  ) {
    if (!existsSync(built)) throw new Error(`${built} is missing: build first (npx tsc -b)`)
    this.child = spawn(process.execPath, [script], { env: { ...process.env, ...env } })
    this.child.stderr.on("data", (chunk) => {
      this.stderr = `${this.stderr}${chunk}`.slice(-4000)
    })
    createInterface({ input: this.child.stdout }).on("line", (text) => this.read(text))
    this.exited = new Promise((resolve) =>
      this.child.on("exit", (code, signal) => {
        this.ended = code ?? signal
        for (const waiter of this.waiters) {
          waiter.reject(new Error(`node ${name} exited (${this.ended}) awaiting ${waiter.pattern}: ${this.stderr}`))
        }
        this.waiters.clear()
        resolve(this.ended)
      })
    )
  }

  private read(text: string) {
    const signal = /^(sent|answered|done|stalled request|stalled answer) (\S+)/.exec(text)
    if (signal !== null) {
      const [, kind, grantId] = signal
      if (kind === "done") {
        this.inFlight.delete(grantId!)
        this.settled++
      } else if (kind === "answered") {
        this.inFlight.set(grantId!, "answered")
        // a refusal answers; anything else is an answer the node never had
        if (!text.endsWith(" Success") && !text.endsWith(" OAuthProtocolError")) {
          this.answersLost.add(grantId!)
          if (process.env.HM_OAUTH_CHAOS_VERBOSE === "1") console.log(`${this.name}: ${text}`)
        }
      } else this.inFlight.set(grantId!, kind as "sent" | "stalled request" | "stalled answer")
    }
    if (text.startsWith("event ")) this.events.push(text)
    for (const waiter of this.waiters) {
      const match = waiter.pattern.exec(text)
      if (match !== null) {
        this.waiters.delete(waiter)
        waiter.resolve(match)
      }
    }
  }

  /** The next line matching `pattern`, from now on. */
  next(pattern: RegExp, timeout = defaultTimeout): Promise<RegExpExecArray> {
    if (this.ended !== undefined) return Promise.reject(new Error(`node ${this.name} has exited (${this.ended})`))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter)
        reject(new Error(`node ${this.name} did not print ${pattern} within ${timeout} ms: ${this.stderr}`))
      }, timeout)
      const waiter: Waiter = {
        pattern,
        resolve: (match) => {
          clearTimeout(timer)
          resolve(match)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        }
      }
      this.waiters.add(waiter)
    })
  }

  /** Sends a command and waits for its answer. */
  command(line: string, answer: RegExp, timeout?: number): Promise<RegExpExecArray> {
    const answered = this.next(answer, timeout)
    this.child.stdin.write(`${line}\n`)
    return answered
  }

  /** SIGKILL, and the refreshes that were in flight then (its stdout read to the end first). */
  async kill(): Promise<ReadonlyMap<string, string>> {
    this.killed = true
    this.child.kill("SIGKILL")
    await this.exited
    await new Promise<void>((resolve) =>
      this.child.stdout.readableEnded ? resolve() : this.child.stdout.once("end", () => resolve())
    )
    return new Map(this.inFlight)
  }

  /** Ends it as a deployment would: stdin closed, the manager's scope closed; SIGKILL if that takes too long. */
  async stop(): Promise<void> {
    this.child.stdin.end()
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000)
    await this.exited
    clearTimeout(timer)
  }
}
