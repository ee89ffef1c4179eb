import { HashMap, Option } from "effect"

const BLOCK = 32

/**
 * A persistent log: items at increasing positions, in blocks of 32 kept in a HashMap by block number. Appending
 * copies at most the last block and updates one entry of a small map; removing an item (anywhere) copies its block,
 * or drops the block once all of it is gone; every older log stays valid. As a queue (append, drop the oldest) it
 * keeps the history and the expiry queues; with holes it is the index of records in issue order.
 */
export interface Log<A> {
  readonly blocks: HashMap.HashMap<number, ReadonlyArray<A | undefined>>
  /** Position of the oldest slot that may hold an item. */
  readonly head: number
  /** Position the next item will take. */
  readonly tail: number
}

export const empty = <A>(): Log<A> => ({ blocks: HashMap.empty(), head: 0, tail: 0 })

/** The number of slots from the oldest to the newest: the number of items when nothing was removed inside. */
export const size = <A>(log: Log<A>): number => log.tail - log.head

const blockOf = <A>(log: Log<A>, position: number): ReadonlyArray<A | undefined> | undefined =>
  Option.getOrUndefined(HashMap.get(log.blocks, Math.floor(position / BLOCK)))

export const push = <A>(log: Log<A>, item: A): Log<A> => {
  const { tail } = log
  const block = tail % BLOCK === 0 ? [item] : [...(blockOf(log, tail) ?? []), item]
  return { blocks: HashMap.set(log.blocks, Math.floor(tail / BLOCK), block), head: log.head, tail: tail + 1 }
}

/** The item at a position, if it is there. */
export const get = <A>(log: Log<A>, position: number): A | undefined =>
  position < log.head || position >= log.tail ? undefined : blockOf(log, position)?.[position % BLOCK]

/** The log without the item at `position`; a block left empty goes. */
export const remove = <A>(log: Log<A>, position: number): Log<A> => {
  const block = get(log, position) === undefined ? undefined : blockOf(log, position)
  if (block === undefined) return log
  const number = Math.floor(position / BLOCK)
  const copy = block.slice()
  copy[position % BLOCK] = undefined
  // the last block stays, for `push` to fill: a block is empty only once every slot it will ever hold is gone
  const full = number < Math.floor(log.tail / BLOCK) || (number + 1) * BLOCK === log.tail
  const blocks =
    full && copy.every((item) => item === undefined)
      ? HashMap.remove(log.blocks, number)
      : HashMap.set(log.blocks, number, copy)
  return { blocks, head: log.head, tail: log.tail }
}

export const oldest = <A>(log: Log<A>): A | undefined => get(log, log.head)

/** Drops the oldest slot (a queue's dequeue); a block whose last slot that was goes. */
export const dropOldest = <A>(log: Log<A>): Log<A> => {
  if (size(log) === 0) return log
  const head = log.head + 1
  // the block of the old head is all gone once the new head starts the next one
  const blocks = head % BLOCK === 0 ? HashMap.remove(log.blocks, head / BLOCK - 1) : log.blocks
  return { blocks, head, tail: log.tail }
}

/**
 * Visits the items from position `from` on, in order, until `visit` returns false or `maxSlots` slots were looked
 * at (missing blocks count as their 32); answers the position to go on from, or undefined at the end of the log.
 */
export const scan = <A>(
  log: Log<A>,
  from: number,
  maxSlots: number,
  visit: (item: A, position: number) => boolean
): number | undefined => {
  let position = Math.max(from, log.head)
  const end = Math.min(log.tail, position + maxSlots)
  while (position < end) {
    const block = blockOf(log, position)
    const stop = Math.min(end, (Math.floor(position / BLOCK) + 1) * BLOCK)
    if (block === undefined) {
      position = stop
      continue
    }
    for (; position < stop; position++) {
      const item = block[position % BLOCK]
      if (item !== undefined && !visit(item, position)) return position + 1 < log.tail ? position + 1 : undefined
    }
  }
  return position < log.tail ? position : undefined
}

/** Every item, oldest first. */
export const toArray = <A>(log: Log<A>): Array<A> => {
  const out: Array<A> = []
  scan(log, log.head, log.tail - log.head, (item) => {
    out.push(item)
    return true
  })
  return out
}
