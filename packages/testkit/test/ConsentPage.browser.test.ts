/**
 * The consent page as a person uses it: Debian's Chromium (`/usr/bin/chromium`, never a downloaded build) driven by
 * playwright-core, against the served fake and a callback page of the test's own. One browser for every case, a
 * fresh context (cookies and all) for each. Without Chromium the suite says how to install it and skips, except
 * under `CI=true`, where it fails.
 */
import { existsSync } from "node:fs"
import { createServer } from "node:http"
import type { HttpServer } from "@effect/platform"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { TokenEndpoint, VehicleInfo } from "@hm-oauth/core"
import { Effect, Option, Redacted, type Scope } from "effect"
import { type Browser, chromium, type Page } from "playwright-core"
import * as FakeHttpServer from "../src/FakeHttpServer.js"
import { FakeServer } from "../src/FakeServer.js"
import * as Client from "./support/client.js"
import * as HttpClientLayer from "./support/httpClient.js"

const CHROMIUM = "/usr/bin/chromium"
const missing = !existsSync(CHROMIUM)
const skip = missing && process.env.CI !== "true"
if (skip) console.warn(`${CHROMIUM} is missing, so the browser test is skipped: apt-get install -y chromium`)

// the machine's network is closed, and nothing of the browser's own may run in the background
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run"
]

// a bound for a hung browser, not a speed check: a loaded 2-core machine starts Chromium in seconds
const TIMEOUT = 60_000

const SECOND_CAR = "WBA00000000000002"

let browser: Browser | undefined

describe.skipIf(skip)("the consent page in Chromium", () => {
  beforeAll(async () => {
    if (missing) throw new Error(`${CHROMIUM} is missing (CI=true never skips): apt-get install -y chromium`)
    // playwright-core makes the fresh user-data dir of each launch itself, and removes it on close
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: TIMEOUT })
  }, TIMEOUT)
  afterAll(() => browser?.close())

  /** A callback page of the test's own on a free port, closed with the scope: its URI. */
  const callbackPage = Effect.acquireRelease(
    Effect.async<ReturnType<typeof createServer>>((resume) => {
      const server = createServer((_, response) => {
        response.writeHead(200, { "content-type": "text/html" }).end("<h1>Back in the app</h1>")
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
  ).pipe(
    Effect.map((server) => {
      const address = server.address()
      return `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}/callback`
    })
  )

  /**
   * Opens the consent page for the web app, redirecting to `callbackUri`, in a fresh browser context; `act` there
   * as the owner. Yields the query the browser came back to the app with.
   */
  const consentAs = (callbackUri: string, act: (page: Page) => Promise<void>) =>
    Effect.gen(function* () {
      const baseUrl = yield* FakeHttpServer.baseUrl
      const context = yield* Effect.acquireRelease(
        Effect.promise(() => browser!.newContext()),
        (context) => Effect.promise(() => context.close())
      )
      const page = yield* Effect.promise(() => context.newPage())
      const query = new URLSearchParams({ client_id: Client.WEB.id, redirect_uri: callbackUri, state: "st-browser" })
      yield* Effect.promise(() => page.goto(`${baseUrl}/oauth/new?${query}`))
      expect(yield* Effect.promise(() => page.textContent("h1"))).toBe("Grant access to your car")
      yield* Effect.promise(() => Promise.all([page.waitForURL(`${callbackUri}?**`), act(page)]))
      expect(yield* Effect.promise(() => page.textContent("h1"))).toBe("Back in the app")
      return Object.fromEntries(new URL(page.url()).searchParams)
    })

  /** Each case: its own callback page and served fake, the web app redirecting to that page. */
  const served = <A, E>(
    test: (callbackUri: string) => Effect.Effect<A, E, Client.Services | HttpServer.HttpServer | Scope.Scope>
  ) =>
    Effect.gen(function* () {
      const callbackUri = yield* callbackPage
      return yield* test(callbackUri).pipe(
        Effect.provide(
          HttpClientLayer.layer("web", {
            clients: [{ ...Client.WEB, redirectUris: [callbackUri] }],
            vehicles: [{ vin: Client.VIN }, { vin: SECOND_CAR }]
          })
        )
      )
    }).pipe(Effect.scoped)

  const click = (page: Page, name: string) => page.getByRole("button", { name, exact: true }).click()

  it.live(
    "pick a car, Approve: back at the app with a code that core exchanges, for the car picked",
    () =>
      served((callbackUri) =>
        Effect.gen(function* () {
          const answer = yield* consentAs(callbackUri, async (page) => {
            await page.getByLabel(SECOND_CAR).check()
            await click(page, "Approve")
          })
          expect(answer.state).toBe("st-browser")
          const tokens = yield* (yield* TokenEndpoint.TokenEndpoint).exchangeCode({
            code: Redacted.make(answer.code!),
            redirectUri: callbackUri
          })
          expect(tokens.status).toBe("approved")
          expect((yield* (yield* VehicleInfo.VehicleInfo).get(tokens.accessToken)).vin).toBe(SECOND_CAR)
        })
      ),
    TIMEOUT
  )

  it.live(
    "Deny: back at the app with access_denied and the state, and no consent made",
    () =>
      served((callbackUri) =>
        Effect.gen(function* () {
          const answer = yield* consentAs(callbackUri, (page) => click(page, "Deny"))
          expect(answer).toEqual({
            error: "access_denied",
            error_description: "The owner declined.",
            state: "st-browser"
          })
          expect(yield* (yield* FakeServer).consents).toEqual([])
        })
      ),
    TIMEOUT
  )

  it.live(
    "Approve later: the code gives a pending grant, vehicle info refused until the consent is approved",
    () =>
      served((callbackUri) =>
        Effect.gen(function* () {
          const answer = yield* consentAs(callbackUri, (page) => click(page, "Approve later"))
          const tokens = yield* (yield* TokenEndpoint.TokenEndpoint).exchangeCode({
            code: Redacted.make(answer.code!),
            redirectUri: callbackUri
          })
          expect(tokens.status).toBe("pending")
          const vehicles = yield* VehicleInfo.VehicleInfo
          expect(yield* Effect.flip(vehicles.get(tokens.accessToken))).toMatchObject({ _tag: "Unauthorized" })
          yield* (yield* FakeServer).approve(Option.getOrThrow(tokens.authorizationId))
          // the first registered car: the one the page had chosen
          expect((yield* vehicles.get(tokens.accessToken)).vin).toBe(Client.VIN)
        })
      ),
    TIMEOUT
  )
})
