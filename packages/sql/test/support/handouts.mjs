// How the chaos test's nodes record the tokens they hand out, and how the driver reads the record back: one line per
// token, `GRANT DIGEST BEFORE AFTER MOVED`: the node's clock when the caller asked and when it had the token, and
// whether the clock was moved in between (then the token must have been valid at some moment of the call; else at the
// end of it). The digest names the token without revealing it; the driver finds it among the fake's tokens by the
// same digest. Plain JavaScript, for the node processes (test/fixtures/chaos-node.mjs) too.
import { createHash } from "node:crypto"

/** A digest of a token value: 132 bits of its SHA-256, enough to tell apart every token a run issues. */
export const digest = (value) => createHash("sha256").update(value).digest("base64url").slice(0, 22)

/** One handout as a line of the record. */
export const line = (grantId, value, before, after, moved) =>
  `${grantId} ${digest(value)} ${before} ${after} ${moved ? 1 : 0}\n`

/** The handouts a record's text holds. */
export const parse = (text) =>
  text
    .split("\n")
    .filter((row) => row !== "")
    .map((row) => {
      const [grantId, tokenDigest, before, after, moved] = row.split(" ")
      return { grantId, digest: tokenDigest, before: Number(before), after: Number(after), moved: moved === "1" }
    })
