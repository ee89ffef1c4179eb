import type { State } from "../../Model.js"
import { update } from "./copy.js"
import { serialUuid } from "./rng.js"

/** The prefix of a handle, naming what it stands for. */
export type HandlePrefix = "at" | "rt" | "cc" | "code" | "fam"

/** A handle and the serial it carries (the order of issue). */
export interface Handle {
  readonly handle: string
  readonly serial: number
}

/** The next sequential handle (`at#3`): what inspection and history show instead of a secret value. */
export const nextHandle = (state: State, prefix: HandlePrefix, rng = state.rng): readonly [Handle, State] => {
  const serial = state.serial + 1
  return [{ handle: `${prefix}#${serial}`, serial }, update(state, { serial, rng })]
}

/** A fresh secret value (a seeded random UUID carrying the serial, see `records.ts`) and its handle. */
export const mint = (state: State, prefix: HandlePrefix): readonly [Handle & { readonly value: string }, State] => {
  const [value, rng] = serialUuid(state.rng, state.serial + 1, state.salt)
  const [{ handle, serial }, next] = nextHandle(state, prefix, rng)
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
