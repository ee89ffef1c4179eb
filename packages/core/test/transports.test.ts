/**
 * The promises that depend on a real transport, over loopback: Node's `http`, undici and `fetch`. A body past
 * the bound is abandoned while it streams (a gzip bomb through `fetch` included), a token that cannot go into a
 * header never leaves, an attempt that gets no answer times out on the real clock and lets go of its connection,
 * and no response header reaches a span.
 */
import { once } from "node:events"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as zlib from "node:zlib"
import { FetchHttpClient, type HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Schedule, type Scope } from "effect"
import { Credentials, HmOAuth, HmOAuthConfig, TokenEndpoint, VehicleInfo } from "../src/index.js"
import { leaks } from "./support/leaks.js"
import * as RecordingTracer from "./support/RecordingTracer.js"

/** What the server saw. */
interface Seen {
  requests: number
  /** Connections the client closed before the server had finished its answer. */
  abandoned: number
}

/** A loopback server on a free port, closed with the scope. */
const serve = (
  handler: (request: http.IncomingMessage, response: http.ServerResponse, seen: Seen) => void
): Effect.Effect<{ readonly baseUrl: string; readonly seen: Seen }, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const seen: Seen = { requests: 0, abandoned: 0 }
      const server = http.createServer((request, response) => {
        seen.requests++
        response.on("close", () => {
          if (!response.writableFinished) seen.abandoned++
        })
        request.resume()
        request.on("end", () => handler(request, response, seen))
      })
      server.listen(0, "127.0.0.1")
      await once(server, "listening")
      return { server, seen, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
    }),
    ({ server }) =>
      Effect.promise(() => {
        server.closeAllConnections()
        return new Promise<void>((resolve) => server.close(() => resolve()))
      })
  )

const transports: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["node:http", NodeHttpClient.layer],
  ["undici", NodeHttpClient.layerUndici],
  ["fetch", FetchHttpClient.layer]
]

const core = (
  baseUrl: string,
  transport: Layer.Layer<HttpClient.HttpClient>,
  options: Partial<HmOAuthConfig.Options> = {}
) =>
  HmOAuth.layer.pipe(
    Layer.provide(
      HmOAuthConfig.layer({
        baseUrl,
        clientId: "client-1",
        credentials: Credentials.clientSecret("transport-secret-1"),
        retrySchedule: Schedule.stop,
        ...options
      })
    ),
    Layer.provide(transport),
    Layer.orDie
  )

const clientCredentials = Effect.flatMap(TokenEndpoint.TokenEndpoint, (tokens) => tokens.clientCredentials())

/** Writes gzip-compressed zeros for as long as the client reads: an endless bomb. */
const gzipBomb = (response: http.ServerResponse) => {
  response.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" })
  const gzip = zlib.createGzip({ level: 1 })
  gzip.pipe(response)
  const zeros = Buffer.alloc(1024 * 1024)
  const pump = () => {
    while (!response.destroyed && gzip.write(zeros)) {
      // keep writing until the stream asks to wait
    }
    if (!response.destroyed) gzip.once("drain", pump)
  }
  response.on("close", () => gzip.destroy())
  pump()
}

describe("a body past the bound is abandoned while it streams", () => {
  it.live("a gzip bomb through fetch: UnexpectedResponse, and the client hangs up", () =>
    Effect.gen(function* () {
      const { baseUrl, seen } = yield* serve((_, response) => gzipBomb(response))
      const error = yield* Effect.flip(Effect.provide(clientCredentials, core(baseUrl, FetchHttpClient.layer)))
      expect(error).toMatchObject({ _tag: "UnexpectedResponse", status: 200, excerpt: "" })
      expect(error.message).toContain("larger than 65536 bytes")
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 50)))
      expect(seen.abandoned).toBe(1)
    }).pipe(Effect.scoped)
  )

  for (const [name, transport] of transports) {
    it.live(`${name}: an endless chunked body is refused at the bound`, () =>
      Effect.gen(function* () {
        const { baseUrl } = yield* serve((_, response) => {
          response.writeHead(200, { "content-type": "application/json" })
          const chunk = Buffer.alloc(16 * 1024, "x")
          const pump = () => {
            while (!response.destroyed && response.write(chunk)) {
              // until the socket asks to wait
            }
            if (!response.destroyed) response.once("drain", pump)
          }
          pump()
        })
        const error = yield* Effect.flip(Effect.provide(clientCredentials, core(baseUrl, transport)))
        expect(error).toMatchObject({ _tag: "UnexpectedResponse", status: 200 })
        expect(error.message).toContain("larger than 65536 bytes")
      }).pipe(Effect.scoped)
    )
  }
})

