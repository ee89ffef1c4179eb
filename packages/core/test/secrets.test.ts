/**
 * No secret reaches an error, a log line or a span. The properties generate secrets, the ways a server can
 * echo them (encodings) and the bodies it can put them in (shapes), and check what the client shows against
 * an oracle that decodes every reading a person could make of it (`support/leaks.ts`).
 */
import { inspect } from "node:util"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, FastCheck as fc, Redacted, Schedule } from "effect"
import { Credentials, type HmOAuthError, Revocation, TokenEndpoint, VehicleInfo } from "../src/index.js"
import type { Services } from "./support/calls.js"
import { leaks } from "./support/leaks.js"
import * as RecordingTracer from "./support/RecordingTracer.js"
import * as Scripted from "./support/ScriptedHttpClient.js"

// High-entropy values: any appearance in an error is a leak, never a coincidence.
const secretValue = fc.stringMatching(/^[A-Za-z0-9_~-]{12,48}$/)

/** Server behaviours that echo what they received (and tokens of their own) into every field they can. */
const echoes = (received: Scripted.Sent, newToken: string): ReadonlyArray<Scripted.Reply> => {
  const everything = `${received.body} ${received.headers.authorization ?? ""}`
  return [
    { status: 400, json: { error: everything, error_description: `bad request: ${everything}` } },
    { status: 401, json: { errors: [{ title: everything, detail: everything }], request_id: everything } },
    { status: 403, json: [{ title: everything, detail: everything }] },
    { status: 200, text: `not json ${everything}` },
    {
      status: 200,
      json: { access_token: newToken, refresh_token: newToken, expires_in: everything, echo: everything }
    },
    { status: 200, json: { error: everything, error_description: everything } },
    { status: 502, text: `<html><body><pre>${everything}</pre></body></html>` },
    { status: 302, text: everything, headers: { location: `https://x.example/?${everything}` } }
  ]
}

type Operation = "exchangeCode" | "refresh" | "clientCredentials" | "revoke" | "vehicleInfo"

const operations: ReadonlyArray<Operation> = ["exchangeCode", "refresh", "clientCredentials", "revoke", "vehicleInfo"]

/** The secrets one call carries: each goes where the operation puts it. */
interface Secrets {
  readonly clientSecret: string
  readonly code: string
  readonly verifier: string
  readonly refreshToken: string
  readonly accessToken: string
}

/** The call of `operation`, carrying `secrets`. */
const callOf = (
  operation: Operation,
  secrets: Secrets
): Effect.Effect<unknown, HmOAuthError.HmOAuthError, Services> => {
  switch (operation) {
    case "exchangeCode":
      return Effect.flatMap(TokenEndpoint.TokenEndpoint, (tokens) =>
        tokens.exchangeCode({
          code: Redacted.make(secrets.code),
          redirectUri: "https://app.example/cb",
          codeVerifier: Redacted.make(secrets.verifier)
        })
      )
    case "refresh":
      return Effect.flatMap(TokenEndpoint.TokenEndpoint, (tokens) =>
        tokens.refresh(Redacted.make(secrets.refreshToken))
      )
    case "clientCredentials":
      return Effect.flatMap(TokenEndpoint.TokenEndpoint, (tokens) => tokens.clientCredentials())
    case "revoke":
      return Effect.flatMap(Revocation.Revocation, (revocation) =>
        revocation.revoke({ token: Redacted.make(secrets.refreshToken) })
      )
    case "vehicleInfo":
      return Effect.flatMap(VehicleInfo.VehicleInfo, (vehicles) => vehicles.get(Redacted.make(secrets.accessToken)))
  }
}

/** Secrets for calls whose secrets are not what a test is about. */
const someSecrets: Secrets = {
  clientSecret: "client-secret-0001",
  code: "code-0000-0001",
  verifier: "verifier-0000-0001",
  refreshToken: "refresh-0000-0001",
  accessToken: "access-0000-0001"
}

