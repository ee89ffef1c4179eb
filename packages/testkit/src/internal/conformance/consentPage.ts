/**
 * Codes from an HM-style consent page under the base URL, as the project's fake serves one: the page consents on
 * request and answers 302 to `redirect_uri?code=…&state=…`. `vin=` is always passed, so a page a person can click
 * still answers at once.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { Effect, Redacted } from "effect"
import { type Consent, DriverError } from "./driver.js"
import { recorder, send } from "./exchange.js"

/** An HM-style consent page under the base URL: `GET path?client_id&redirect_uri&state&vin[&code_challenge]` → 302. */
export const consentPage = (
  http: HttpClient.HttpClient,
  baseUrl: string,
  page: { readonly path: string; readonly pending: boolean }
) =>
  Effect.map(
    recorder([]),
    (kept): Consent => ({
      pending: page.pending,
      authorize: (request) =>
        Effect.gen(function* () {
          const query = new URLSearchParams({
            client_id: request.clientId,
            redirect_uri: request.redirectUri,
            state: request.state,
            vin: request.vin
          })
          if (request.codeChallenge !== undefined) query.set("code_challenge", request.codeChallenge)
          if (request.pending === true) query.set("status", "pending")
          const answer = yield* send(http, baseUrl, kept, { method: "GET", path: `${page.path}?${query}` })
          const params = new URLSearchParams((answer.headers.location ?? "").split("?")[1] ?? "")
          const code = params.get("code")
          if (answer.status !== 302 || code === null) {
            const why = params.get("error_description") ?? `status ${answer.status}`
            return yield* Effect.fail(
              new DriverError({ operation: "consent page", problem: `no code in the redirect (${why})` })
            )
          }
          return Redacted.make(code)
        })
    })
  )
