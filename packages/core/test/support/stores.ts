/**
 * Token stores wrapped for tests: counting operations, running something just before a claim or around a commit,
 * and a node's process dying between a refresh's answer and its commit.
 */
import { Deferred, Effect } from "effect"
import type { TokenStore } from "../../src/index.js"

type Operation = keyof TokenStore.Service

/** The store, with a count of every operation made through it. */
export const counting = (store: TokenStore.Service) => {
  const counts: Record<Operation, number> = {
    get: 0,
    insert: 0,
    claim: 0,
    commit: 0,
    release: 0,
    markDead: 0,
    remove: 0,
    scan: 0
  }
  const count =
    <A extends ReadonlyArray<unknown>, B>(operation: Operation, f: (...args: A) => B) =>
    (...args: A): B => {
      counts[operation]++
      return f(...args)
    }
  const counted: TokenStore.Service = {
    get: count("get", store.get),
    insert: count("insert", store.insert),
    claim: count("claim", store.claim),
    commit: count("commit", store.commit),
    release: count("release", store.release),
    markDead: count("markDead", store.markDead),
    remove: count("remove", store.remove),
    scan: count("scan", store.scan)
  }
  return { store: counted, counts }
}

/** What to do around some operations of a store. */
export interface Hooks {
  /** Runs just before each claim is made. */
  readonly beforeClaim?: (grantId: string) => Effect.Effect<unknown>
  /** Stands in for each commit: `commit` is the real one, to run (or not) as the test decides. */
  readonly commit?: (
    grantId: string,
    commit: Effect.Effect<TokenStore.WriteOutcome, TokenStore.TokenStoreError>
  ) => Effect.Effect<TokenStore.WriteOutcome, TokenStore.TokenStoreError>
}

/** The store with `hooks` around its claims and commits. */
export const hooked = (store: TokenStore.Service, hooks: Hooks): TokenStore.Service => ({
  ...store,
  claim: (grantId, lease) => Effect.zipRight(hooks.beforeClaim?.(grantId) ?? Effect.void, store.claim(grantId, lease)),
  commit: (grantId, version, tokens) =>
    hooks.commit === undefined
      ? store.commit(grantId, version, tokens)
      : hooks.commit(grantId, store.commit(grantId, version, tokens))
})

/**
 * A node's view of the shared store whose process can die: once `crashAtNextCommit` is armed, the next commit
 * never lands and from then on nothing the node does reaches the store, as if its process had died with the
 * refresh's answer in hand. The node is then disposed by the test (its scope closed).
 */
export const mortal = (store: TokenStore.Service) => {
  const state = { armed: false, dead: false }
  const died = Effect.dieMessage("the node's process died")
  const guard = <A, E>(operation: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.suspend(() => (state.dead ? died : operation))
  const view: TokenStore.Service = {
    get: (grantId) => guard(store.get(grantId)),
    insert: (grant) => guard(store.insert(grant)),
    claim: (grantId, lease) => guard(store.claim(grantId, lease)),
    commit: (grantId, version, tokens) =>
      Effect.suspend(() => {
        if (state.armed) state.dead = true
        return guard(store.commit(grantId, version, tokens))
      }),
    release: (grantId, version, backoff) => guard(store.release(grantId, version, backoff)),
    markDead: (grantId, version, reason) => guard(store.markDead(grantId, version, reason)),
    remove: (grantId) => guard(store.remove(grantId)),
    scan: (query) => guard(store.scan(query))
  }
  return {
    store: view,
    crashAtNextCommit: () => {
      state.armed = true
    },
    get dead() {
      return state.dead
    }
  }
}

/**
 * The store whose commits wait at a gate: `committing` ends once a commit is waiting (the refresh's answer is in
 * hand), `open` lets every commit through.
 */
export const gated = (store: TokenStore.Service) =>
  Effect.gen(function* () {
    const gate = yield* Deferred.make<void>()
    const waiting = yield* Deferred.make<void>()
    return {
      store: hooked(store, {
        commit: (_, commit) =>
          Deferred.succeed(waiting, undefined).pipe(Effect.zipRight(Deferred.await(gate)), Effect.zipRight(commit))
      }),
      committing: Deferred.await(waiting),
      open: Deferred.succeed(gate, undefined)
    }
  })
