/**
 * The consent page over HTTP: the page a person clicks, its one-time forms, the shortcuts that answer at once, and
 * the requests it refuses, told to the owner (no redirect) or sent back to the app as OAuth errors.
 * `ConsentPage.browser.test.ts` clicks through it in Chromium.
 */
import { describe, expect, it } from "@effect/vitest"
import { TokenEndpoint, VehicleInfo } from "@hm-oauth/core"
import { Effect, Redacted } from "effect"
import * as FakeHttpServer from "../src/FakeHttpServer.js"
import { FakeServer } from "../src/FakeServer.js"
import * as ConsentForms from "../src/internal/http/consentForms.js"
import * as Client from "./support/client.js"
import * as HttpClientLayer from "./support/httpClient.js"

const redirectUri = Client.WEB.redirectUris[0]!

const fetchFrom = (path: string, init?: RequestInit) =>
  Effect.flatMap(FakeHttpServer.baseUrl, (url) =>
    Effect.promise(() => fetch(`${url}${path}`, { redirect: "manual", ...init }))
  )

/** The consent page's query: the web app's, with `params` added (a list, so a name may repeat). */
const consentPath = (params: ReadonlyArray<readonly [string, string]> = []) =>
  `/oauth/new?${new URLSearchParams([
    ["client_id", Client.WEB.id],
    ["redirect_uri", redirectUri],
    ["state", "st-1"],
    ...params.map(([name, value]) => [name, value])
  ])}`

/** Opens the page: its HTML, the form's token and the owner cookie it set (or the one sent). */
const openPage = (params: ReadonlyArray<readonly [string, string]> = [], cookie?: string) =>
  Effect.gen(function* () {
    const response = yield* fetchFrom(consentPath(params), cookie === undefined ? {} : { headers: { cookie } })
    const html = yield* Effect.promise(() => response.text())
    const token = /name="consent_token" value="([^"]+)"/.exec(html)?.[1]
    const setCookie = response.headers.get("set-cookie")?.split(";")[0]
    return { response, html, token, cookie: setCookie ?? cookie }
  })

const submit = (fields: Record<string, string>, cookie: string | undefined) =>
  fetchFrom("/oauth/new", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie === undefined ? {} : { cookie }) },
    body: new URLSearchParams(fields).toString()
  })

/** The answer at the app's redirect URI. */
const callback = (response: Response) => {
  const location = new URL(response.headers.get("location")!)
  expect(location.origin + location.pathname).toBe(redirectUri)
  return Object.fromEntries(location.searchParams)
}

const vehicles = [{ vin: "ZZZ00000000000009" }, { vin: Client.VIN }, { vin: "AAA00000000000001" }]
const served = HttpClientLayer.layer("web", { vehicles })

