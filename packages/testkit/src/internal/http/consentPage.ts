/**
 * The owner panel's consent page, `GET /oauth/new`: the page a person clicks through, and its form's post back,
 * `POST /oauth/new`, which answers 303 to `redirect_uri?code=…&state=…` (or `?error=access_denied&state=…`).
 * The query is checked first (`consentRequest.ts`): an unknown client or an unregistered `redirect_uri` gets a
 * 400 page and no redirect; any later problem goes back to the app as an OAuth error with `state`.
 *
 * Fake-only shortcuts, for tests and curl, answer 302 at once with no page: `vin=` (which car), `status=approved`
 * or `status=pending` (BMW-style pending consent; the car is the first registered without `vin`), `deny=1` (the
 * owner declines: `error=access_denied`).
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Either, Option, Redacted } from "effect"
import { FakeServer } from "../../FakeServer.js"
import * as Model from "../../Model.js"
import { declaredTooLarge } from "../bodyLimit.js"
import { readForm } from "../fields.js"
import * as ConsentForms from "./consentForms.js"
import { consentForm, headers, refusal } from "./consentHtml.js"
import { type CheckedRequest, checkQuery, type Refusal } from "./consentRequest.js"

// the cars a form lists; more are typed in
const LISTED_VEHICLES = 20

// the browser's owner id, which binds each form to the browser it was shown to
const OWNER_COOKIE = "hm_testkit_owner"

/** A page of ours, with the headers that keep it out of caches and frames. */
const htmlPage = (html: string, status = 200) =>
  HttpServerResponse.text(html, { status, contentType: "text/html; charset=utf-8", headers })

const refusalPage = (problem: string) => htmlPage(refusal(problem), 400)

/** `redirect_uri` with the answer's parameters appended; a custom-scheme URI need not parse as a URL. */
const redirectTo = (redirectUri: string, params: Record<string, string | undefined>, status: 302 | 303) => {
  const query = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, value)
  return HttpServerResponse.redirect(`${redirectUri}${redirectUri.includes("?") ? "&" : "?"}${query}`, { status })
}

/** An OAuth error at the app's redirect URI (RFC 6749 §4.1.2.1), with its `state`. */
const appError = (
  redirectUri: string,
  state: string | undefined,
  error: string,
  description: string,
  status: 302 | 303
) => redirectTo(redirectUri, { error, error_description: description, state }, status)

const refuse = (refused: Refusal, status: 302 | 303) =>
  refused._tag === "ToOwner"
    ? refusalPage(refused.problem)
    : appError(refused.redirectUri, refused.state, refused.error, refused.description, status)

/** Why the model refused a consent whose redirect URI is trusted: sent back as an OAuth error. */
const errorDescription = (error: Model.AuthorizeError): string => {
  switch (error._tag) {
    case "UnknownVehicle":
      return `vehicle ${error.vin} is not registered`
    case "NoVehicleRegistered":
      return "no vehicle is registered"
    case "InvalidCodeChallenge":
      return error.reason === "missing"
        ? "code_challenge is required for a public client"
        : error.reason === "unsupported_method"
          ? "code_challenge_method is not supported"
          : "code_challenge is invalid"
    case "InvalidValidityPeriod":
      return error.reason === "ends_before_start"
        ? "validity_end_date is not after validity_start_date"
        : "a validity date is out of range"
    case "UnknownClient":
    case "UnregisteredRedirectUri":
      return error._tag
  }
}

/** The owner's answer: the code, or the model's refusal, at the app's redirect URI. */
const consent = (request: Model.AuthorizeRequest, state: string, status: 302 | 303) =>
  Effect.gen(function* () {
    const authorized = yield* Effect.either((yield* FakeServer).authorize(request))
    return Either.isRight(authorized)
      ? redirectTo(request.redirectUri, { code: Redacted.value(authorized.right.code), state }, status)
      : appError(request.redirectUri, state, "invalid_request", errorDescription(authorized.left.reason), status)
  })

