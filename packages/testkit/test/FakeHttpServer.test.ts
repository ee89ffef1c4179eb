import { describe, expect, it } from "@effect/vitest"
import { Revocation, TokenEndpoint, VehicleInfo } from "@hm-oauth/core"
import { Effect, Layer, Option, Redacted, Schedule } from "effect"
import * as FakeHttpServer from "../src/FakeHttpServer.js"
import { FakeServer } from "../src/FakeServer.js"
import * as Client from "./support/client.js"
import * as HttpClientLayer from "./support/httpClient.js"

const redirectUri = Client.WEB.redirectUris[0]!

const fetchFrom = (path: string, init?: RequestInit) =>
  Effect.flatMap(FakeHttpServer.baseUrl, (url) =>
    Effect.promise(() => fetch(`${url}${path}`, { redirect: "manual", ...init }))
  )

const consentQuery = (params: Record<string, string>) =>
  `/oauth/new?${new URLSearchParams({ client_id: Client.WEB.id, redirect_uri: redirectUri, state: "st-1", ...params })}`

describe("FakeHttpServer: the core client over real HTTP", () => {
  it.live(
    "the lifecycle through the consent page: 302 with code and state, exchange, vehicleinfo, refresh, revoke",
    () =>
      Effect.gen(function* () {
        const consent = yield* fetchFrom(consentQuery({ vin: Client.VIN }))
        expect(consent.status).toBe(302)
        const location = new URL(consent.headers.get("location")!)
        expect(location.origin + location.pathname).toBe(redirectUri)
        expect(location.searchParams.get("state")).toBe("st-1")
        const code = Redacted.make(location.searchParams.get("code")!)
        const tokens = yield* TokenEndpoint.TokenEndpoint
        const first = yield* tokens.exchangeCode({ code, redirectUri })
        const vehicles = yield* VehicleInfo.VehicleInfo
        expect((yield* vehicles.get(first.accessToken)).vin).toBe(Client.VIN)
        const second = yield* tokens.refresh(Option.getOrThrow(first.refreshToken))
        yield* (yield* Revocation.Revocation).revoke({ token: Option.getOrThrow(second.refreshToken) })
        expect(yield* Effect.flip(vehicles.get(second.accessToken))).toMatchObject({ _tag: "Unauthorized" })
        expect(yield* Effect.flip(tokens.exchangeCode({ code, redirectUri }))).toMatchObject({ reason: "InvalidGrant" })
      }).pipe(Effect.provide(HttpClientLayer.layer()))
  )

  it.live("form-encoded bodies are understood, as RFC 6749 clients send them", () =>
    Effect.gen(function* () {
      const tokens = yield* (yield* TokenEndpoint.TokenEndpoint).clientCredentials()
      expect(tokens.tokenType).toBe("bearer")
    }).pipe(Effect.provide(HttpClientLayer.layer("web", {}, { bodyEncoding: "form" })))
  )
})

describe("FakeHttpServer: the consent page", () => {
  it.live("deny=1 redirects with error=access_denied; status=pending gives a pending consent", () =>
    Effect.gen(function* () {
      const denied = yield* fetchFrom(consentQuery({ deny: "1" }))
      expect(denied.status).toBe(302)
      const deniedAt = new URL(denied.headers.get("location")!)
      expect(deniedAt.searchParams.get("error")).toBe("access_denied")
      expect(deniedAt.searchParams.get("state")).toBe("st-1")
      const pending = yield* fetchFrom(consentQuery({ status: "pending", vin: Client.VIN }))
      expect(pending.status).toBe(302)
      const consents = yield* (yield* FakeServer).consents
      expect(consents.map((consent) => consent.status)).toEqual(["pending"])
    }).pipe(Effect.provide(HttpClientLayer.layer()))
  )

  it.live("an unknown client or an unregistered redirect_uri gets a 400 page and no redirect", () =>
    Effect.gen(function* () {
      for (const params of [{ client_id: "nobody" }, { redirect_uri: `${redirectUri}/` }]) {
        const refused = yield* fetchFrom(consentQuery(params))
        expect(refused.status).toBe(400)
        expect(refused.headers.get("location")).toBe(null)
        expect(refused.headers.get("content-type")).toContain("text/html")
      }
    }).pipe(Effect.provide(HttpClientLayer.layer()))
  )
})

