/**
 * The persistent log under the model's records and queues: every version answers as a plain array of its own would,
 * whatever was since done to the versions it came from or to its siblings (appends share arrays in place, so this
 * is where a mistake would show).
 */
import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as Log from "../src/internal/model/log.js"

type Op =
  | { readonly _tag: "push"; readonly from: number; readonly item: number }
  | { readonly _tag: "set"; readonly from: number; readonly ahead: number; readonly item: number }
  | { readonly _tag: "remove"; readonly from: number; readonly at: number }
  | { readonly _tag: "drop"; readonly from: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ _tag: fc.constant("push" as const), from: fc.nat(), item: fc.nat(999) }),
  fc.record({
    _tag: fc.constant("set" as const),
    from: fc.nat(),
    ahead: fc.integer({ min: -40, max: 70 }),
    item: fc.nat(999)
  }),
  fc.record({ _tag: fc.constant("remove" as const), from: fc.nat(), at: fc.nat() }),
  fc.record({ _tag: fc.constant("drop" as const), from: fc.nat() })
)

/** A plain model of a version: its items by position, and its head and tail. */
interface Plain {
  readonly items: ReadonlyMap<number, number>
  readonly head: number
  readonly tail: number
}

describe("Log", () => {
  it.prop(
    "every version reads as its own plain array, after any operations on any versions (branches included)",
    [fc.array(op, { minLength: 1, maxLength: 300 })],
    ([ops]) => {
      const versions: Array<readonly [Log.Log<number>, Plain]> = [[Log.empty(), { items: new Map(), head: 0, tail: 0 }]]
      for (const o of ops) {
        const [log, plain] = versions[o.from % versions.length]!
        switch (o._tag) {
          case "push":
            versions.push([
              Log.push(log, o.item),
              { ...plain, items: new Map(plain.items).set(plain.tail, o.item), tail: plain.tail + 1 }
            ])
            break
          case "set": {
            const position = Math.max(plain.head, plain.tail + o.ahead)
            versions.push([
              Log.set(log, position, o.item),
              { ...plain, items: new Map(plain.items).set(position, o.item), tail: Math.max(plain.tail, position + 1) }
            ])
            break
          }
          case "remove": {
            const position = plain.head + (o.at % Math.max(1, plain.tail - plain.head))
            const items = new Map(plain.items)
            items.delete(position)
            versions.push([Log.remove(log, position), { ...plain, items }])
            break
          }
          case "drop": {
            if (plain.tail === plain.head) break
            const items = new Map(plain.items)
            items.delete(plain.head)
            versions.push([Log.dropOldest(log), { ...plain, items, head: plain.head + 1 }])
            break
          }
        }
      }
      for (const [log, plain] of versions) {
        const expected = [...plain.items].filter(([position]) => position >= plain.head).sort(([a], [b]) => a - b)
        expect(Log.toArray(log)).toEqual(expected.map(([, item]) => item))
        expect(log.count).toBe(expected.length)
        for (let position = plain.head - 2; position < plain.tail + 2; position++) {
          expect(Log.get(log, position)).toBe(position >= plain.head ? plain.items.get(position) : undefined)
        }
      }
    }
  )
})