/** The secrets `operation` puts on the wire, given that the client is confidential or not. */
const sentSecrets = (operation: Operation, secrets: Secrets, confidential: boolean): ReadonlyArray<string> => {
  const own = {
    exchangeCode: [secrets.code, secrets.verifier],
    refresh: [secrets.refreshToken],
    clientCredentials: [],
    revoke: [secrets.refreshToken],
    vehicleInfo: [secrets.accessToken]
  }[operation]
  return operation !== "vehicleInfo" && confidential ? [...own, secrets.clientSecret] : own
}

/** Everything a failed call shows: the cause, each error's message, string, JSON and inspection, and its spans. */
const shownBy = (exit: Exit.Exit<unknown, unknown>, spans: ReadonlyArray<RecordingTracer.RecordedSpan>): string => {
  const failures = Exit.isFailure(exit) ? [...Cause.failures(exit.cause)] : []
  return [
    Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "",
    ...failures.flatMap((error) => [
      (error as Error).message,
      String(error),
      JSON.stringify(error),
      inspect(error, { depth: 10 })
    ]),
    ...spans.map((span) => span.recorded)
  ].join("\n")
}

/**
 * Each run goes through the whole client stack and reads every error several ways: a few hundred runs take ~10 s
 * on a quiet 2-core machine and three times that beside the rest of the suite, so these get room beyond the default.
 */
const throughTheClientStack = 120_000

describe("no secret or token ever appears in an error", () => {
  it.effect.prop(
    "for arbitrary secrets, tokens and echoing server answers, error message, toString, toJSON, inspect and Cause.pretty hold none of them",
    {
      clientSecret: secretValue,
      code: secretValue,
      verifier: secretValue,
      refreshToken: secretValue,
      accessToken: secretValue,
      newToken: secretValue,
      operation: fc.constantFrom(...operations),
      behaviour: fc.nat({ max: 7 }),
      confidential: fc.boolean()
    },
    (inputs) =>
      Effect.gen(function* () {
        const { behaviour, confidential, newToken, operation } = inputs
        const { layer } = Scripted.layer((received) => echoes(received, newToken)[behaviour]!, {
          credentials: confidential ? Credentials.clientSecret(inputs.clientSecret) : Credentials.none,
          retrySchedule: Schedule.stop
        })
        const { exit, spans } = yield* RecordingTracer.recording(Effect.provide(callOf(operation, inputs), layer))
        // A revocation answered 200 succeeds whatever the body: nothing to show, nothing to leak.
        if (exit._tag === "Success") {
          expect(operation).toBe("revoke")
          return
        }
        const shown = shownBy(exit, spans)
        for (const secret of [
          inputs.clientSecret,
          inputs.code,
          inputs.verifier,
          inputs.refreshToken,
          inputs.accessToken,
          newToken
        ]) {
          expect(leaks(shown, secret)).toBe(false)
        }
      }),
    { timeout: throughTheClientStack, fastCheck: { numRuns: 200 } }
  )
})

/** A visible-ASCII secret with a digit and a letter in it, so it never stands in the client's own words. */
const anySecret = fc
  .string({
    unit: fc.constantFrom(
      ..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    ),
    minLength: 12,
    maxLength: 40
  })
  .filter((secret) => /[0-9]/.test(secret) && /[A-Za-z]/.test(secret) && secret.trim() === secret)

const utf8 = (text: string) => Buffer.from(text, "utf8")

/** The ways a server can write a value back: each gives the text it puts in its answer. */
const encodings: ReadonlyArray<readonly [string, (value: string, prefix: string) => string]> = [
  ["raw", (value) => value],
  ["JSON-escaped", (value) => JSON.stringify(value).slice(1, -1)],
  ["JSON-escaped twice", (value) => JSON.stringify(JSON.stringify(value).slice(1, -1)).slice(1, -1)],
  [
    "\\u-escaped",
    (value) => [...value].map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0").toUpperCase()}`).join("")
  ],
  ["URL-encoded", (value) => encodeURIComponent(value)],
  [
    "URL-encoded, lower-case hex",
    (value) => encodeURIComponent(value).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase())
  ],
  ["form-encoded", (value) => new URLSearchParams({ v: value }).toString().slice(2)],
  ["base64 inside a longer value", (value, prefix) => utf8(`${prefix}${value}`).toString("base64")],
  ["base64url inside a longer value", (value, prefix) => utf8(`${prefix}${value}`).toString("base64url")],
  ["HTTP Basic credentials", (value) => `Basic ${utf8(`client:${value}`).toString("base64")}`]
]