describe("the consent page", () => {
  it.live("shows the app, the data, the validity and the registered cars, the first registered chosen", () =>
    Effect.gen(function* () {
      const page = yield* openPage([
        ["scope", "doors.get.locks windows.get.positions"],
        ["validity_start_date", "2026-01-01T00:00:00Z"],
        ["validity_end_date", "2027-06-30T12:00:00.123456Z"],
        ["app_id", "0123456789ABCDEF01234567"]
      ])
      expect(page.response.status).toBe(200)
      expect(page.response.headers.get("content-type")).toBe("text/html; charset=utf-8")
      expect(page.response.headers.get("content-security-policy")).toContain("default-src 'none'")
      expect(page.response.headers.get("x-frame-options")).toBe("DENY")
      expect(page.response.headers.get("cache-control")).toBe("no-store")
      expect(page.cookie).toMatch(/^hm_testkit_owner=[\w-]{43}$/)
      expect(page.response.headers.get("set-cookie")).toContain("SameSite=Strict")
      expect(page.html).toContain("<strong>web-app</strong>")
      expect(page.html).toContain("0123456789ABCDEF01234567")
      expect(page.html).toContain("<li><code>doors.get.locks</code></li><li><code>windows.get.positions</code></li>")
      expect(page.html).toContain('datetime="2026-01-01T00:00:00.000Z"')
      expect(page.html).toContain('datetime="2027-06-30T12:00:00.123Z"')
      const radios = [...page.html.matchAll(/type="radio" name="vin" value="(\w+)"( checked)?/g)]
      expect(radios.map(([, vin, checked]) => [vin, checked !== undefined])).toEqual([
        ["ZZZ00000000000009", true],
        [Client.VIN, false],
        ["AAA00000000000001", false]
      ])
      for (const decision of ["approve", "pending", "deny"]) expect(page.html).toContain(`value="${decision}"`)
      // no script, no asset from anywhere
      expect(page.html).not.toMatch(/<script|src=|href=/)
    }).pipe(Effect.provide(served))
  )

  it.live("approve: a code for the car picked, exchanged by core; the form token is spent", () =>
    Effect.gen(function* () {
      const page = yield* openPage()
      const answer = yield* submit({ consent_token: page.token!, vin: Client.VIN, decision: "approve" }, page.cookie)
      expect(answer.status).toBe(303)
      const { code, state } = callback(answer)
      expect(state).toBe("st-1")
      const tokens = yield* (yield* TokenEndpoint.TokenEndpoint).exchangeCode({
        code: Redacted.make(code!),
        redirectUri
      })
      expect((yield* (yield* VehicleInfo.VehicleInfo).get(tokens.accessToken)).vin).toBe(Client.VIN)
      const again = yield* submit({ consent_token: page.token!, vin: Client.VIN, decision: "approve" }, page.cookie)
      expect(again.status).toBe(400)
      expect(again.headers.get("location")).toBe(null)
    }).pipe(Effect.provide(served))
  )

  it.live("a typed VIN wins over the radio button; deny sends access_denied; approve later a pending consent", () =>
    Effect.gen(function* () {
      const first = yield* openPage()
      const typed = yield* submit(
        { consent_token: first.token!, vin: "ZZZ00000000000009", other_vin: ` ${Client.VIN} `, decision: "approve" },
        first.cookie
      )
      expect(callback(typed).code).toBeDefined()
      const second = yield* openPage([], first.cookie)
      // the browser keeps its owner id: no new cookie
      expect(second.response.headers.get("set-cookie")).toBe(null)
      const denied = yield* submit({ consent_token: second.token!, decision: "deny" }, first.cookie)
      expect(callback(denied)).toEqual({
        error: "access_denied",
        error_description: "The owner declined.",
        state: "st-1"
      })
      const third = yield* openPage([], first.cookie)
      const later = yield* submit({ consent_token: third.token!, decision: "pending" }, first.cookie)
      expect(callback(later).code).toBeDefined()
      const unknown = yield* openPage([], first.cookie)
      const refused = yield* submit(
        { consent_token: unknown.token!, other_vin: "NOPE", decision: "approve" },
        first.cookie
      )
      expect(callback(refused)).toEqual({
        error: "invalid_request",
        error_description: "vehicle NOPE is not registered",
        state: "st-1"
      })
      const consents = yield* (yield* FakeServer).consents
      expect(consents.map(({ vin, status }) => [vin, status])).toEqual([
        [Client.VIN, "approved"],
        ["ZZZ00000000000009", "pending"]
      ])
    }).pipe(Effect.provide(served))
  )

  it.live("a post without the form's browser cookie, with a made-up token, or after ten minutes is refused", () =>
    Effect.gen(function* () {
      const page = yield* openPage()
      const otherBrowser = yield* openPage()
      const cases = [
        // another site's post: the browser does not send the SameSite=Strict cookie
        { consent_token: page.token!, cookie: undefined },
        { consent_token: "made-up", cookie: page.cookie },
        { consent_token: otherBrowser.token!, cookie: page.cookie }
      ]
      for (const { consent_token, cookie } of cases) {
        const refused = yield* submit({ consent_token, decision: "approve" }, cookie)
        expect(refused.status).toBe(400)
        expect(refused.headers.get("location")).toBe(null)
        expect(yield* Effect.promise(() => refused.text())).toContain("expired or was used already")
      }
      // each attempt spent its token, the forged ones included
      const spent = yield* submit({ consent_token: page.token!, decision: "approve" }, page.cookie)
      expect(spent.status).toBe(400)
      const late = yield* openPage([], page.cookie)
      yield* (yield* FakeServer).advanceClock(ConsentForms.defaultLifetime)
      expect((yield* submit({ consent_token: late.token!, decision: "approve" }, page.cookie)).status).toBe(400)
      expect(yield* (yield* FakeServer).consents).toEqual([])
      const noAnswer = yield* openPage([], page.cookie)
      expect((yield* submit({ consent_token: noAnswer.token! }, page.cookie)).status).toBe(400)
      const twice = `consent_token=${noAnswer.token}&decision=approve&decision=deny`
      const repeated = yield* fetchFrom("/oauth/new", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie: page.cookie! },
        body: twice
      })
      expect(repeated.status).toBe(400)
    }).pipe(Effect.provide(served))
  )

  it.live("everything shown is escaped", () =>
    Effect.gen(function* () {
      const hostile = '<script>alert("x")</script>'
      const client = { id: `app${hostile}`, redirectUris: ["https://app.example/cb"], secret: "s" }
      yield* (yield* FakeServer).registerClient(client)
      yield* (yield* FakeServer).registerVehicle({ vin: `V"><img src=x>` })
      const response = yield* fetchFrom(
        `/oauth/new?${new URLSearchParams({ client_id: client.id, redirect_uri: "https://app.example/cb", state: "s", scope: hostile, app_id: hostile })}`
      )
      const html = yield* Effect.promise(() => response.text())
      expect(response.status).toBe(200)
      expect(html).not.toContain("<script")
      expect(html).not.toContain("<img")
      expect(html).toContain("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;")
      const refused = yield* fetchFrom(`/oauth/new?${new URLSearchParams({ client_id: hostile, redirect_uri: "x" })}`)
      expect(refused.status).toBe(400)
      expect(yield* Effect.promise(() => refused.text())).not.toContain("<script")
    }).pipe(Effect.provide(served))
  )
})

