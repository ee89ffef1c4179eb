/**
 * `GET /v1/vehicleinfo`: which car an access token reads. Safe to retry; a refused token fails with
 * `Unauthorized` and a reason (expired, consent revoked or pending, invalid).
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, type Redacted } from "effect"
import { HmHttpClient } from "./HmHttpClient.js"
import type { VehicleInfoError } from "./HmOAuthError.js"
import { Vehicle } from "./Vehicle.js"

/**
 * The vehicle info endpoint.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The VIN and `sub` bound to the access token. */
  readonly get: (accessToken: Redacted.Redacted<string>) => Effect.Effect<Vehicle, VehicleInfoError>
}

/**
 * The vehicle info endpoint.
 *
 * @since 0.1.0
 * @category tags
 */
export class VehicleInfo extends Context.Tag("@hm-oauth/core/VehicleInfo")<VehicleInfo, Service>() {}

/**
 * Builds the vehicle info endpoint over the shared `HmHttpClient`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, never, HmHttpClient> = Effect.map(HmHttpClient, (http) =>
  VehicleInfo.of({ get: (accessToken) => http.execute("vehicleInfo", { bearerToken: accessToken }, Vehicle) })
)

/**
 * The vehicle info endpoint; `HmHttpClient.layer` provides what it needs.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<VehicleInfo, never, HmHttpClient> = Layer.effect(VehicleInfo, make)
