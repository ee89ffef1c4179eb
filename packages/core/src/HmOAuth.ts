/**
 * All three services in one layer, sharing one configured client. `HttpClient` stays a requirement: provide
 * `NodeHttpClient.layerUndici`, `FetchHttpClient.layer`, or the test kit's fake.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { Layer } from "effect"
import * as HmHttpClient from "./HmHttpClient.js"
import type { HmOAuthConfig } from "./HmOAuthConfig.js"
import * as Revocation from "./Revocation.js"
import * as TokenEndpoint from "./TokenEndpoint.js"
import * as VehicleInfo from "./VehicleInfo.js"

/** `TokenEndpoint`, `Revocation` and `VehicleInfo`, from a configuration and an `HttpClient`. */
export const layer: Layer.Layer<
  TokenEndpoint.TokenEndpoint | Revocation.Revocation | VehicleInfo.VehicleInfo,
  never,
  HmOAuthConfig | HttpClient.HttpClient
> = Layer.mergeAll(TokenEndpoint.layer, Revocation.layer, VehicleInfo.layer).pipe(Layer.provide(HmHttpClient.layer))
