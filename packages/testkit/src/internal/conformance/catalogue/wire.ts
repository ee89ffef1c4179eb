/**
 * The wire: what the server answers is what the OpenAPI document describes (checked by the testkit's
 * `SpecValidator`, its known deviations tolerated), JSON and form bodies are both read, a malformed body gets the
 * documented error shape, and no cache may keep a token answer.
 */
import { Effect, FastCheck as fc } from "effect"
import * as SpecValidator from "../../../SpecValidator.js"
import * as Api from "../api.js"
import { type Check, type Context, expect, fail, make } from "../check.js"
import type { Answer } from "../exchange.js"
import { property, variant } from "../property.js"

/** `context`, its every exchange also checked against the document: the violations gathered in `found`. */
const checkedAgainstSpec = (
  context: Context,
  validator: SpecValidator.SpecValidator,
  found: Array<string>
): Context => ({
  ...context,
  send: (request) =>
    Effect.tap(context.send(request), (answer) => {
      const line = { method: request.method, path: request.path }
      const sent = validator.validateRequest({ ...line, headers: request.headers, body: request.body })
      const received = validator.validateResponse(line, answer)
      for (const report of [sent, received]) {
        for (const violation of report.violations) found.push(`${report.exchange}: ${violation}`)
      }
    })
})

/** Every operation once, accepted and refused: exchange, refresh, client credentials, revocation, vehicle info. */
const tour = (context: Context) =>
  Effect.gen(function* () {
    const client = context.driver.clients.confidential
    const grant = yield* Api.login(context)
    const refreshToken = yield* Api.refreshTokenOf(context, grant)
    const refreshed = yield* Api.grantOf(
      context,
      yield* Api.token(context, Api.refreshFields(client, refreshToken)),
      "a refresh"
    )
    yield* Api.token(context, Api.refreshFields(client, "not-a-refresh-token"))
    yield* Api.token(context, { grant_type: "authorization_code", client_id: client.id })
    const account = context.driver.clients.serviceAccount
    if (account !== undefined) {
      yield* Api.token(context, Api.assertionFields(account, yield* Api.assertion(context, account)))
    }
    yield* Api.vehicleInfo(context, refreshed.accessToken)
    yield* Api.vehicleInfo(context, "00000000-0000-4000-8000-000000000000")
    yield* Api.revoke(context, { token: refreshed.refreshToken ?? refreshToken, ...Api.credentials(client) })
    return refreshed
  })

const openApi = make({
  id: "wire/openapi",
  area: "wire",
  title: "every request the kit sends and every answer the server gives fits the OpenAPI document",
  reference: "hm-oauth-rest-v1.yml",
  level: "MUST",
  needs: ["consent"],
  run: (context) =>
    Effect.gen(function* () {
      const validator = SpecValidator.make()
      const found: Array<string> = []
      yield* tour(checkedAgainstSpec(context, validator, found))
      if (found.length > 0) yield* fail(context, `answers break the OpenAPI document:\n${found.join("\n")}`)
    })
})

const formBodies = make({
  id: "wire/form-bodies",
  area: "wire",
  title: "form-encoded bodies are read as JSON ones are: exchange, refresh and revocation",
  reference: "RFC 6749 §4.1.3, API-NOTES (HM's samples send forms)",
  level: "SHOULD",
  needs: ["consent"],
  run: (context) =>
    Effect.gen(function* () {
      const client = context.driver.clients.confidential
      const code = yield* Api.authorize(context, client)
      const grant = yield* Api.grantOf(
        context,
        yield* Api.token(context, Api.exchangeFields(client, code), "form"),
        "a form-encoded code exchange"
      )
      const refreshToken = yield* Api.refreshTokenOf(context, grant)
      const refreshed = yield* Api.grantOf(
        context,
        yield* Api.token(context, Api.refreshFields(client, refreshToken), "form"),
        "a form-encoded refresh"
      )
      const revoked = yield* Api.revoke(context, { token: refreshed.accessToken, ...Api.credentials(client) }, "form")
      yield* expect(context, revoked.status === 200, `a form-encoded revocation answered ${revoked.status}`)
      const read = yield* Api.vehicleInfo(context, refreshed.accessToken)
      yield* expect(context, read.status === 401, "a form-encoded revocation revoked nothing")
    })
})

