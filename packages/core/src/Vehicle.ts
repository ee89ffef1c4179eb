/**
 * The car an access token reads: what `GET /v1/vehicleinfo` answers.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** The VIN and the `sub` bound to an access token. */
export class Vehicle extends Schema.Class<Vehicle>("@hm-oauth/core/Vehicle")({
  vin: Schema.String,
  sub: Schema.String
}) {}
