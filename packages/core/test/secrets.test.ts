import { inspect } from "node:util"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, FastCheck as fc, Redacted, Schedule } from "effect"
import { Credentials, Revocation, TokenEndpoint, VehicleInfo } from "../src/index.js"
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
      operation: fc.constantFrom("exchangeCode", "refresh", "clientCredentials", "revoke", "vehicleInfo"),
      behaviour: fc.nat({ max: 7 }),
      confidential: fc.boolean()
    },
    (inputs) =>
      Effect.gen(function* () {
        const {
          accessToken,
          behaviour,
          clientSecret,
          code,
          confidential,
          newToken,
          operation,
          refreshToken,
          verifier
        } = inputs
        const { layer } = Scripted.layer((received) => echoes(received, newToken)[behaviour]!, {
          credentials: confidential ? Credentials.clientSecret(clientSecret) : Credentials.none,
          retrySchedule: Schedule.stop
        })
        const call = Effect.gen(function* () {
          const tokens = yield* TokenEndpoint.TokenEndpoint
          switch (operation) {
            case "exchangeCode":
              return yield* tokens.exchangeCode({
                code: Redacted.make(code),
                redirectUri: "https://app.example/cb",
                codeVerifier: Redacted.make(verifier)
              })
            case "refresh":
              return yield* tokens.refresh(Redacted.make(refreshToken))
            case "clientCredentials":
              return yield* tokens.clientCredentials()
            case "revoke":
              return yield* (yield* Revocation.Revocation).revoke({ token: Redacted.make(refreshToken) })
            case "vehicleInfo":
              return yield* (yield* VehicleInfo.VehicleInfo).get(Redacted.make(accessToken))
          }
        })
        const exit = yield* call.pipe(Effect.provide(layer), Effect.exit)
        // A revocation answered 200 succeeds whatever the body: nothing to show, nothing to leak.
        if (exit._tag === "Success") {
          expect(operation).toBe("revoke")
          return
        }
        const cause = exit.cause
        const failures = [...Cause.failures(cause)]
        const shown = [
          Cause.pretty(cause),
          ...failures.flatMap((error) => [
            error.message,
            String(error),
            JSON.stringify(error),
            inspect(error, { depth: 10 })
          ])
        ].join("\n")
        for (const secret of [clientSecret, code, verifier, refreshToken, accessToken, newToken]) {
          expect(shown).not.toContain(secret)
        }
      }),
    { fastCheck: { numRuns: 200 } }
  )
})
