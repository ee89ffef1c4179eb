import * as HttpClient from "@effect/platform/HttpClient"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Conformance from "../src/Conformance.js"
import * as FakeHttpServer from "../src/FakeHttpServer.js"
import { broken, policies } from "./conformance/policies.js"

const served = (policy: Parameters<typeof FakeHttpServer.layer>[0] = {}) =>
  Layer.merge(FakeHttpServer.layer(policy), NodeHttpClient.layerUndici)

const servedDriver = (options: Conformance.FakeOptions = {}) =>
  Effect.gen(function* () {
    return yield* Conformance.servedFake(yield* FakeHttpServer.baseUrl, yield* HttpClient.HttpClient, options)
  })

// one Vitest test per check, as a user's suite registers them
Conformance.suite("the served fake as a Vitest suite", served(), servedDriver(), { seed: 11, runs: 2 })

describe("Conformance against the served fake", () => {
  for (const { name, policy, failing } of policies.filter((entry) => entry.name !== "default")) {
    it.live(
      `every check passes under the policy "${name}", but the SHOULDs it gives up`,
      () =>
        Effect.gen(function* () {
          const driver = yield* servedDriver({ policy })
          const report = yield* Conformance.run(Conformance.catalogue, driver, { seed: 7, runs: 1 })
          expect(broken(report.results), Conformance.text(report)).toEqual(failing)
        }).pipe(Effect.provide(served({ policy }))),
      60_000
    )
  }
})
