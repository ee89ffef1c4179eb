import { createPublicKey, type JsonWebKey, KeyObject } from "node:crypto"
import { HashMap } from "effect"
import type { Client, ClientRegistration, State, Vehicle } from "../../Model.js"
import { update } from "./copy.js"

// the scopes of the spec's client-credentials example
const DEFAULT_CLIENT_SCOPES = ["fleet:clearance", "vehicle:eligibility-check", "vehicle:data"]

const toPublicKey = (key: KeyObject | string | JsonWebKey): KeyObject => {
  if (key instanceof KeyObject) return key.type === "public" ? key : createPublicKey(key)
  // a PEM or JWK may hold the private key (HM's console hands out a private PEM): its public half is taken
  return typeof key === "string" ? createPublicKey(key) : createPublicKey({ format: "jwk", key })
}

const importPublicKey = (id: string, key: KeyObject | string | JsonWebKey): KeyObject => {
  const publicKey = toPublicKey(key)
  if (publicKey.asymmetricKeyType !== "ec" || publicKey.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new TypeError(`service account key ${id} is not a P-256 key`)
  }
  return publicKey
}

export const registerClient = (state: State, registration: ClientRegistration): State => {
  const { id, secret, redirectUris, serviceAccountKeys = [], scopes = DEFAULT_CLIENT_SCOPES } = registration
  // picked one by one: a caller's extra fields must not land in the record
  const client: Client = {
    id,
    ...(secret === undefined ? {} : { secret }),
    redirectUris,
    scopes,
    serviceAccountKeys: serviceAccountKeys.map((key) => ({
      id: key.id,
      publicKey: importPublicKey(key.id, key.publicKey),
      ...(key.expiresAt === undefined ? {} : { expiresAt: key.expiresAt })
    }))
  }
  return update(state, { clients: HashMap.set(state.clients, client.id, client) })
}

export const registerVehicle = (state: State, vehicle: Vehicle): State =>
  update(state, { vehicles: HashMap.set(state.vehicles, vehicle.vin, vehicle) })
