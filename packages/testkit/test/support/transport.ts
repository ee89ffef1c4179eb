/**
 * How a test reaches the fake server. The invariant suites take a transport, so one suite runs against the
 * in-memory layer and against the server over real HTTP: one set of semantics, two transports.
 */
import type { HmOAuthConfig } from "@hm-oauth/core"
import type { Layer } from "effect"
import type * as FakeServer from "../../src/FakeServer.js"
import * as Client from "./client.js"
import * as HttpClientLayer from "./httpClient.js"

/** A way of wiring the core client to a fresh fake server. */
export interface Transport {
  readonly name: string
  /**
   * Core's services acting as `as`, `FakeServer`, and the configuration and `HttpClient` the core client runs
   * on (for hand-made requests and a second client), over a fresh server.
   */
  readonly layer: (
    as?: Client.As,
    server?: FakeServer.Options,
    config?: Partial<HmOAuthConfig.Options>
  ) => Layer.Layer<Client.Services>
  /**
   * Whether a `Refused` fault reaches the client as a refused connection, which proves the request was never
   * sent. Over a socket the server can only close the connection a request already came on: a reset.
   */
  readonly refusesConnections: boolean
}

/** The in-memory layer: requests go straight to the model, no socket. */
export const inMemory: Transport = { name: "in-memory", layer: Client.layer, refusesConnections: true }

/** The server over HTTP on a loopback port, the client over undici. */
export const http: Transport = { name: "http", layer: HttpClientLayer.layer, refusesConnections: false }

/** Every transport the invariant suites run over. */
export const transports: ReadonlyArray<Transport> = [inMemory, http]
