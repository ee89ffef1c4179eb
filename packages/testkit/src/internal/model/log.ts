import { HashMap, Option } from "effect"

const BLOCK = 32

/**
 * A persistent log: items at positions, in blocks of 32. The newest block is kept apart (`last`), the older ones in a
 * HashMap by block number. Every older log stays valid, for a log reads no slot at or past its own `tail`: so an
 * item appended past the tail goes into the block's array in place, as long as no other log made from the same one
 * claimed that slot first (the array's length says how far slots were claimed); any other change copies the block
 * (at most 32 slots) and, for an older block, updates one map entry. Appending, what a step mostly does, thus copies
 * nothing. A block emptied of its items goes. As a queue (append, drop the oldest) it keeps the history and the
 * expiry queues; with holes, each kind of record by serial, so that a record is found from its serial with no
 * hashing of its value.
 */
export interface Log<A> {
  /** Every block but the newest, by number. */
  readonly blocks: HashMap.HashMap<number, ReadonlyArray<A | undefined>>
  /** The newest block, number `lastBlock` (empty before the first item). */
  readonly last: ReadonlyArray<A | undefined>
  readonly lastBlock: number
  /** Position of the oldest slot that may hold an item. */
  readonly head: number
  /** Position after the newest slot this log holds. */
  readonly tail: number
  /** How many items it holds. */
  readonly count: number
}

export const empty = <A>(): Log<A> => ({ blocks: HashMap.empty(), last: [], lastBlock: 0, head: 0, tail: 0, count: 0 })

/** The number of slots from the oldest to the newest: the number of items when nothing was removed inside. */
export const size = <A>(log: Log<A>): number => log.tail - log.head

const blockAt = <A>(log: Log<A>, number: number): ReadonlyArray<A | undefined> | undefined =>
  number === log.lastBlock ? log.last : Option.getOrUndefined(HashMap.get(log.blocks, number))

/** How many slots of block `number` are this log's: those before its tail. */
const ownSlots = <A>(log: Log<A>, number: number): number => Math.max(0, Math.min(BLOCK, log.tail - number * BLOCK))

/** Whether a block holds no item in its first `slots` slots. */
const holdsNone = <A>(block: ReadonlyArray<A | undefined>, slots: number): boolean => {
  for (let index = 0; index < Math.min(slots, block.length); index++) if (block[index] !== undefined) return false
  return true
}

/**
 * A block every slot of which is claimed, so that nothing is ever appended to it in place again: the new log's tail
 * lies past it, and so it reads every slot. Its array is filled up in place when no other log claimed a slot past
 * `own` (this log's own slots), else copied.
 */
const sealed = <A>(block: ReadonlyArray<A | undefined>, own: number): ReadonlyArray<A | undefined> => {
  if (own === BLOCK && block.length === BLOCK) return block
  const full = (block.length === own ? block : block.slice(0, own)) as Array<A | undefined>
  while (full.length < BLOCK) full.push(undefined)
  return full
}

/** The log with block `number` replaced (undefined: removed). */
const withBlock = <A>(
  log: Log<A>,
  number: number,
  block: ReadonlyArray<A | undefined> | undefined,
  tail: number,
  count: number
): Log<A> => {
  const { head } = log
  if (number === log.lastBlock) {
    return { blocks: log.blocks, last: block ?? [], lastBlock: number, head, tail, count }
  }
  if (number > log.lastBlock) {
    // a newer block takes the place of the newest; the one it displaces joins the map, unless it holds nothing
    const own = ownSlots(log, log.lastBlock)
    const blocks = holdsNone(log.last, own) ? log.blocks : HashMap.set(log.blocks, log.lastBlock, sealed(log.last, own))
    return { blocks, last: block ?? [], lastBlock: number, head, tail, count }
  }
  const blocks = block === undefined ? HashMap.remove(log.blocks, number) : HashMap.set(log.blocks, number, block)
  return { blocks, last: log.last, lastBlock: log.lastBlock, head, tail, count }
}

/** A copy of the log's own slots of a block, to change. */
const ownCopy = <A>(log: Log<A>, number: number, block: ReadonlyArray<A | undefined> | undefined) =>
  (block ?? []).slice(0, ownSlots(log, number))

/** The item at a position, if it is there. */
export const get = <A>(log: Log<A>, position: number): A | undefined =>
  position < log.head || position >= log.tail
    ? undefined
    : blockAt(log, Math.floor(position / BLOCK))?.[position % BLOCK]

/** The log with `item` at `position` (at or after `head`), in place of what was there; the tail follows. */
export const set = <A>(log: Log<A>, position: number, item: A): Log<A> => {
  const number = Math.floor(position / BLOCK)
  const index = position % BLOCK
  const known = blockAt(log, number)
  const own = ownSlots(log, number)
  const tail = Math.max(log.tail, position + 1)
  if (position >= log.tail && known !== undefined && known.length === own && known.length > 0) {
    // past every slot of this log and of any other made from it: appended in place, seen by no older log
    const block = known as Array<A | undefined>
    while (block.length < index) block.push(undefined)
    block.push(item)
    return withBlock(log, number, block, tail, log.count + 1)
  }
  const block = ownCopy(log, number, known)
  while (block.length <= index) block.push(undefined)
  const added = block[index] === undefined ? 1 : 0
  block[index] = item
  return withBlock(log, number, block, tail, log.count + added)
}

/** The log with `item` appended. */
export const push = <A>(log: Log<A>, item: A): Log<A> => set(log, log.tail, item)

/** The log without the item at `position`; a block left empty goes. */
export const remove = <A>(log: Log<A>, position: number): Log<A> => {
  if (get(log, position) === undefined) return log
  const number = Math.floor(position / BLOCK)
  const copy = ownCopy(log, number, blockAt(log, number))
  copy[position % BLOCK] = undefined
  return withBlock(log, number, holdsNone(copy, BLOCK) ? undefined : copy, log.tail, log.count - 1)
}

export const oldest = <A>(log: Log<A>): A | undefined => get(log, log.head)

/** Drops the oldest slot (a queue's dequeue); a block whose last slot that was goes. */
export const dropOldest = <A>(log: Log<A>): Log<A> => {
  if (size(log) === 0) return log
  const head = log.head + 1
  const count = get(log, log.head) === undefined ? log.count : log.count - 1
  const number = Math.floor(log.head / BLOCK)
  // the block of the old head is all gone once the new head starts the next one
  if (head % BLOCK !== 0) return { ...log, head, count }
  const gone = withBlock(log, number, undefined, log.tail, count)
  return { ...gone, head }
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
    const block = blockAt(log, Math.floor(position / BLOCK))
    const stop = Math.min(end, (Math.floor(position / BLOCK) + 1) * BLOCK)
    if (block === undefined || block.length === 0) {
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

/** How many blocks the log holds: what its memory grows with. */
export const blockCount = <A>(log: Log<A>): number =>
  HashMap.size(log.blocks) + (holdsNone(log.last, ownSlots(log, log.lastBlock)) ? 0 : 1)
