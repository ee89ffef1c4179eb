/**
 * The served fake answers the API's paths with a bare Node listener in front of the platform app. It must answer
 * exactly as the app's `forward` route does: the same server behind the platform alone and behind the listener
 * receive the same raw requests, and every byte of their answers must match (but the date, and the claims and
 * signature of client-credentials tokens, which hold the time and a random ECDSA signature).
 */
import { createServer } from "node:http"
import { connect } from "node:net"
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime } from "effect"
import * as FakeHttpServer from "../src/FakeHttpServer.js"
import * as FakeServer from "../src/FakeServer.js"
import * as Faults from "../src/Faults.js"
import { VIN, WEB } from "./fixtures.js"

// one audience for both servers, so that their client-credentials tokens are as long as each other
const options = { seed: 7, clients: [WEB], vehicles: [{ vin: VIN }], policy: { audience: "http://fake.test/v1" } }

/** The fake behind the platform app alone, every request through its `forward` route. */
const platformOnly = HttpServer.serve(FakeHttpServer.app()).pipe(
  Layer.provideMerge(Layer.effect(FakeServer.FakeServer, FakeServer.make(options))),
  Layer.provideMerge(NodeHttpServer.layer(createServer, { host: "127.0.0.1", port: 0 }))
)

/** Sends one request on a fresh connection, which it asks the server to close, and reads everything back. */
const exchange = (port: number, request: string) =>
  new Promise<string>((resolve) => {
    let answer = ""
    const socket = connect(port, "127.0.0.1", () => socket.end(request))
    socket.setEncoding("latin1")
    socket.on("data", (chunk: string) => {
      answer += chunk
    })
    socket.on("error", () => {
      answer += "<reset>"
    })
    socket.on("close", () =>
      resolve(
        answer
          .replace(/^date: .*$/im, "date: <now>")
          .replace(/(eyJ[\w-]*)\.eyJ[\w-]*(?:\.[\w-]*)?/g, "$1.<claims and signature>")
      )
    )
  })

const form = "application/x-www-form-urlencoded"
const credentials = `client_id=${WEB.id}&client_secret=${WEB.secret}`

const request = (line: string, body = "", headers: Record<string, string | number> = {}) => {
  const all = {
    host: "fake.test",
    connection: "close",
    ...(body === "" ? {} : { "content-type": form, "content-length": Buffer.byteLength(body) }),
    ...headers
  }
  return `${line} HTTP/1.1\r\n${Object.entries(all)
    .map(([name, value]) => `${name}: ${value}`)
    .join("\r\n")}\r\n\r\n${body}`
}

const clientCredentials = request("POST /v1/access_tokens", `grant_type=client_credentials&${credentials}`)

const requests = [
  clientCredentials,
  request("POST /v1/access_tokens?trace=1", `grant_type=refresh_token&refresh_token=unknown&${credentials}`),
  request("POST /v1/access_tokens", '{"grant_type": ', { "content-type": "application/json" }),
  request("POST /v1/access_tokens", `grant_type=client_credentials&client_id=${WEB.id}&client_secret=caf%C3%A9`),
  request("POST /v1/access_tokens", `grant_type=client_credentials&${credentials}`, { "content-type": "text/plain" }),
  request("GET /v1/vehicleinfo"),
  request("GET /v1/vehicleinfo", "", { authorization: "Bearer unknown" }),
  // two Authorization headers, of which Node's `headers` would keep the first: the model sees both, and refuses them
  "GET /v1/vehicleinfo HTTP/1.1\r\nhost: fake.test\r\nconnection: close\r\nauthorization: Bearer a\r\nauthorization: Bearer b\r\n\r\n",
  request("HEAD /v1/vehicleinfo"),
  request("PUT /v1/vehicleinfo"),
  request("DELETE /v1/access_tokens", `token=unknown&${credentials}`),
  request("DELETE /v1/access_tokens"),
  // declared too large: 413 before the body is read
  request("POST /v1/access_tokens", "", { "content-length": 70_000 }),
  // too large without a declared length: the reader gives up and the connection goes
  `POST /v1/access_tokens HTTP/1.1\r\nhost: fake.test\r\ntransfer-encoding: chunked\r\n\r\n11170\r\n${"x".repeat(0x11170)}\r\n0\r\n\r\n`
]

const faults = [
  Faults.on("token", [1], Faults.refused),
  Faults.on("token", [2], Faults.serverError(503, 3)),
  Faults.on("token", [3], Faults.htmlErrorPage(502)),
  Faults.on("token", [4], Faults.malformedJson),
  Faults.on("token", [5], Faults.commitThenLose),
  Faults.on("token", [6], Faults.latency(20))
]

/** A server's answers to every request, then to as many client-credentials requests as there are faults. */
const transcript = async (
  runtime: ManagedRuntime.ManagedRuntime<FakeServer.FakeServer | HttpServer.HttpServer, unknown>
) => {
  const { port } = new URL(await runtime.runPromise(FakeHttpServer.baseUrl))
  const answers: Array<string> = []
  for (const text of requests) answers.push(await exchange(Number(port), text))
  await runtime.runPromise(Effect.flatMap(FakeServer.FakeServer, (server) => server.setFaults(faults)))
  for (const _ of faults) answers.push(await exchange(Number(port), clientCredentials))
  const history = await runtime.runPromise(Effect.flatMap(FakeServer.FakeServer, (server) => server.history))
  return { answers, history: history.map(({ at: _, ...entry }) => entry) }
}

describe("FakeHttpServer: the API listener", () => {
  it("answers every request byte for byte as the platform app's forward route, faults included", async () => {
    const platform = ManagedRuntime.make(platformOnly)
    const served = ManagedRuntime.make(FakeHttpServer.layer(options))
    try {
      const expected = await transcript(platform)
      const actual = await transcript(served)
      expect(expected.answers[0]).toMatch(/^HTTP\/1.1 200 OK\r\ncache-control: no-store\r\n/)
      expect(actual.answers[requests.findIndex((text) => text.includes("Bearer b"))]).toMatch(
        /^HTTP\/1.1 400 [\s\S]*"error":"invalid_request"/
      )
      expect(actual.answers).toEqual(expected.answers)
      expect(actual.history).toEqual(expected.history)
    } finally {
      await Promise.all([platform.dispose(), served.dispose()])
    }
  })
})
