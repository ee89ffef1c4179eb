/**
 * The consent page's one-time form tokens, so that another site cannot post a consent on the owner's behalf. A token
 * is random, stands for the checked request it was shown for (the post carries only the token and the owner's
 * choice, never the request's parameters), belongs to the browser it was shown to (a random owner id in a
 * `SameSite=Strict` cookie, which a cross-site post does not carry), is taken once, whatever the outcome, and
 * expires after ten minutes of the server's time. At most `capacity` are kept: the oldest gives way.
 */
import { randomBytes } from "node:crypto"

interface Issued<A> {
  readonly shown: A
  readonly owner: string
  readonly expiresAt: number
}

/** A fresh random value: 256 bits, URL- and cookie-safe. */
export const randomToken = (): string => randomBytes(32).toString("base64url")

/** The forms of one served fake, each for what it was shown for (`A`). */
export interface ConsentForms<A> {
  /** A token for a form shown to `owner` at `now`. */
  readonly issue: (shown: A, owner: string, now: number) => string
  /** What a live token's form was shown for, if `owner` was shown it; the token is spent either way. */
  readonly take: (token: string, owner: string | undefined, now: number) => A | undefined
}

/** Ten minutes, as long as a code lives: an owner who took longer opens the app's link again. */
export const defaultLifetime = 10 * 60 * 1000

/** Forms kept at most: a bound on what page views can make the server hold. */
export const defaultCapacity = 1000

/** An empty set of forms. */
export const make = <A>(capacity: number = defaultCapacity, lifetime: number = defaultLifetime): ConsentForms<A> => {
  // in issue order, which is expiry order: the expired ones are at the front
  const issued = new Map<string, Issued<A>>()
  const prune = (now: number) => {
    for (const [token, form] of issued) {
      if (form.expiresAt > now && issued.size < capacity) return
      issued.delete(token)
    }
  }
  return {
    issue: (shown, owner, now) => {
      prune(now)
      const token = randomToken()
      issued.set(token, { shown, owner, expiresAt: now + lifetime })
      return token
    },
    take: (token, owner, now) => {
      const form = issued.get(token)
      issued.delete(token)
      return form !== undefined && form.owner === owner && now < form.expiresAt ? form.shown : undefined
    }
  }
}
