/**
 * Access tokens in memory, by key (a grant id, or an application token's scope). An entry only ever holds a token
 * the store (or the server, for application tokens) already gave, until its refresh point; it is dropped when it
 * expires or goes unread for the idle time, so memory follows the grants in use, not the grants stored.
 */
import { Effect, type Redacted } from "effect"

export interface Entry {
  readonly token: Redacted.Redacted<string>
  /** `Effect.succeed(token)`, built once: the cached path allocates nothing. */
  readonly served: Effect.Effect<Redacted.Redacted<string>>
  /** From this instant (epoch ms) the token is renewed ahead, or checked again: the cached path stops serving it. */
  readonly refreshAt: number
  readonly expiresAt: number
  lastRead: number
}

export class TokenCache {
  private readonly entries = new Map<string, Entry>()

  /** The entry, if its refresh point has not come: marks it read. */
  fresh(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined || now >= entry.refreshAt) return undefined
    entry.lastRead = now
    return entry
  }

  get(key: string): Entry | undefined {
    return this.entries.get(key)
  }

  set(key: string, token: Redacted.Redacted<string>, refreshAt: number, expiresAt: number, now: number): void {
    this.entries.set(key, { token, served: Effect.succeed(token), refreshAt, expiresAt, lastRead: now })
  }

  delete(key: string): void {
    this.entries.delete(key)
  }

  /** Drops every entry that expired or went unread for `idleMillis`. */
  sweep(now: number, idleMillis: number): void {
    for (const [key, entry] of this.entries) {
      if (now >= entry.expiresAt || now - entry.lastRead >= idleMillis) this.entries.delete(key)
    }
  }

  get size(): number {
    return this.entries.size
  }
}
