import * as HttpClient from "@effect/platform/HttpClient"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Conformance from "../src/Conformance.js"
import * as FakeHttpServer from "../src/FakeHttpServer.js"
import * as FakeServer from "../src/FakeServer.js"

const failures = (report: Conformance.Report) =>
  report.results.filter((result) => result.outcome._tag === "Failed" || result.outcome._tag === "Errored")

describe("Conformance", () => {
  it.live(
    "the whole catalogue passes against the served fake",
    () =>
      Effect.gen(function* () {
        const baseUrl = yield* FakeHttpServer.baseUrl
        const http = yield* HttpClient.HttpClient
        const driver = yield* Conformance.servedFake(baseUrl, http)
        const report = yield* Conformance.run(Conformance.catalogue, driver, { seed: 1, runs: 5 })
        console.log(Conformance.text(report))
        expect(failures(report)).toEqual([])
      }).pipe(Effect.provide(Layer.merge(FakeHttpServer.layer(), NodeHttpClient.layerUndici)), Effect.scoped),
    60_000
  )

  it.effect(
    "the whole catalogue passes against the in-memory fake",
    () =>
      Effect.gen(function* () {
        const server = yield* FakeServer.FakeServer
        const http = yield* HttpClient.HttpClient
        const driver = yield* Conformance.inMemoryFake(server, http)
        const report = yield* Conformance.run(Conformance.catalogue, driver, { seed: 1, runs: 5 })
        console.log(Conformance.text(report))
        expect(failures(report)).toEqual([])
      }).pipe(Effect.provide(FakeServer.layer())),
    60_000
  )
})
