/**
 * The fake's faithful policies the catalogue must pass in: each a way a real server may differ from the defaults
 * and still keep every rule (rotation off, a reuse grace, RFC error codes, 201s, HTTP Basic, HM's other 401 shapes,
 * short lifetimes, refreshes past the validity end). Two give up a check, which their `failing` names:
 * `cascadeRevocation: false` a SHOULD, and HM's other 401 shape the OpenAPI document's vehicle-info error.
 */
import type * as Model from "../../src/Model.js"

export interface Policy {
  readonly name: string
  readonly policy: Partial<Model.Policy>
  /** The check ids expected to fail: SHOULDs the policy gives up. */
  readonly failing: ReadonlyArray<string>
}

export const policies: ReadonlyArray<Policy> = [
  { name: "default", policy: {}, failing: [] },
  { name: "no rotation", policy: { rotateRefreshTokens: false }, failing: [] },
  { name: "reuse grace 30 s", policy: { refreshReuseGrace: 30 }, failing: [] },
  { name: "RFC 6749 error codes", policy: { errorStyle: "rfc6749" }, failing: [] },
  { name: "201 on success", policy: { successStatus: 201 }, failing: [] },
  { name: "HTTP Basic accepted", policy: { clientSecretBasic: true }, failing: [] },
  // the shape HM's other resource APIs answer 401 with is not the one the document gives vehicle info
  { name: "HM's other 401 shape", policy: { resourceErrorShape: "errors" }, failing: ["wire/openapi"] },
  { name: "short lifetimes", policy: { accessTokenLifetime: 600, codeLifetime: 60 }, failing: [] },
  { name: "refresh past validity issues", policy: { refreshAfterValidityEnd: "issue" }, failing: [] },
  { name: "no cascade", policy: { cascadeRevocation: false }, failing: ["revocation/refresh-token-cascades"] }
]

/** The ids of the checks that failed or errored in a report. */
export const broken = (results: ReadonlyArray<{ readonly id: string; readonly outcome: { readonly _tag: string } }>) =>
  results
    .filter((result) => result.outcome._tag === "Failed" || result.outcome._tag === "Errored")
    .map((result) => result.id)
