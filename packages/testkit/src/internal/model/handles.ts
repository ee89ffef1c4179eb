import type { Issued, State } from "../../Model.js"
import { update } from "./copy.js"
import { push } from "./log.js"
import { uuid } from "./rng.js"

/** The prefix of a handle, naming what it stands for. */
export type HandlePrefix = "at" | "rt" | "cc" | "code" | "fam"

/** A handle and the serial it carries (the order of issue). */
export interface Handle {
  readonly handle: string
  readonly serial: number
}

const kinds: { readonly [P in HandlePrefix]: Issued["kind"] } = {
  at: "token",
  rt: "token",
  cc: "token",
  code: "code",
  fam: "family"
}

/**
 * The next sequential handle (`at#3`): what inspection and history show instead of a secret value. The record it
 * names is entered in `issued` at once, at position serial − 1, by `value` (a token's or code's) or, for a family,
 * by its handle.
 */
export const nextHandle = (state: State, prefix: HandlePrefix, value?: string): readonly [Handle, State] => {
  const serial = state.serial + 1
  const handle = `${prefix}#${serial}`
  const issued = push(state.issued, { kind: kinds[prefix], key: value ?? handle })
  return [{ handle, serial }, update(state, { serial, issued })]
}

/** A fresh secret value (a seeded random UUID) and its handle. */
export const mint = (state: State, prefix: HandlePrefix): readonly [Handle & { readonly value: string }, State] => {
  const [value, rng] = uuid(state.rng)
  const [{ handle, serial }, next] = nextHandle(update(state, { rng }), prefix, value)
  return [{ handle, serial, value }, next]
}

/** The serial a handle carries, or undefined if it is not one of this server's handles of `prefix`es. */
export const serialOf = (handle: string, prefixes: ReadonlyArray<HandlePrefix>): number | undefined => {
  const hash = handle.indexOf("#")
  const prefix = handle.slice(0, hash)
  const digits = handle.slice(hash + 1)
  if (hash < 0 || !prefixes.some((candidate) => candidate === prefix) || !/^[1-9][0-9]{0,15}$/.test(digits)) {
    return undefined
  }
  return Number(digits)
}