const denied = (redirectUri: string, state: string, status: 302 | 303) =>
  appError(redirectUri, state, "access_denied", "The owner declined.", status)

/** The two routes of one served fake, sharing its forms. */
export const consentPage = (
  maxBodyBytes: number,
  forms: ConsentForms.ConsentForms<Omit<CheckedRequest, "shortcut">> = ConsentForms.make()
) => {
  const show = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const server = yield* FakeServer
    const search = new URL(request.url, "http://fake.invalid").search
    const checked = yield* server.read((state) =>
      checkQuery(search, (clientId) => Option.getOrUndefined(Model.client(state, clientId))?.redirectUris)
    )
    if (Either.isLeft(checked)) return refuse(checked.left, 302)
    const { request: asked, state, shortcut } = checked.right
    if (shortcut !== undefined) {
      return shortcut.deny
        ? denied(asked.redirectUri, state, 302)
        : yield* consent({ ...asked, vin: shortcut.vin, status: shortcut.status }, state, 302)
    }
    // a dry run of the consent on the current state, discarded: what the form shows, and any refusal before it
    const view = yield* server.read((model, now) => {
      const vins: Array<string> = []
      for (const vin of model.vehicles.keys()) {
        if (vins.length === LISTED_VEHICLES) break
        vins.push(vin)
      }
      return {
        vins,
        moreVins: model.vehicles.size - vins.length,
        tried: Either.map(Model.authorize(model, now, asked), ([authorized, after]) =>
          Option.getOrUndefined(Model.consent(after, authorized.authorizationId))
        )
      }
    })
    if (Either.isLeft(view.tried) && view.tried.left._tag !== "NoVehicleRegistered") {
      return appError(asked.redirectUri, state, "invalid_request", errorDescription(view.tried.left), 302)
    }
    const known = Either.getOrUndefined(view.tried)
    const cookie = request.cookies[OWNER_COOKIE]
    const owner = cookie !== undefined && /^[\w-]{43}$/.test(cookie) ? cookie : ConsentForms.randomToken()
    const token = forms.issue({ request: asked, state }, owner, yield* server.now)
    const page = htmlPage(
      consentForm({
        clientId: asked.clientId,
        appId: asked.appId,
        scopes: known?.scopes,
        validFrom: asked.validFrom,
        validUntil: asked.validUntil,
        vins: view.vins,
        moreVins: view.moreVins,
        token
      })
    )
    return owner === cookie
      ? page
      : HttpServerResponse.unsafeSetCookie(page, OWNER_COOKIE, owner, {
          httpOnly: true,
          sameSite: "strict",
          path: "/oauth"
        })
  })

  const submit = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const server = yield* FakeServer
    if (declaredTooLarge(request.headers, maxBodyBytes)) return refusalPage("The form is too large.")
    const body = yield* request.text.pipe(HttpServerRequest.withMaxBodySize(Option.some(maxBodyBytes)), Effect.option)
    if (Option.isNone(body)) return refusalPage("The form is too large.")
    const form = readForm(body.value)
    if (Either.isLeft(form)) return refusalPage(`The form is malformed: ${form.left}.`)
    const { consent_token: token, decision, vin, other_vin: typed } = form.right
    if (decision !== "approve" && decision !== "pending" && decision !== "deny") {
      return refusalPage("The form's answer is missing: Approve, Approve later or Deny.")
    }
    const shown = forms.take(token ?? "", request.cookies[OWNER_COOKIE], yield* server.now)
    if (shown === undefined) {
      return refusalPage("This consent form has expired or was used already: open the app's consent link again.")
    }
    if (decision === "deny") return denied(shown.request.redirectUri, shown.state, 303)
    // a VIN typed in is the owner's latest choice, over the radio button left on the first car
    const chosen = typed?.trim() || vin || undefined
    return yield* consent(
      { ...shown.request, vin: chosen, status: decision === "pending" ? "pending" : "approved" },
      shown.state,
      303
    )
  })

  return { show, submit }
}