/** The places a server can put such text: each gives an answer. */
const shapes: ReadonlyArray<readonly [string, (text: string) => Scripted.Reply]> = [
  [
    "an OAuth error description",
    (text) => ({ status: 400, json: { error: "invalid_request", error_description: `bad ${text}` } })
  ],
  ["an OAuth error code", (text) => ({ status: 400, json: { error: text } })],
  [
    "HM's errors array",
    (text) => ({ status: 401, json: { errors: [{ title: text, detail: text }], request_id: text } })
  ],
  ["a success of the wrong shape", (text) => ({ status: 200, json: { token_type: "bearer", note: text } })],
  ["a JSON string holding JSON", (text) => ({ status: 200, text: JSON.stringify(JSON.stringify({ note: text })) })],
  ["an array around the object", (text) => ({ status: 200, json: [{ note: text }] })],
  ["an HTML error page", (text) => ({ status: 502, text: `<html><body><pre>${text}</pre></body></html>` })],
  [
    "a form-encoded body",
    (text) => ({ status: 200, text: `note=${text}`, headers: { "content-type": "application/x-www-form-urlencoded" } })
  ],
  [
    "response headers",
    (text) => ({
      status: 429,
      text: "",
      headers: {
        "retry-after": text,
        "www-authenticate": `Bearer error="invalid_token", echo="${text}"`,
        "x-echo": text
      }
    })
  ],
  ["a redirect", (text) => ({ status: 302, text, headers: { location: `https://x.example/?${text}` } })]
]

describe("every form of every request secret is scrubbed, wherever the server puts it", () => {
  it.effect.prop(
    "no reading of what a failed call shows (errors, causes, spans) holds a secret the request carried",
    {
      secrets: fc.record({
        clientSecret: anySecret,
        code: anySecret,
        verifier: anySecret,
        refreshToken: anySecret,
        accessToken: fc.stringMatching(/^[A-Za-z0-9._~+/-]{12,40}$/).filter((token) => /[0-9]/.test(token))
      }),
      operation: fc.constantFrom(...operations),
      confidential: fc.boolean(),
      echoed: fc.nat(),
      encoding: fc.constantFrom(...encodings),
      shape: fc.constantFrom(...shapes),
      prefix: fc.string({ maxLength: 5 })
    },
    ({ confidential, echoed, encoding: [, encode], operation, prefix, secrets, shape: [, shape] }) =>
      Effect.gen(function* () {
        const sent = sentSecrets(operation, secrets, confidential)
        if (sent.length === 0) return
        const secret = sent[echoed % sent.length]!
        const { layer } = Scripted.layer(
          () => shape(encode(secret, prefix)),
          {
            credentials: confidential ? Credentials.clientSecret(secrets.clientSecret) : Credentials.none,
            retrySchedule: Schedule.stop
          },
          "platform"
        )
        const { exit, spans } = yield* RecordingTracer.recording(Effect.provide(callOf(operation, secrets), layer))
        const shown = shownBy(exit, spans)
        for (const carried of sent) expect(leaks(shown, carried), `${carried} in ${shown}`).toBe(false)
      }),
    { timeout: throughTheClientStack, fastCheck: { numRuns: 300 } }
  )
})

/** Tokens as servers issue them: UUIDs, 256 random bits in base64url, JWTs. */
const issuedToken = fc.oneof(
  fc.uuid(),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString("base64url")),
  fc
    .tuple(fc.uuid(), fc.uint8Array({ minLength: 32, maxLength: 32 }))
    .map(
      ([sub, signature]) =>
        `eyJhbGciOiJFUzI1NiJ9.${utf8(JSON.stringify({ sub, ver: 1 })).toString("base64url")}.${Buffer.from(signature).toString("base64url")}`
    )
)