describe("a token that cannot go into a header never leaves", () => {
  for (const [name, transport] of transports) {
    it.live(`${name}: CR LF, NUL or a non-Latin-1 character → InvalidAccessToken, nothing sent`, () =>
      Effect.gen(function* () {
        const { baseUrl, seen } = yield* serve((_, response) =>
          response.writeHead(200, { "content-type": "application/json" }).end('{"vin":"V","sub":"s"}')
        )
        yield* Effect.gen(function* () {
          const vehicles = yield* VehicleInfo.VehicleInfo
          for (const token of ["at\r\nx-injected: 1", "at\u0000", "at-\u20ac"]) {
            const error = yield* Effect.flip(vehicles.get(Redacted.make(token)))
            expect(error).toMatchObject({ _tag: "InvalidAccessToken", operation: "vehicleInfo" })
          }
          expect(seen.requests).toBe(0)
          expect((yield* vehicles.get(Redacted.make("8f9c2d3e-1b4a-4c5d-9e6f-7a8b9c0d1e2f"))).vin).toBe("V")
          expect(seen.requests).toBe(1)
        }).pipe(Effect.provide(core(baseUrl, transport)))
      }).pipe(Effect.scoped)
    )
  }
})

describe("an attempt without an answer times out on the real clock", () => {
  for (const [name, transport] of transports) {
    it.live(`${name}: RequestTimeout after the per-attempt timeout; the connection is let go`, () =>
      Effect.gen(function* () {
        const { baseUrl, seen } = yield* serve(() => {
          // never answers
        })
        const started = Date.now()
        const error = yield* Effect.flip(
          Effect.provide(clientCredentials, core(baseUrl, transport, { timeout: "300 millis" }))
        )
        expect(error).toMatchObject({ _tag: "RequestTimeout", timeoutMillis: 300 })
        expect(Date.now() - started).toBeGreaterThanOrEqual(290)
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 100)))
        expect(seen.abandoned).toBe(1)
      }).pipe(Effect.scoped)
    )
  }
})

describe("no response header reaches a span", () => {
  for (const [name, transport] of transports) {
    it.live(`${name}: a server echoing the secret and a bearer token in headers`, () =>
      Effect.gen(function* () {
        const token = "8f9c2d3e-1b4a-4c5d-9e6f-7a8b9c0d1e2f"
        const { baseUrl } = yield* serve((request, response) =>
          response
            .writeHead(401, {
              "content-type": "application/json",
              "www-authenticate": `Bearer realm="hm", token="${request.headers.authorization}"`,
              "x-echo": "transport-secret-1"
            })
            .end('{"error":"invalid_token"}')
        )
        const { exit, spans } = yield* RecordingTracer.recording(
          Effect.provide(
            Effect.flatMap(VehicleInfo.VehicleInfo, (vehicles) => vehicles.get(Redacted.make(token))),
            core(baseUrl, transport)
          )
        )
        expect(exit._tag).toBe("Failure")
        expect(spans.map((span) => span.name)).toEqual(["VehicleInfo.get"])
        for (const span of spans) {
          expect(leaks(span.recorded, token)).toBe(false)
          expect(leaks(span.recorded, "transport-secret-1")).toBe(false)
        }
      }).pipe(Effect.scoped)
    )
  }
})