/** Bodies no token endpoint can read, each with the media type it is sent as. */
const malformed = variant<{ readonly body: string; readonly contentType: string }>({
  "JSON cut short": { body: '{"grant_type":"refresh_token"', contentType: "application/json" },
  "a JSON array": { body: '["grant_type","refresh_token"]', contentType: "application/json" },
  "JSON null": { body: "null", contentType: "application/json" },
  "a number where a string goes": { body: '{"grant_type":1,"client_id":2}', contentType: "application/json" },
  "a member named twice": {
    body: '{"grant_type":"refresh_token","grant_type":"client_credentials"}',
    contentType: "application/json"
  },
  "a form field named twice": {
    body: "grant_type=refresh_token&grant_type=client_credentials",
    contentType: "application/x-www-form-urlencoded"
  },
  "another media type": { body: "grant_type: refresh_token", contentType: "text/plain" },
  "a control character": { body: "{\u0000}", contentType: "application/json" }
})

/** Whether `answer` is the documented error: 400 (or 401/415 as RFC 6749 allows) with string `error` fields. */
const documentedError = (answer: Answer) =>
  answer.status >= 400 &&
  answer.status < 500 &&
  typeof Api.field(answer, "error") === "string" &&
  typeof Api.field(answer, "error_description") === "string"

const malformedBodies = make({
  id: "wire/malformed-body",
  area: "wire",
  title: "a malformed body is refused with the documented error shape, `{ error, error_description }`",
  reference: "hm-oauth-rest-v1.yml L94-109, RFC 6749 §5.2, §3.2",
  level: "MUST",
  needs: [],
  run: (context) =>
    property(context, fc.tuple(malformed, fc.constantFrom<"POST" | "DELETE">("POST", "DELETE")), ([sent, method]) =>
      Effect.gen(function* () {
        const answer = yield* context.send({
          method,
          path: "/v1/access_tokens",
          headers: { "content-type": sent.apply.contentType },
          body: sent.apply.body
        })
        yield* expect(
          context,
          documentedError(answer),
          `a malformed body got ${answer.status} without the error shape`,
          {
            body: sent.name,
            method
          }
        )
      })
    )
})

/** The accepted token answers of a login, a refresh and, with a service account, client credentials. */
const tokenAnswers = (context: Context) =>
  Effect.gen(function* () {
    const grant = yield* Api.login(context)
    const refreshToken = yield* Api.refreshTokenOf(context, grant)
    const refreshed = yield* Api.grantOf(
      context,
      yield* Api.token(context, Api.refreshFields(context.driver.clients.confidential, refreshToken)),
      "a refresh"
    )
    const answers = [grant.answer, refreshed.answer]
    const account = context.driver.clients.serviceAccount
    if (account === undefined) return answers
    const signed = yield* Api.assertion(context, account)
    const issued = yield* Api.grantOf(
      context,
      yield* Api.token(context, Api.assertionFields(account, signed)),
      "client credentials"
    )
    return [...answers, issued.answer]
  })

const noStore = make({
  id: "wire/no-store",
  area: "wire",
  title: "every token answer says `Cache-Control: no-store`",
  reference: "RFC 6749 §5.1",
  level: "MUST",
  needs: ["consent"],
  run: (context) =>
    Effect.gen(function* () {
      for (const answer of yield* tokenAnswers(context)) {
        const cacheControl = (answer.headers["cache-control"] ?? "").toLowerCase()
        yield* expect(
          context,
          cacheControl.split(",").some((part) => part.trim() === "no-store"),
          "a token answer may be cached: no `Cache-Control: no-store`"
        )
      }
    })
})

const pragma = make({
  id: "wire/pragma-no-cache",
  area: "wire",
  title: "every token answer says `Pragma: no-cache`, for HTTP/1.0 caches",
  reference: "RFC 6749 §5.1",
  level: "SHOULD",
  needs: ["consent"],
  run: (context) =>
    Effect.gen(function* () {
      for (const answer of yield* tokenAnswers(context)) {
        yield* expect(
          context,
          (answer.headers.pragma ?? "").toLowerCase() === "no-cache",
          "a token answer lacks `Pragma: no-cache`"
        )
      }
    })
})

/** The wire checks. */
export const wire: ReadonlyArray<Check> = [openApi, formBodies, malformedBodies, noStore, pragma]