/** Success bodies of an unexpected shape that carry fresh tokens. */
const misshapenSuccesses: ReadonlyArray<readonly [string, (access: string, refresh: string) => Scripted.Reply]> = [
  [
    "accessToken spelled differently",
    (access, refresh) => ({ status: 200, json: { accessToken: access, RefreshToken: refresh, expiresIn: 60 } })
  ],
  [
    "tokens nested under another field",
    (access, refresh) => ({ status: 200, json: { data: { access_token: access, refresh_token: refresh } } })
  ],
  [
    "an array around the object",
    (access, refresh) => ({
      status: 200,
      json: [{ access_token: access, refresh_token: refresh, token_type: "bearer", expires_in: 60 }]
    })
  ],
  [
    "a JSON string holding JSON",
    (access, refresh) => ({
      status: 200,
      text: JSON.stringify(JSON.stringify({ access_token: access, refresh_token: refresh }))
    })
  ],
  [
    "an HTML page listing the tokens",
    (access, refresh) => ({
      status: 200,
      text: `<html><table><tr><td>access</td><td>${access}</td></tr><tr><td>refresh</td><td>${refresh}</td></tr></table></html>`
    })
  ],
  [
    "a form-encoded body",
    (access, refresh) => ({ status: 200, text: `access_token=${access}&refresh_token=${refresh}&expires_in=60` })
  ],
  [
    "the wrong expires_in",
    (access, refresh) => ({
      status: 200,
      json: { access_token: access, refresh_token: refresh, token_type: "bearer", expires_in: "soon" }
    })
  ]
]

describe("tokens a server issued in a body the client cannot use never show", () => {
  it.effect.prop(
    "neither the access nor the refresh token of a misshapen success appears in any reading of the error",
    {
      access: issuedToken,
      refresh: issuedToken,
      body: fc.constantFrom(...misshapenSuccesses),
      operation: fc.constantFrom<Operation>("exchangeCode", "refresh", "clientCredentials")
    },
    ({ access, body: [, body], operation, refresh }) =>
      Effect.gen(function* () {
        const { layer } = Scripted.layer(() => body(access, refresh), { retrySchedule: Schedule.stop })
        const { exit, spans } = yield* RecordingTracer.recording(Effect.provide(callOf(operation, someSecrets), layer))
        expect(exit._tag).toBe("Failure")
        const shown = shownBy(exit, spans)
        expect(leaks(shown, access)).toBe(false)
        expect(leaks(shown, refresh)).toBe(false)
      }),
    { timeout: throughTheClientStack, fastCheck: { numRuns: 200 } }
  )
})

describe("short secrets", () => {
  it.effect.prop(
    "a request holding a secret under 8 characters gets no server text in its errors, and its refusals are still read right",
    {
      secret: fc.string({ minLength: 1, maxLength: 7 }).filter((secret) => secret.trim() === secret && secret !== ""),
      description: fc.string({ maxLength: 60 })
    },
    ({ description, secret }) =>
      Effect.gen(function* () {
        const { layer } = Scripted.layer(
          [{ status: 400, json: { error: "invalid_grant", error_description: `${description} ${secret}` } }],
          { credentials: Credentials.clientSecret(secret), retrySchedule: Schedule.stop }
        )
        const error = yield* Effect.flip(
          Effect.provide(callOf("refresh", { ...someSecrets, clientSecret: secret }), layer)
        )
        // classified from the raw answer: a secret equal to `grant` cannot turn invalid_grant into Unknown
        expect(error).toMatchObject({ _tag: "OAuthProtocolError", error: "invalid_grant", reason: "InvalidGrant" })
        expect(error).toHaveProperty("description", "<withheld: it could give away a secret of the request>")
      })
  )

  it.effect("a secret equal to a word of the answer does not show through the marks", () =>
    Effect.gen(function* () {
      for (const secret of ["grant", "invalid"]) {
        const { layer } = Scripted.layer(
          [{ status: 400, json: { error: "invalid_grant", error_description: "the refresh token is invalid" } }],
          { credentials: Credentials.clientSecret(secret), retrySchedule: Schedule.stop }
        )
        const error = yield* Effect.flip(
          Effect.provide(callOf("clientCredentials", { ...someSecrets, clientSecret: secret }), layer)
        )
        expect(error).toMatchObject({ reason: "InvalidGrant", error: "invalid_grant" })
        expect(JSON.stringify(error)).not.toContain("<redacted>")
      }
    })
  )
})

