import type { State } from "../../Model.js"
import { update } from "./copy.js"
import { uuid } from "./rng.js"

/** The prefix of a handle, naming what it stands for. */
export type HandlePrefix = "at" | "rt" | "cc" | "code" | "fam"

/** A handle and the serial it carries (the order of issue). */
export interface Handle {
  readonly handle: string
  readonly serial: number
}

/** The next sequential handle (`at#3`): what inspection and history show instead of a secret value. */
export const nextHandle = (state: State, prefix: HandlePrefix): readonly [Handle, State] => {
  const serial = state.serial + 1
  return [{ handle: `${prefix}#${serial}`, serial }, update(state, { serial })]
}

/** A fresh secret value (a seeded random UUID) and its handle. */
export const mint = (state: State, prefix: HandlePrefix): readonly [Handle & { readonly value: string }, State] => {
  const [value, rng] = uuid(state.rng)
  const [{ handle, serial }, next] = nextHandle(state, prefix)
  return [{ handle, serial, value }, update(next, { rng })]
}
