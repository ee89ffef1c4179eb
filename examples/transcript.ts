/** Prints the example's steps as a numbered transcript. Token values never appear: `Redacted` prints as such. */
import type { TokenSet } from "@hm-oauth/core"
import { Console, DateTime, Option } from "effect"

let count = 0

/** One numbered line: what was done, and what came of it. */
export const step = (action: string, outcome: string) => {
  count += 1
  return Console.log(`${String(count).padStart(2)}. ${action.padEnd(19)} ${outcome}`)
}

/** How many steps have been printed. */
export const steps = () => count

/** A token set in one line. */
export const describeTokens = (set: TokenSet.TokenSet) =>
  [
    `access token ${set.accessToken}`,
    Option.match(set.refreshToken, {
      onNone: () => "no refresh token",
      onSome: (refresh) => `refresh token ${refresh}`
    }),
    `expires ${DateTime.formatIso(set.expiresAt)}`,
    `scopes [${set.scopes.join(" ")}]`,
    `status ${set.status}`
  ].join(", ")