describe("the marks", () => {
  it.effect("never spell a secret: a text that would show one through them is withheld", () =>
    Effect.gen(function* () {
      // two echoes of the code become two marks, which together hold the client secret
      const secrets = { ...someSecrets, clientSecret: "redacted> <redacted" }
      const { layer } = Scripted.layer(
        [{ status: 400, json: { error: "invalid_grant", error_description: `${secrets.code} ${secrets.code}` } }],
        { credentials: Credentials.clientSecret(secrets.clientSecret), retrySchedule: Schedule.stop }
      )
      const error = yield* Effect.flip(Effect.provide(callOf("exchangeCode", secrets), layer))
      expect(error).toHaveProperty("description", "<withheld: it could give away a secret of the request>")
    })
  )
})

describe("sizes", () => {
  it.effect("a 5 MB field gives an error of bounded size", () =>
    Effect.gen(function* () {
      const huge = "x".repeat(5 * 1024 * 1024)
      const { layer } = Scripted.layer([{ status: 400, json: { error: huge, error_description: huge } }], {
        retrySchedule: Schedule.stop,
        maxResponseBytes: 16 * 1024 * 1024
      })
      const error = yield* Effect.flip(Effect.provide(callOf("clientCredentials", someSecrets), layer))
      expect(error._tag).toBe("OAuthProtocolError")
      expect(error.message.length).toBeLessThan(1_000)
      expect(JSON.stringify(error).length).toBeLessThan(2_000)
    })
  )
})

describe("spans", () => {
  it.effect("every call is one span named after its service method, with safe attributes only", () =>
    Effect.gen(function* () {
      const secrets = someSecrets
      const methods = {
        vehicleInfo: "GET",
        revoke: "DELETE",
        exchangeCode: "POST",
        refresh: "POST",
        clientCredentials: "POST"
      }
      const names = {
        exchangeCode: "TokenEndpoint.exchangeCode",
        refresh: "TokenEndpoint.refresh",
        clientCredentials: "TokenEndpoint.clientCredentials",
        revoke: "Revocation.revoke",
        vehicleInfo: "VehicleInfo.get"
      }
      for (const operation of operations) {
        const { layer } = Scripted.layer(
          [
            { status: 503, headers: { "x-echo": secrets.clientSecret } },
            { status: 401, headers: { "www-authenticate": `Bearer ${secrets.accessToken}` } }
          ],
          { credentials: Credentials.clientSecret(secrets.clientSecret), retrySchedule: Schedule.recurs(1) },
          "platform"
        )
        const { spans } = yield* RecordingTracer.recording(Effect.provide(callOf(operation, secrets), layer))
        expect(spans.map((span) => span.name)).toEqual([names[operation]])
        const [span] = spans
        expect(span!.kind).toBe("client")
        expect(Object.fromEntries(span!.attributes)).toEqual({
          "http.request.method": methods[operation],
          "server.address": "sandbox.api.high-mobility.com",
          "url.full": `https://sandbox.api.high-mobility.com${operation === "vehicleInfo" ? "/v1/vehicleinfo" : "/v1/access_tokens"}`,
          "hm_oauth.attempts": operation === "exchangeCode" || operation === "refresh" ? 1 : 2,
          "http.response.status_code": operation === "exchangeCode" || operation === "refresh" ? 503 : 401
        })
        for (const secret of Object.values(secrets)) expect(leaks(span!.recorded, secret)).toBe(false)
      }
    })
  )
})
