/**
 * The served fake's configuration file (`hm-oauth-testkit serve --config FILE`), and the JSON bodies of the
 * control API that register clients and vehicles. A JSON document:
 *
 * ```json
 * {
 *   "seed": 7,
 *   "policy": { "accessTokenLifetime": 600, "errorStyle": "rfc6749" },
 *   "clients": [
 *     { "id": "web-app", "secret": "web-secret", "redirectUris": ["http://127.0.0.1:3000/callback"] },
 *     { "id": "native-app", "redirectUris": ["com.example.app:/oauth"] },
 *     { "id": "fleet-app", "redirectUris": [], "serviceAccountKeys": [{ "id": "key-1", "publicKey": "-----BEGIN PUBLIC KEY-----…" }] }
 *   ],
 *   "vehicles": [{ "vin": "WBA00000000000001" }]
 * }
 * ```
 * Every field is optional. A client without `secret` is a public PKCE app; `publicKey` is a PEM (public, or the
 * console's private key, whose public half is taken) or a JWK; `expiresAt` is an ISO 8601 instant.
 * `policy` takes any of the model's knobs (see `Model.Policy`).
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import * as Faults from "./Faults.js"
import { problems } from "./internal/problems.js"
import * as Model from "./Model.js"

/** The whole configuration file. */
export const ServerConfig = Schema.Struct({
  seed: Schema.optionalWith(Schema.Int, { exact: true }),
  policy: Schema.optionalWith(Model.PolicyOverrides, { exact: true }),
  clients: Schema.optionalWith(Schema.Array(Model.ClientRegistration), { exact: true }),
  vehicles: Schema.optionalWith(Schema.Array(Model.Vehicle), { exact: true }),
  faults: Schema.optionalWith(Schema.Array(Faults.Rule), { exact: true })
})
/** The decoded configuration file. */
export type ServerConfig = typeof ServerConfig.Type

/** Why a configuration was refused, every problem with its path. */
export class InvalidServerConfig extends Schema.TaggedError<InvalidServerConfig>()("InvalidServerConfig", {
  problems: Schema.String
}) {
  override get message() {
    return `invalid configuration:\n${this.problems}`
  }
}

/** Reads a configuration from JSON text, with a message naming each wrong field. */
export const parse = (json: string): Effect.Effect<ServerConfig, InvalidServerConfig> =>
  Schema.decodeUnknown(Schema.parseJson(ServerConfig), { errors: "all", onExcessProperty: "error" })(json).pipe(
    Effect.mapError(
      (error) =>
        new InvalidServerConfig({
          problems: problems(error)
            .map((line) => `  ${line}`)
            .join("\n")
        })
    )
  )
