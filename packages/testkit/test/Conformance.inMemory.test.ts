import * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Conformance from "../src/Conformance.js"
import * as FakeServer from "../src/FakeServer.js"
import { broken, policies } from "./conformance/policies.js"

describe("Conformance against the in-memory fake", () => {
  for (const { name, policy, failing } of policies) {
    it.effect(
      `every check passes under the policy "${name}", but the SHOULDs it gives up`,
      () =>
        Effect.gen(function* () {
          const driver = yield* Conformance.inMemoryFake(yield* FakeServer.FakeServer, yield* HttpClient.HttpClient)
          const report = yield* Conformance.run(Conformance.catalogue, driver, { seed: 7, runs: 3 })
          expect(broken(report.results), Conformance.text(report)).toEqual(failing)
        }).pipe(Effect.provide(FakeServer.layer({ policy }))),
      60_000
    )
  }
})
