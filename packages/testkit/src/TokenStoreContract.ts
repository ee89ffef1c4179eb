/**
 * The `TokenStore` contract as a property-based, concurrent Vitest suite that any store runs against itself: ours
 * (memory, SQLite, PostgreSQL) and yours (Redis, DynamoDB…). One call registers it:
 *
 * ```ts
 * import { TokenStore } from "@hm-oauth/core"
 * import * as TokenStoreContract from "@hm-oauth/testkit/TokenStoreContract"
 *
 * TokenStoreContract.suite("the memory store", TokenStore.layerMemory)
 * ```
 *
 * Each property names the rule it checks (the rules are stated on `TokenStore.Service`): a new grant as given,
 * `insert` never overwriting a different live grant, N concurrent claimers with exactly one winner, leases that
 * run out under `TestClock`, stale-version writes refused, one winner among concurrent writes of one version, a
 * commit without a refresh token keeping the stored one, backoffs and doubt, dead grants never written, `remove`,
 * scan pages covering every matching grant once, and concurrent writers forming one chain of versions.
 *
 * Every case provides `layer` anew. A layer over one shared database is fine: each case writes and scans only grant
 * ids under a namespace of its own. The store must read Effect's `Clock` at each operation (never the database's
 * clock), since leases are checked under `TestClock`.
 *
 * A module of its own, outside the package index: it imports `@effect/vitest` and `vitest` (optional peer
 * dependencies), which only a test run has.
 *
 * @since 0.2.0
 */
import { describe } from "@effect/vitest"
import type { TokenStore } from "@hm-oauth/core"
import { FastCheck as fc, type Layer } from "effect"
import { register } from "./internal/tokenStoreContract/properties.js"

/**
 * How the suite runs: cases per property (default 25, scaled by fast-check's global `numRuns` over its default of
 * 100), and the time limit of each property in milliseconds (default 60 seconds).
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  readonly runs?: number | undefined
  readonly timeout?: number | undefined
}

const defaultRuns = 25
const fastCheckDefaultRuns = 100

/**
 * Registers the contract's properties in a `describe` block named `name`, each case against a fresh `layer`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const suite = <E>(name: string, layer: Layer.Layer<TokenStore.TokenStore, E>, options: Options = {}): void => {
  const scale = (fc.readConfigureGlobal().numRuns ?? fastCheckDefaultRuns) / fastCheckDefaultRuns
  const runs = options.runs ?? Math.max(1, Math.round(defaultRuns * scale))
  describe(name, () => register(layer, { runs, timeout: options.timeout ?? 60_000 }))
}