describe("the consent page: what it refuses", () => {
  it.live("an unknown, missing or repeated client_id or redirect_uri: a 400 page and no redirect", () =>
    Effect.gen(function* () {
      const cases: ReadonlyArray<readonly [string, string]> = [
        [`/oauth/new?client_id=nobody&redirect_uri=${encodeURIComponent(redirectUri)}&state=s`, "Unknown client_id"],
        [`/oauth/new?redirect_uri=${encodeURIComponent(redirectUri)}&state=s`, "client_id is missing"],
        [consentPath([["client_id", "other-app"]]), "client_id is given more than once"],
        [consentPath([["redirect_uri", redirectUri]]), "redirect_uri is given more than once"],
        [
          `/oauth/new?client_id=${Client.WEB.id}&redirect_uri=${encodeURIComponent(`${redirectUri}/`)}`,
          "is not registered"
        ],
        [`/oauth/new?client_id=${Client.WEB.id}&vin=${Client.VIN}`, "redirect_uri is missing"]
      ]
      for (const [path, problem] of cases) {
        const refused = yield* fetchFrom(path)
        expect(refused.status, path).toBe(400)
        expect(refused.headers.get("location")).toBe(null)
        expect(refused.headers.get("content-type")).toBe("text/html; charset=utf-8")
        expect(yield* Effect.promise(() => refused.text())).toContain(problem)
      }
    }).pipe(Effect.provide(served))
  )

  it.live("once the redirect URI is trusted, a bad request goes back as invalid_request with state", () =>
    Effect.gen(function* () {
      const cases: ReadonlyArray<readonly [ReadonlyArray<readonly [string, string]>, string]> = [
        [
          [
            ["code_challenge", "a".repeat(43)],
            ["code_challenge", "b".repeat(43)]
          ],
          "code_challenge is given more than once"
        ],
        [[["validity_start_date", "yesterday"]], "validity_start_date is not an ISO 8601 instant"],
        [[["validity_end_date", "2026-02-30"]], "validity_end_date is not an ISO 8601 instant"],
        [[["validity_end_date", "2026-06-01T10:00:00"]], "validity_end_date is not an ISO 8601 instant"],
        [
          [
            ["validity_start_date", "2026-06-01T00:00:00Z"],
            ["validity_end_date", "2026-05-01T00:00:00Z"]
          ],
          "validity_end_date is not after validity_start_date"
        ],
        [[["status", "maybe"]], "status is approved or pending"],
        [[["deny", "yes"]], "deny is 1"]
      ]
      for (const [params, description] of cases) {
        // the page and the shortcuts refuse alike
        for (const shortcut of [[], [["vin", Client.VIN] as const]]) {
          const refused = yield* fetchFrom(consentPath([...params, ...shortcut]))
          expect(refused.status).toBe(302)
          expect(callback(refused), description).toEqual({
            error: "invalid_request",
            error_description: description,
            state: "st-1"
          })
        }
      }
      // no state, no consent: the app could not tell its own callback from a forged one
      const stateless = yield* fetchFrom(
        `/oauth/new?client_id=${Client.WEB.id}&redirect_uri=${encodeURIComponent(redirectUri)}&vin=${Client.VIN}`
      )
      expect(callback(stateless)).toEqual({ error: "invalid_request", error_description: "state is required" })
      expect(yield* (yield* FakeServer).consents).toEqual([])
    }).pipe(Effect.provide(served))
  )

  it.live("a public client without code_challenge is refused before the page is shown", () =>
    Effect.gen(function* () {
      const refused = yield* fetchFrom(
        `/oauth/new?${new URLSearchParams({ client_id: Client.NATIVE.id, redirect_uri: Client.NATIVE.redirectUris[0]!, state: "s" })}`
      )
      expect(refused.status).toBe(302)
      expect(refused.headers.get("location")).toBe(
        `${Client.NATIVE.redirectUris[0]}?error=invalid_request&error_description=code_challenge+is+required+for+a+public+client&state=s`
      )
    }).pipe(Effect.provide(served))
  )
})

