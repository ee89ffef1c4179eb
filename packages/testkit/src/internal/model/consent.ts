import { Either } from "effect"
import type {
  AuthorizationCode,
  Authorized,
  AuthorizeError,
  AuthorizeRequest,
  Consent,
  ConsentError,
  ConsentRevoker,
  State
} from "../../Model.js"
import { patch, update } from "./copy.js"
import { mint } from "./handles.js"
import { bindChallenge } from "./pkce.js"
import { sweepGrants } from "./prune.js"
import { clientOf, consentOf, putCode, putConsent } from "./records.js"
import { serialUuid, uuid } from "./rng.js"
import { after } from "./time.js"

// the scopes of the spec's example token response
const DEFAULT_SCOPES = ["diagnostics.get.mileage", "doors.get.locks", "windows.get.positions"]

// the range of a Date (ECMA-262 §21.4.1.22): anything beyond is not an instant
const MAX_INSTANT = 8.64e15

const isInstant = (millis: number | undefined): boolean =>
  millis === undefined || (Number.isFinite(millis) && Math.abs(millis) <= MAX_INSTANT)

/** What is wrong with a validity window, if anything: a bound that is no instant, or an end not after the start. */
const checkValidity = (
  validFrom: number | undefined,
  validUntil: number | undefined
): "not_an_instant" | "ends_before_start" | undefined => {
  if (!isInstant(validFrom) || !isInstant(validUntil)) return "not_an_instant"
  return validFrom !== undefined && validUntil !== undefined && validUntil <= validFrom
    ? "ends_before_start"
    : undefined
}

/** The consent page: checks the request, then records an owner's consent and a single-use code for it. */
export const authorize = (
  state: State,
  now: number,
  request: AuthorizeRequest
): Either.Either<readonly [Authorized, State], AuthorizeError> => {
  const { clientId, redirectUri, codeChallenge, codeChallengeMethod, sub, validFrom, validUntil, appId } = request
  const client = clientOf(state, clientId)
  if (client === undefined) return Either.left({ _tag: "UnknownClient", clientId })
  // RFC 9700 §4.1.3: redirect URIs are compared as exact strings, with no normalisation
  if (!client.redirectUris.includes(redirectUri)) return Either.left({ _tag: "UnregisteredRedirectUri", redirectUri })
  // without a choice, the owner's first registered car, as the consent page offers it
  const vin = request.vin ?? state.vehicles.keys().next().value
  if (vin === undefined) return Either.left({ _tag: "NoVehicleRegistered" })
  if (!state.vehicles.has(vin)) return Either.left({ _tag: "UnknownVehicle", vin })
  const validity = checkValidity(validFrom, validUntil)
  if (validity !== undefined) return Either.left({ _tag: "InvalidValidityPeriod", reason: validity })
  const challenge = bindChallenge(state.policy, client.secret === undefined, codeChallenge, codeChallengeMethod)
  if (Either.isLeft(challenge)) return Either.left(challenge.left)

  // the authorization id carries the consent's place in the order, as a value carries its serial (`records.ts`)
  const seq = state.consents.tail
  const [authorizationId, afterId] = serialUuid(state.rng, seq, state.salt)
  const [subject, rng] = sub === undefined ? uuid(afterId) : [sub, afterId]
  const [code, next] = mint(update(state, { rng }), "code")
  const consent: Consent = {
    authorizationId,
    seq,
    code: code.handle,
    clientId,
    vin,
    sub: subject,
    scopes: request.scopes ?? DEFAULT_SCOPES,
    status: request.status ?? "approved",
    createdAt: now,
    // picked one by one: a caller's extra fields must not land in the record
    ...(validFrom === undefined ? {} : { validFrom }),
    ...(validUntil === undefined ? {} : { validUntil }),
    ...(appId === undefined ? {} : { appId })
  }
  const record: AuthorizationCode = {
    handle: code.handle,
    serial: code.serial,
    clientId,
    redirectUri,
    authorizationId,
    issuedAt: now,
    // RFC 6749 §4.1.2: a short-lived code, ten minutes at most by default
    expiresAt: after(now, state.policy.codeLifetime),
    ...(challenge.right === undefined ? {} : { challenge: challenge.right })
  }
  const consented = putCode(putConsent(next, consent), record, code.value)
  // each consent is the one source of new grants: sweeping two for each keeps the dead ones few
  return Either.right([{ code: code.value, authorizationId }, sweepGrants(consented, now, 2)])
}

const changeConsent = (
  state: State,
  authorizationId: string,
  change: (consent: Consent) => Either.Either<Consent, ConsentError>
): Either.Either<State, ConsentError> => {
  const consent = consentOf(state, authorizationId)
  if (consent === undefined) return Either.left({ _tag: "UnknownConsent", authorizationId })
  return Either.map(change(consent), (changed) => (changed === consent ? state : putConsent(state, changed)))
}

/** Approves a pending consent; a revoked consent stays revoked (the owner must authorize again). */
export const approveConsent = (
  state: State,
  now: number,
  authorizationId: string
): Either.Either<State, ConsentError> =>
  changeConsent(state, authorizationId, (consent) => {
    if (consent.status === "revoked") return Either.left({ _tag: "ConsentRevoked", authorizationId })
    return Either.right(
      consent.status === "approved" ? consent : patch(consent, { status: "approved" as const, approvedAt: now })
    )
  })

/**
 * Revokes a consent for good. Its tokens are not touched one by one: every token reads its consent's status
 * when used or inspected, so they all die at once.
 */
export const withdrawConsent = (
  state: State,
  now: number,
  authorizationId: string,
  by: ConsentRevoker = "owner"
): Either.Either<State, ConsentError> =>
  changeConsent(state, authorizationId, (consent) =>
    Either.right(
      consent.status === "revoked"
        ? consent
        : patch(consent, { status: "revoked" as const, revokedAt: now, revokedBy: by })
    )
  )

/** Whether `now` lies inside the consent's validity window (start inclusive, end exclusive). */
export const withinValidity = (consent: Consent, now: number): boolean =>
  (consent.validFrom === undefined || now >= consent.validFrom) &&
  (consent.validUntil === undefined || now < consent.validUntil)
