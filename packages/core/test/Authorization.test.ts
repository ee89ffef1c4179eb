import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Exit, FastCheck as fc, Layer, Redacted } from "effect"
import { Authorization, Credentials, HmOAuthConfig, Pkce } from "../src/index.js"

const configLayer = (options: Partial<HmOAuthConfig.Options> = {}) =>
  Layer.orDie(HmOAuthConfig.layer({ clientId: "client-1", ...options }))

describe("Authorization.consentUrl", () => {
  it.prop(
    "every value round-trips through the URL's encoding",
    {
      clientId: fc.string({ minLength: 1 }),
      redirectUri: fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.string({ minLength: 1 })),
      state: fc.string({ minLength: 1 }),
      appId: fc.option(fc.hexaString({ minLength: 24, maxLength: 24 }), { nil: undefined }),
      codeChallenge: fc.option(fc.string(), { nil: undefined })
    },
    ({ appId, clientId, codeChallenge, redirectUri, state }) => {
      const url = new URL(
        Authorization.consentUrl({
          consentPageUrl: HmOAuthConfig.consentPageUrls.production,
          clientId,
          redirectUri,
          state,
          appId,
          codeChallenge
        })
      )
      expect(url.origin + url.pathname).toBe(HmOAuthConfig.consentPageUrls.production)
      expect(url.searchParams.get("client_id")).toBe(clientId)
      expect(url.searchParams.get("redirect_uri")).toBe(redirectUri)
      expect(url.searchParams.get("state")).toBe(state)
      expect(url.searchParams.get("app_id")).toBe(appId ?? null)
      expect(url.searchParams.get("code_challenge")).toBe(codeChallenge ?? null)
      expect(url.searchParams.get("code_challenge_method")).toBe(codeChallenge === undefined ? null : "S256")
    }
  )

  it("validity dates are ISO 8601", () => {
    const url = new URL(
      Authorization.consentUrl({
        consentPageUrl: "https://owner.example/oauth/new?lang=en",
        clientId: "c",
        redirectUri: "https://app.example/cb",
        state: "s",
        validityStart: DateTime.unsafeMake("2026-01-01T00:00:00Z"),
        validityEnd: DateTime.unsafeMake("2026-12-31T23:59:59Z")
      })
    )
    expect(url.searchParams.get("lang")).toBe("en")
    expect(url.searchParams.get("validity_start_date")).toBe("2026-01-01T00:00:00.000Z")
    expect(url.searchParams.get("validity_end_date")).toBe("2026-12-31T23:59:59.000Z")
  })
})

describe("Authorization.begin", () => {
  it.effect("a public app gets PKCE by default; the URL carries the challenge of the verifier it keeps", () =>
    Effect.gen(function* () {
      const request = yield* Authorization.begin({ redirectUri: "com.example.app:/cb" })
      const url = new URL(request.url)
      expect(url.origin + url.pathname).toBe(HmOAuthConfig.consentPageUrls.sandbox)
      expect(url.searchParams.get("state")).toBe(request.state)
      expect(request.state).toMatch(/^[A-Za-z0-9_-]{43}$/)
      const verifier = request.codeVerifier!
      expect(url.searchParams.get("code_challenge")).toBe(yield* Pkce.challengeOf(verifier))
      expect(request.url).not.toContain(Redacted.value(verifier))
      expect(request.redirectUri).toBe("com.example.app:/cb")
    }).pipe(Effect.provide(configLayer()))
  )

  it.effect("a confidential app gets no PKCE unless it asks; states are fresh each time", () =>
    Effect.gen(function* () {
      const first = yield* Authorization.begin({ redirectUri: "https://app.example/cb" })
      const second = yield* Authorization.begin({ redirectUri: "https://app.example/cb", pkce: true })
      expect(first.codeVerifier).toBeUndefined()
      expect(new URL(first.url).searchParams.has("code_challenge")).toBe(false)
      expect(second.codeVerifier).toBeDefined()
      expect(first.state).not.toBe(second.state)
    }).pipe(Effect.provide(configLayer({ credentials: Credentials.clientSecret("s"), environment: "production" })))
  )
})

describe("Authorization.parseCallback", () => {
  const parse = (url: string, state = "st-1") => Effect.runSyncExit(Authorization.parseCallback(url, state))

  it("returns the code when the state matches, from an absolute URL or a path with query", () => {
    for (const url of ["https://app.example/cb?code=c0de&state=st-1", "/cb?state=st-1&code=c0de"]) {
      const exit = parse(url)
      expect(Exit.isSuccess(exit) && Redacted.value(exit.value)).toBe("c0de")
    }
  })

  const failures: ReadonlyArray<readonly [string, string, object]> = [
    ["a different state", "https://app.example/cb?code=c&state=other", { _tag: "StateMismatch" }],
    ["no state", "https://app.example/cb?code=c", { _tag: "StateMismatch" }],
    [
      "a forged error with the wrong state",
      "https://app.example/cb?error=access_denied&state=x",
      { _tag: "StateMismatch" }
    ],
    [
      "error=access_denied",
      "https://app.example/cb?error=access_denied&error_description=Owner%20declined&state=st-1",
      { _tag: "AccessDenied", description: "Owner declined" }
    ],
    [
      "another error",
      "https://app.example/cb?error=server_error&state=st-1",
      { _tag: "AuthorizationFailed", error: "server_error" }
    ],
    ["neither code nor error", "https://app.example/cb?state=st-1", { _tag: "InvalidCallback" }],
    ["an empty code", "https://app.example/cb?state=st-1&code=", { _tag: "InvalidCallback" }],
    ["not a URL", "http://[::1", { _tag: "InvalidCallback" }],
    ["an empty callback", "", { _tag: "InvalidCallback", problem: "not a URL" }],
    ["a URL with no callback parameters", "https://app.example/cb", { _tag: "InvalidCallback" }],
    [
      "a repeated state (RFC 6749 §3.1)",
      "https://app.example/cb?code=c&state=st-1&state=st-1",
      { _tag: "InvalidCallback", problem: "state appears more than once" }
    ],
    [
      "a repeated code",
      "https://app.example/cb?code=c&code=d&state=st-1",
      { _tag: "InvalidCallback", problem: "code appears more than once" }
    ],
    ["a repeated error", "https://app.example/cb?error=a&error=b&state=st-1", { _tag: "InvalidCallback" }],
    ["a code with a line break", "https://app.example/cb?code=c%0Ad&state=st-1", { _tag: "InvalidCallback" }]
  ]
  it("an empty expected state is refused: there would be nothing left to check", () => {
    const exit = parse("https://app.example/cb?code=c&state=", "")
    expect(exit).toMatchObject({ _tag: "Failure", cause: { _tag: "Fail", error: { _tag: "InvalidCallback" } } })
  })

  it("a long error description is cut", () => {
    const exit = parse(`https://app.example/cb?error=access_denied&error_description=${"x".repeat(10_000)}&state=st-1`)
    if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error("expected a failure")
    expect(JSON.stringify(exit.cause.error).length).toBeLessThan(1_000)
  })

  for (const [name, url, expected] of failures) {
    it(`${name} → ${(expected as { _tag: string })._tag}`, () => {
      const exit = parse(url)
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) expect(exit.cause).toMatchObject({ _tag: "Fail", error: expected })
    })
  }
})
