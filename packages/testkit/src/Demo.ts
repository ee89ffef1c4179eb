/**
 * The demo set the served fake starts with when given no configuration, and that the example program uses:
 * one car, and one client of each kind High Mobility has.
 * - `demo-web`: a server-side web app with a client secret;
 * - `demo-native`: a public mobile app that proves itself with PKCE;
 * - `demo-fleet`: a service account whose P-256 key pair is generated at start, its private half handed out
 *   as the console does (`{ "id", "private_key" }`).
 *
 * @since 0.1.0
 */
import { generateKeyPairSync } from "node:crypto"
import type * as FakeServer from "./FakeServer.js"
import type * as Model from "./Model.js"

/** The demo car. */
export const vin = "WBA00000000000001"

/** The confidential web app. */
export const webClient = {
  id: "demo-web",
  secret: "demo-web-secret",
  redirectUris: ["http://127.0.0.1:3000/callback", "http://localhost:3000/callback"]
} as const satisfies Model.ClientRegistration

/** The public mobile app. */
export const nativeClient = {
  id: "demo-native",
  redirectUris: ["com.example.demo:/oauth"]
} as const satisfies Model.ClientRegistration

/** The service-account client's id; its key is made by `make`. */
export const fleetClientId = "demo-fleet"

/** A service-account key as the console hands it out. */
export interface ConsoleKey {
  readonly id: string
  readonly private_key: string
}

/** The demo set with a fresh service-account key: the server's options and the key for the client. */
export const make = (): { readonly options: FakeServer.Options; readonly serviceAccountKey: ConsoleKey } => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" })
  const serviceAccountKey = {
    id: "demo-key-1",
    private_key: privateKey.export({ format: "pem", type: "pkcs8" }).toString()
  }
  return {
    serviceAccountKey,
    options: {
      clients: [
        webClient,
        nativeClient,
        { id: fleetClientId, redirectUris: [], serviceAccountKeys: [{ id: serviceAccountKey.id, publicKey }] }
      ],
      vehicles: [{ vin }]
    }
  }
}
