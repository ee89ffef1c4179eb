/**
 * The core client wired to a fresh fake server over real HTTP: the server listens on a free loopback port,
 * the client talks to it with undici, as a user's application would.
 */

import type { HttpServer } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import {
  Credentials,
  HmOAuth,
  HmOAuthConfig,
  type Revocation,
  type TokenEndpoint,
  type VehicleInfo
} from "@hm-oauth/core"
import { Effect, Layer } from "effect"
import * as FakeHttpServer from "../../src/FakeHttpServer.js"
import type * as FakeServer from "../../src/FakeServer.js"
import * as Client from "./client.js"

/** Core's three services as the web app, plus `FakeServer`, over one fresh server on 127.0.0.1. */
export const layer = (
  server: FakeServer.Options = {},
  config: Partial<HmOAuthConfig.Options> = {}
): Layer.Layer<
  | TokenEndpoint.TokenEndpoint
  | Revocation.Revocation
  | VehicleInfo.VehicleInfo
  | FakeServer.FakeServer
  | HttpServer.HttpServer
> =>
  HmOAuth.layer.pipe(
    Layer.provide(
      Layer.unwrapEffect(
        Effect.map(FakeHttpServer.baseUrl, (baseUrl) =>
          HmOAuthConfig.layer({
            clientId: Client.WEB.id,
            credentials: Credentials.clientSecret(Client.WEB.secret),
            retrySchedule: Client.exactRetries,
            baseUrl,
            ...config
          })
        )
      )
    ),
    Layer.provide(NodeHttpClient.layerUndici),
    Layer.provideMerge(
      FakeHttpServer.layer({ clients: [Client.WEB, Client.NATIVE], vehicles: [{ vin: Client.VIN }], ...server })
    ),
    Layer.orDie
  )
