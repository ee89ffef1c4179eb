import { HashMap, Option } from "effect"

const BLOCK = 32

/**
 * A persistent first-in first-out queue. Items sit in blocks of 32 kept in a HashMap by block number: a push
 * copies at most the last block and updates one entry of a small map, dropping the oldest item removes a
 * block once all of it is gone, and every older queue stays valid.
 */
export interface Queue<A> {
  readonly blocks: HashMap.HashMap<number, ReadonlyArray<A>>
  /** Position of the oldest item. */
  readonly head: number
  /** Position the next item will take. */
  readonly tail: number
}

export const empty = <A>(): Queue<A> => ({ blocks: HashMap.empty(), head: 0, tail: 0 })

export const size = <A>(queue: Queue<A>): number => queue.tail - queue.head

const blockOf = <A>(queue: Queue<A>, position: number): ReadonlyArray<A> =>
  Option.getOrElse(HashMap.get(queue.blocks, Math.floor(position / BLOCK)), () => [])

export const push = <A>(queue: Queue<A>, item: A): Queue<A> => {
  const { tail } = queue
  const block = tail % BLOCK === 0 ? [item] : [...blockOf(queue, tail), item]
  return { blocks: HashMap.set(queue.blocks, Math.floor(tail / BLOCK), block), head: queue.head, tail: tail + 1 }
}

export const oldest = <A>(queue: Queue<A>): A | undefined =>
  size(queue) === 0 ? undefined : blockOf(queue, queue.head)[queue.head % BLOCK]

export const dropOldest = <A>(queue: Queue<A>): Queue<A> => {
  if (size(queue) === 0) return queue
  const head = queue.head + 1
  // the block of the old head is all gone once the new head starts the next one
  const blocks = head % BLOCK === 0 ? HashMap.remove(queue.blocks, head / BLOCK - 1) : queue.blocks
  return { blocks, head, tail: queue.tail }
}

export const toArray = <A>(queue: Queue<A>): Array<A> => {
  const out: Array<A> = []
  for (let position = queue.head; position < queue.tail; position += BLOCK - (position % BLOCK)) {
    const block = blockOf(queue, position)
    out.push(...block.slice(position % BLOCK, Math.min(BLOCK, (position % BLOCK) + queue.tail - position)))
  }
  return out
}
