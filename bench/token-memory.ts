/**
 * Memory per grant: the heap (after a full GC) that N grants take in the memory store alone, and in the store
 * and a `TokenManager` holding every grant's access token in memory (each onboarded, then read once), divided by
 * N. The grants' token values are fresh strings, as a real fleet's are, so they are counted; the server is a
 * canned `HttpClient` that is never called.
 */

import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { HttpClient } from "@effect/platform"
import { Credentials, HmOAuth, HmOAuthConfig, TokenManager, TokenSet, TokenStore } from "@hm-oauth/core"
import { InMemoryHttpClient } from "@hm-oauth/testkit"
import { DateTime, Effect, Layer, ManagedRuntime, Schema } from "effect"
import { type Benchmark, type Contender, compare } from "./harness.js"

setFlagsFromString("--expose-gc")
const gc: () => void = runInNewContext("gc")

const heapAfterGc = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

const neverCalled = Layer.succeed(
  HttpClient.HttpClient,
  InMemoryHttpClient.make(() => Effect.dieMessage("the memory benchmark sends no request"))
)

const core = HmOAuth.layer.pipe(
  Layer.provideMerge(HmOAuthConfig.layer({ clientId: "bench-fleet", credentials: Credentials.clientSecret("secret") })),
  Layer.provide(neverCalled),
  Layer.orDie
)

/**
 * A grant's tokens as a code exchange hands them over: a token response body, parsed and decoded the way core does
 * it, so that every value is a string of its own as in a real fleet (fresh `crypto.randomUUID()` strings are ropes
 * several times their size).
 */
const tokenSet = (now: number) =>
  TokenSet.fromResponse(
    decodeResponse(
      JSON.parse(
        JSON.stringify({
          access_token: crypto.randomUUID(),
          token_type: "bearer",
          expires_in: 3600,
          refresh_token: crypto.randomUUID(),
          scope: "diagnostics.get.mileage doors.get.locks windows.get.positions",
          status: "approved",
          authorization_id: crypto.randomUUID()
        })
      )
    ),
    DateTime.unsafeMake(now)
  )

const decodeResponse = Schema.decodeUnknownSync(TokenSet.AccessTokenResponse)

const grantId = (n: number) => `WBA${String(n).padStart(14, "0")}`

/** Bytes per grant of what `fill` keeps alive, measured from a clean heap; disposed after. */
const perGrant = async (count: number, fill: (count: number) => Promise<() => Promise<void>>): Promise<number> => {
  const before = heapAfterGc()
  const dispose = await fill(count)
  const after = heapAfterGc()
  await dispose()
  return (after - before) / count
}

const managerName = "memory store + TokenManager (every token in memory)"

const storeAlone: Contender = {
  name: "memory store alone",
  round: (count) =>
    perGrant(count, async (n) => {
      const runtime = ManagedRuntime.make(TokenStore.layerMemory)
      const now = Date.now()
      await runtime.runPromise(
        Effect.flatMap(TokenStore.TokenStore, (store) =>
          Effect.forEach(
            Array.from({ length: n }, (_, i) => i),
            (i) => {
              const tokens = tokenSet(now)
              return store.insert({
                grantId: grantId(i),
                clientId: "bench-fleet",
                authorizationId: tokens.authorizationId,
                tokens: { ...tokens, status: "active" }
              })
            },
            { discard: true }
          )
        )
      )
      return () => runtime.dispose()
    })
}

const storeAndManager: Contender = {
  name: managerName,
  round: (count) =>
    perGrant(count, async (n) => {
      const runtime = ManagedRuntime.make(
        TokenManager.layer().pipe(Layer.provideMerge(TokenStore.layerMemory), Layer.provideMerge(core), Layer.orDie)
      )
      const now = Date.now()
      await runtime.runPromise(
        Effect.flatMap(TokenManager.TokenManager, (manager) =>
          Effect.forEach(
            Array.from({ length: n }, (_, i) => i),
            (i) => Effect.zipRight(manager.onboard(grantId(i), tokenSet(now)), manager.accessToken(grantId(i))),
            { discard: true }
          )
        )
      )
      const { cachedGrants } = await runtime.runPromise(Effect.flatMap(TokenManager.TokenManager, (m) => m.stats))
      if (cachedGrants !== n) throw new Error(`the manager holds ${cachedGrants} of ${n} grants in memory`)
      return () => runtime.dispose()
    })
}

export const benchmark: Benchmark = {
  name: "token-memory",
  title:
    "heap per grant after a full GC: the memory store alone, and the store with a TokenManager caching every grant",
  unit: "bytes/grant",
  perRoundUnit: "grants",
  settings: {
    full: { rounds: 3, warmupRounds: 1, perRound: 100_000 },
    smoke: { rounds: 1, warmupRounds: 0, perRound: 1_000 }
  },
  run: async (options) => {
    const comparison = await compare([storeAlone, storeAndManager], options, [])
    const both = comparison.contenders.find((contender) => contender.name === managerName)
    return {
      ...comparison,
      notes:
        both === undefined
          ? []
          : [
              `target ≤ 1,024 bytes per grant (store + manager, ${options.settings.perRound} grants): ` +
                `${both.median.toFixed(0)} bytes, ${both.median <= 1024 ? "met" : "missed"}`
            ]
    }
  }
}
