/**
 * The owner panel's consent page, `GET /oauth/new`, consenting at once as the car owner would: a 302 to
 * `redirect_uri?code=…&state=…`. Fake-only parameters choose the outcome: `vin=` (which car; default the first
 * registered), `status=pending` (BMW-style pending consent), `deny=1` (the owner declines: `error=access_denied`).
 * An unknown client or an unregistered `redirect_uri` gets a 400 page and no redirect (RFC 6749 §4.1.2.1):
 * redirecting there would hand the answer to whoever wrote the link.
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { DateTime, Effect, Option, Redacted } from "effect"
import { FakeServer } from "../../FakeServer.js"
import * as Model from "../../Model.js"

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`)

const refusalPage = (problem: string) =>
  HttpServerResponse.html(
    `<!DOCTYPE html><html><head><title>Consent refused</title></head><body><h1>Consent refused</h1><p>${escapeHtml(problem)}</p></body></html>`
  ).pipe(HttpServerResponse.setStatus(400))

/** `redirect_uri` with the answer's parameters appended; a custom-scheme URI need not parse as a URL. */
const redirectTo = (redirectUri: string, params: Record<string, string | undefined>) => {
  const query = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, value)
  return HttpServerResponse.redirect(`${redirectUri}${redirectUri.includes("?") ? "&" : "?"}${query}`, { status: 302 })
}

const instant = (value: string | undefined): number | undefined =>
  value === undefined ? undefined : Option.getOrUndefined(Option.map(DateTime.make(value), DateTime.toEpochMillis))

/** Why a consent was refused after the redirect URI was trusted: sent back as an OAuth error. */
const errorDescription = (error: Model.AuthorizeError): string => {
  switch (error._tag) {
    case "UnknownVehicle":
      return `vehicle ${error.vin} is not registered`
    case "InvalidCodeChallenge":
      return `code_challenge is ${error.reason === "missing" ? "required for a public client" : "invalid"}`
    default:
      return error._tag
  }
}

/** The consent page. */
export const consentPage = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  const query = new URL(request.url, "http://fake.invalid").searchParams
  const get = (name: string) => query.get(name) ?? undefined
  const server = yield* FakeServer
  const model = yield* server.state
  const clientId = get("client_id") ?? ""
  const redirectUri = get("redirect_uri") ?? ""
  const client = Model.client(model, clientId)
  if (Option.isNone(client)) return refusalPage(`Unknown client_id ${JSON.stringify(clientId)}.`)
  if (!client.value.redirectUris.includes(redirectUri)) {
    return refusalPage(`redirect_uri ${JSON.stringify(redirectUri)} is not registered for this client.`)
  }
  const state = get("state")
  if (get("deny") === "1") {
    return redirectTo(redirectUri, { error: "access_denied", error_description: "The owner declined.", state })
  }
  const authorized = yield* Effect.either(
    server.authorize({
      clientId,
      redirectUri,
      vin: get("vin"),
      scopes: get("scope")
        ?.split(" ")
        .filter((scope) => scope !== ""),
      codeChallenge: get("code_challenge"),
      codeChallengeMethod: get("code_challenge_method"),
      appId: get("app_id"),
      validFrom: instant(get("validity_start_date")),
      validUntil: instant(get("validity_end_date")),
      status: get("status") === "pending" ? "pending" : "approved"
    })
  )
  return authorized._tag === "Right"
    ? redirectTo(redirectUri, { code: Redacted.value(authorized.right.code), state })
    : redirectTo(redirectUri, {
        error: "invalid_request",
        error_description: errorDescription(authorized.left.reason),
        state
      })
})