describe("FakeHttpServer: bad input never crashes the server", () => {
  it.live("a body over the limit gets 413, malformed JSON the spec's 400 shape, and the server still answers", () =>
    Effect.gen(function* () {
      const big = yield* fetchFrom("/v1/access_tokens", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ grant_type: "client_credentials", padding: "x".repeat(70_000) })
      })
      expect(big.status).toBe(413)
      const malformed = yield* fetchFrom("/v1/access_tokens", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"grant_type": '
      })
      expect(malformed.status).toBe(400)
      expect(yield* Effect.promise(() => malformed.json())).toEqual({
        error: "invalid_request",
        error_description: "request body is malformed"
      })
      const unknown = yield* fetchFrom("/v2/nothing")
      expect(unknown.status).toBe(404)
      expect((yield* (yield* TokenEndpoint.TokenEndpoint).clientCredentials()).tokenType).toBe("bearer")
    }).pipe(Effect.provide(HttpClientLayer.layer()))
  )
})

describe("FakeHttpServer: the control API", () => {
  it.live("advance the clock, approve a consent, script faults, read state and history, reset", () =>
    Effect.gen(function* () {
      const json = (response: Response) => Effect.promise(() => response.json())
      const post = (path: string, body?: unknown, method = "POST") =>
        fetchFrom(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) })
      yield* fetchFrom(consentQuery({ status: "pending" }))
      const { consents } = yield* json(yield* fetchFrom("/testkit/state"))
      expect(consents).toHaveLength(1)
      const approved = yield* post(`/testkit/consents/${consents[0].authorizationId}/approve`)
      expect(approved.status).toBe(200)
      expect((yield* (yield* FakeServer).consents)[0]!.status).toBe("approved")
      const unknown = yield* post("/testkit/consents/nope/withdraw")
      expect(unknown.status).toBe(404)
      const before = yield* (yield* FakeServer).now
      const clock = yield* json(yield* post("/testkit/clock", { seconds: 600 }))
      expect(Date.parse(clock.now) - before).toBeGreaterThanOrEqual(600_000)
      const faulted = yield* post(
        "/testkit/faults",
        { rules: [{ endpoint: "token", fault: { _tag: "ServerError", status: 503 } }] },
        "PUT"
      )
      expect(faulted.status).toBe(200)
      const refused = yield* Effect.flip((yield* TokenEndpoint.TokenEndpoint).clientCredentials())
      expect(refused).toMatchObject({ _tag: "ServerUnavailable", status: 503 })
      const badRule = yield* post("/testkit/faults", { rules: [{ fault: { _tag: "Gremlins" } }] }, "PUT")
      expect(badRule.status).toBe(400)
      expect((yield* json(badRule)).error_description).toContain("rules.0.fault")
      yield* fetchFrom("/testkit/faults", { method: "DELETE" })
      yield* (yield* TokenEndpoint.TokenEndpoint).clientCredentials()
      const history = yield* json(yield* fetchFrom("/testkit/history"))
      // the history holds what the server acted on: the faulted request never reached the model
      expect(history.map((entry: { status: number }) => entry.status)).toEqual([200])
      yield* post("/testkit/reset")
      expect(yield* (yield* FakeServer).consents).toEqual([])
    }).pipe(Effect.provide(HttpClientLayer.layer("web", {}, { retrySchedule: Schedule.stop })))
  )

  it.live("refuses a clock advance that is not finite, negative or out of range, and changes nothing", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer
      const before = yield* server.now
      for (const body of ['{"seconds":1e13}', '{"seconds":1e400}', '{"seconds":-1}', '{"seconds":"600"}', "{}", "[]"]) {
        const refused = yield* fetchFrom("/testkit/clock", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body
        })
        expect(refused.status, body).toBe(400)
        expect((yield* Effect.promise(() => refused.json())).error_description, body).toMatch(/seconds|document/)
      }
      expect((yield* server.now) - before).toBeLessThan(60_000)
      const state = yield* fetchFrom("/testkit/state")
      expect(state.status).toBe(200)
      // the largest advance the server accepts at once, and time still prints
      const far = yield* fetchFrom("/testkit/clock", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ seconds: 3_155_760_000 })
      })
      expect(far.status).toBe(200)
      expect((yield* Effect.promise(() => far.json())).now).toMatch(/^2\d{3}-/)
    }).pipe(Effect.provide(HttpClientLayer.layer()))
  )

  it.live("reset keeps the clock unless asked to rewind it; withdraw takes who withdrew", () =>
    Effect.gen(function* () {
      const server = yield* FakeServer
      const post = (path: string, body: unknown) =>
        fetchFrom(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      yield* post("/testkit/clock", { seconds: 86_400 })
      yield* post("/testkit/reset", {})
      expect((yield* server.now) - Date.now()).toBeGreaterThan(86_000_000)
      const rewound = yield* post("/testkit/reset", { rewindClock: true })
      expect(rewound.status).toBe(200)
      expect(Math.abs((yield* server.now) - Date.now())).toBeLessThan(60_000)
      const { authorizationId } = yield* server.authorize({ clientId: Client.WEB.id, redirectUri, vin: Client.VIN })
      expect((yield* post(`/testkit/consents/${authorizationId}/withdraw`, { by: "carmaker" })).status).toBe(400)
      expect((yield* post(`/testkit/consents/${authorizationId}/withdraw`, { by: "oem" })).status).toBe(200)
      expect((yield* server.consents)[0]?.revokedBy).toBe("oem")
    }).pipe(Effect.provide(HttpClientLayer.layer()))
  )

  it.live("pages and filters what it lists, and refuses an unknown or repeated query parameter", () =>
    Effect.gen(function* () {
      const json = (response: Response) => Effect.promise(() => response.json())
      for (let i = 0; i < 3; i++) yield* (yield* TokenEndpoint.TokenEndpoint).clientCredentials()
      const state = yield* json(yield* fetchFrom("/testkit/state?limit=2"))
      expect(state.counts).toMatchObject({ tokens: 3, history: 3 })
      expect(state.tokens).toHaveLength(2)
      const rest = yield* json(yield* fetchFrom(`/testkit/state/tokens?after=${state.next.tokens}`))
      expect(rest.items).toHaveLength(1)
      expect(rest.next).toBeUndefined()
      const live = yield* json(yield* fetchFrom("/testkit/state/tokens?kind=client_credentials&status=live&limit=1000"))
      expect(live.items).toHaveLength(3)
      // a handle holds a "#": encoded in a path, as any fragment sign
      const one = yield* json(yield* fetchFrom(`/testkit/state/tokens/${encodeURIComponent(live.items[0].handle)}`))
      expect(one.handle).toBe(live.items[0].handle)
      expect((yield* fetchFrom("/testkit/state/tokens/at%23999")).status).toBe(404)
      const history = yield* json(yield* fetchFrom(`/testkit/history?after=${state.counts.history - 2}&limit=1`))
      expect(history.map((entry: { seq: number }) => entry.seq)).toEqual([state.counts.history - 1])
      for (const query of [
        "limit=0",
        "limit=1001",
        "limit=2.5",
        "after=-1",
        "status=dead",
        "limit=1&limit=2",
        "colour=red"
      ]) {
        const refused = yield* fetchFrom(`/testkit/state/tokens?${query}`)
        expect(refused.status, query).toBe(400)
      }
    }).pipe(Effect.provide(HttpClientLayer.layer()))
  )

  it.live("refuses a client id registered twice (409) and a body over the limit (413), changing nothing", () =>
    Effect.gen(function* () {
      const post = (path: string, body: string) =>
        fetchFrom(path, { method: "POST", headers: { "content-type": "application/json" }, body })
      const again = yield* post("/testkit/clients", JSON.stringify({ id: Client.WEB.id, redirectUris: [] }))
      expect(again.status).toBe(409)
      expect((yield* Effect.promise(() => again.json())).error_description).toBe(
        'client "web-app" is already registered'
      )
      const huge = yield* post("/testkit/vehicles", JSON.stringify({ vin: "x".repeat(70_000) }))
      expect(huge.status).toBe(413)
      expect((yield* (yield* FakeServer).state).vehicles.size).toBe(1)
    }).pipe(Effect.provide(HttpClientLayer.layer()))
  )

  it.live("with controlApi off, /testkit/ is just another unknown path", () =>
    Effect.gen(function* () {
      const response = yield* fetchFrom("/testkit/state")
      expect(response.status).toBe(404)
    }).pipe(Effect.provide(FakeHttpServer.layer({ controlApi: false }).pipe(Layer.orDie)))
  )
})
