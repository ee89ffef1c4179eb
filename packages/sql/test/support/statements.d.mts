import type { Effect } from "effect"

/** Counts the statements (by their first word: `SELECT`, `UPDATE`…, in order) that `counting(effect)` runs. */
export interface StatementCounter {
  readonly statements: ReadonlyArray<string>
  readonly counting: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

export declare const statementCounter: Effect.Effect<StatementCounter>

/** Runs `effect` and says which statements it ran. */
export declare const countStatements: <A, E, R>(
  effect: Effect.Effect<A, E, R>
) => Effect.Effect<{ readonly result: A; readonly statements: ReadonlyArray<string> }, E, R>
