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

/** The vehicle info endpoint. */
export class VehicleInfo extends Context.Tag("@hm-oauth/core/VehicleInfo")<
  VehicleInfo,
  {
    /** The VIN and `sub` bound to the access token. */
    readonly get: (accessToken: Redacted.Redacted<string>) => Effect.Effect<Vehicle, VehicleInfoError>
  }
>() {}

/** Builds the vehicle info endpoint over the shared `HmHttpClient`. */
export const make: Effect.Effect<VehicleInfo["Type"], never, HmHttpClient> = Effect.gen(function* () {
  const http = yield* HmHttpClient
  return VehicleInfo.of({
    get: Effect.fn("VehicleInfo.get")(function* (accessToken: Redacted.Redacted<string>) {
      return yield* http.execute(
        { operation: "vehicleInfo", method: "GET", path: "/v1/vehicleinfo", bearerToken: accessToken },
        Vehicle
      )
    })
  })
})

/** The vehicle info endpoint; `HmHttpClient.layer` provides what it needs. */
export const layer: Layer.Layer<VehicleInfo, never, HmHttpClient> = Layer.effect(VehicleInfo, make)
