/**
 * What a failed refresh means for the grant. Only the server's refusal of the refresh token (`InvalidGrant`) can
 * kill it; a lost answer may have rotated the token (so the grant is in doubt); everything else is transient, a
 * refusal of the client's credentials included, since it says nothing about the grant.
 */
import { Duration } from "effect"
import type { TokenEndpointError } from "../../HmOAuthError.js"

export type RefreshFailure =
  /** The server refused the refresh token: the grant is dead, unless the refresh was in doubt (`RotationLost`). */
  | { readonly _tag: "Refused" }
  /** The server may have processed the refresh and its answer never arrived. */
  | { readonly _tag: "Lost"; readonly retryAfter: number }
  /** The refresh did not happen; try again after a backoff, at least `retryAfter` ms. */
  | { readonly _tag: "Transient"; readonly retryAfter: number }

const retryAfterOf = (error: { readonly retryAfter?: Duration.Duration | undefined }): number =>
  error.retryAfter === undefined ? 0 : Duration.toMillis(error.retryAfter)

export const classify = (error: TokenEndpointError): RefreshFailure => {
  switch (error._tag) {
    case "OAuthProtocolError":
      return error.reason === "InvalidGrant" ? { _tag: "Refused" } : { _tag: "Transient", retryAfter: 0 }
    case "OutcomeUnknown":
      return {
        _tag: "Lost",
        retryAfter: error.failure._tag === "ServerUnavailable" ? retryAfterOf(error.failure) : 0
      }
    case "RateLimited":
    case "ServerUnavailable":
      return { _tag: "Transient", retryAfter: retryAfterOf(error) }
    // a timeout or a broken connection on a refresh is `OutcomeUnknown`; these never left, or were not answered
    case "RequestTimeout":
    case "TransportError":
    case "UnexpectedResponse":
      return { _tag: "Transient", retryAfter: 0 }
  }
}

/** How a failure is named in `RefreshUnavailable.cause`, events and the store: tag and message, never a token. */
export const describe = (error: { readonly _tag: string; readonly message: string }): string =>
  `${error._tag}: ${error.message}`

/** The wait before the next attempt after `failures` failures in a row, never shorter than `retryAfter`. */
export const backoffMillis = (
  failures: number,
  retryAfter: number,
  settings: { readonly backoffInitial: number; readonly backoffMax: number }
): number =>
  Math.max(retryAfter, Math.min(settings.backoffMax, settings.backoffInitial * 2 ** Math.max(0, failures - 1)))