describe("the consent page: shortcuts for tests and curl", () => {
  it.live("status=approved without vin consents at once for the first registered car, not the first in order", () =>
    Effect.gen(function* () {
      const answer = yield* fetchFrom(consentPath([["status", "approved"]]))
      expect(answer.status).toBe(302)
      expect(callback(answer).code).toBeDefined()
      expect((yield* (yield* FakeServer).consents).map((consent) => consent.vin)).toEqual(["ZZZ00000000000009"])
    }).pipe(Effect.provide(served))
  )
})

describe("ConsentForms", () => {
  it("keeps at most its capacity, the oldest giving way; a token is taken once, by its owner, before it expires", () => {
    const forms = ConsentForms.make<string>(2, 1000)
    const a = forms.issue("a", "owner", 0)
    const b = forms.issue("b", "owner", 0)
    const c = forms.issue("c", "owner", 0)
    expect(forms.take(a, "owner", 1)).toBe(undefined)
    expect(forms.take(b, "someone else", 1)).toBe(undefined)
    expect(forms.take(b, "owner", 1)).toBe(undefined)
    expect(forms.take(c, "owner", 999)).toBe("c")
    expect(forms.take(c, "owner", 999)).toBe(undefined)
    const d = forms.issue("d", "owner", 0)
    expect(forms.take(d, "owner", 1000)).toBe(undefined)
    expect(a).toMatch(/^[\w-]{43}$/)
  })
})
