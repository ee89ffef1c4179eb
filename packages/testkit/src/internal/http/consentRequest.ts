/**
 * Reading the consent page's query (RFC 6749 §4.1.1, with High Mobility's parameters) into a checked request, in
 * the order RFC 6749 §4.1.2.1 asks: until the client and its redirect URI are known, a problem is told to the owner
 * on a page (redirecting would hand the answer to whoever wrote the link); after, it goes back to the app as an
 * OAuth error with its `state`.
 */
import { Either } from "effect"
import type * as Model from "../../Model.js"

/** A consent request, checked, less the owner's choices (which car, approve now or later). */
export type ConsentRequest = Omit<Model.AuthorizeRequest, "vin" | "status">

/** Who answers a refused request: the owner, on a page, or the app, at its trusted redirect URI. */
export type Refusal =
  | { readonly _tag: "ToOwner"; readonly problem: string }
  | {
      readonly _tag: "ToApp"
      readonly redirectUri: string
      readonly state: string | undefined
      readonly error: "invalid_request"
      readonly description: string
    }

/** The fake-only parameters that answer at once, for tests and curl: which car, pending or approved, or denied. */
export interface Shortcut {
  readonly vin: string | undefined
  readonly status: "approved" | "pending" | undefined
  readonly deny: boolean
}

/** A request whose client and redirect URI are trusted and whose parameters are each well-formed. */
export interface CheckedRequest {
  readonly request: ConsentRequest
  readonly state: string
  /** Present when a shortcut parameter was given: no page then, the answer at once. */
  readonly shortcut: Shortcut | undefined
}

const isStatus = (status: string): status is "approved" | "pending" => status === "approved" || status === "pending"

/** Every parameter with its first value, and the names given more than once (RFC 6749 §3.1: never allowed). */
const readQuery = (search: string) => {
  const values = new Map<string, string>()
  const repeated = new Set<string>()
  for (const [name, value] of new URLSearchParams(search)) {
    if (values.has(name)) repeated.add(name)
    else values.set(name, value)
  }
  return { values, repeated }
}

// ISO 8601 as HM writes it (`2021-05-19T12:48:39.843785Z`), or a date; a time needs its zone, or the instant
// would depend on where the server runs
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-](\d{2}):(\d{2})))?$/

/** Epoch milliseconds of an ISO 8601 instant, or undefined; digits past the millisecond are dropped. */
const isoInstant = (text: string): number | undefined => {
  const match = ISO_INSTANT.exec(text)
  if (match === null) return undefined
  const [, year, month, day, hour = "0", minute = "0", second = "0", , , offsetHours = "0", offsetMinutes = "0"] = match
  const [y, m, d] = [Number(year), Number(month), Number(day)]
  // `Date.parse` takes 2026-02-30 for March 2nd: each field must be in its range
  const inRange =
    m >= 1 &&
    m <= 12 &&
    d >= 1 &&
    d <= new Date(Date.UTC(y, m, 0)).getUTCDate() &&
    Number(hour) <= 23 &&
    Number(minute) <= 59 &&
    Number(second) <= 59 &&
    Number(offsetHours) <= 23 &&
    Number(offsetMinutes) <= 59
  return inRange ? Date.parse(text.replace(/(\.\d{3})\d+/, "$1")) : undefined
}

/**
 * Checks the consent page's query against the registered clients (`redirectUris` of the client named, or none if
 * it is unknown): a checked request, or who is told what.
 */
export const checkQuery = (
  search: string,
  redirectUrisOf: (clientId: string) => ReadonlyArray<string> | undefined
): Either.Either<CheckedRequest, Refusal> => {
  const { values, repeated } = readQuery(search)
  const toOwner = (problem: string) => Either.left<Refusal>({ _tag: "ToOwner", problem })
  for (const name of ["client_id", "redirect_uri"]) {
    if (repeated.has(name)) return toOwner(`${name} is given more than once.`)
    if (!values.has(name)) return toOwner(`${name} is missing.`)
  }
  const clientId = values.get("client_id")!
  const redirectUri = values.get("redirect_uri")!
  const redirectUris = redirectUrisOf(clientId)
  if (redirectUris === undefined) return toOwner(`Unknown client_id ${JSON.stringify(clientId)}.`)
  // RFC 9700 §4.1.3: an exact string match, no normalisation
  if (!redirectUris.includes(redirectUri)) {
    return toOwner(`redirect_uri ${JSON.stringify(redirectUri)} is not registered for this client.`)
  }

  // the redirect URI is trusted from here on
  const state = repeated.has("state") ? undefined : values.get("state")
  const toApp = (description: string) =>
    Either.left<Refusal>({ _tag: "ToApp", redirectUri, state, error: "invalid_request", description })
  const [again] = repeated
  if (again !== undefined) return toApp(`${again} is given more than once`)
  // the app's only defence against a forged callback (RFC 6749 §10.12): HM's SDKs always send one
  if (state === undefined || state === "") return toApp("state is required")
  const dates: Record<string, number | undefined> = {}
  for (const name of ["validity_start_date", "validity_end_date"]) {
    const text = values.get(name)
    if (text === undefined) continue
    dates[name] = isoInstant(text)
    if (dates[name] === undefined) return toApp(`${name} is not an ISO 8601 instant`)
  }
  const status = values.get("status")
  if (status !== undefined && !isStatus(status)) return toApp("status is approved or pending")
  const deny = values.get("deny")
  if (deny !== undefined && deny !== "1") return toApp("deny is 1")
  const vin = values.get("vin")
  const scope = values.get("scope")
  const request: ConsentRequest = {
    clientId,
    redirectUri,
    scopes: scope?.split(" ").filter((one) => one !== ""),
    codeChallenge: values.get("code_challenge"),
    codeChallengeMethod: values.get("code_challenge_method"),
    appId: values.get("app_id"),
    validFrom: dates.validity_start_date,
    validUntil: dates.validity_end_date
  }
  const shortcut =
    vin === undefined && status === undefined && deny === undefined
      ? undefined
      : { vin, status, deny: deny !== undefined }
  return Either.right({ request, state, shortcut })
}
