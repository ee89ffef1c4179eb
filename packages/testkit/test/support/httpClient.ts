/**
 * The core client wired to a fresh fake server over real HTTP: the server listens on a free loopback port,
 * the client talks to it with undici, as a user's application would.
 */

import type { HttpServer } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import type { HmOAuthConfig } from "@hm-oauth/core"
import { Effect, Layer } from "effect"
import * as FakeHttpServer from "../../src/FakeHttpServer.js"
import type * as FakeServer from "../../src/FakeServer.js"
import * as Client from "./client.js"

/** Core's three services as `as`, plus `FakeServer`, over one fresh server on 127.0.0.1. */
export const layer = (
  as: Client.As = "web",
  server: FakeServer.Options = {},
  config: Partial<HmOAuthConfig.Options> = {}
): Layer.Layer<Client.Services | HttpServer.HttpServer> =>
  Layer.unwrapEffect(Effect.map(FakeHttpServer.baseUrl, (baseUrl) => Client.core(as, { baseUrl, ...config }))).pipe(
    Layer.provide(NodeHttpClient.layerUndici),
    Layer.provideMerge(FakeHttpServer.layer(Client.serverOptions(server))),
    Layer.orDie
  )
