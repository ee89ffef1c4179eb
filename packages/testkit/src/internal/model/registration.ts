import { createPublicKey, type JsonWebKey, KeyObject } from "node:crypto"
import { DateTime, Either, Schema } from "effect"
import type * as Model from "../../Model.js"
import { problems } from "../problems.js"
import { update } from "./copy.js"

const Jwk = Schema.Record({ key: Schema.String, value: Schema.Unknown })

const KeyObjectSchema = Schema.declare((input): input is KeyObject => input instanceof KeyObject, {
  identifier: "KeyObject"
})

/** An ISO 8601 instant in JSON, epoch milliseconds in the model. */
const EpochMillis = Schema.transform(Schema.DateTimeUtc, Schema.Number, {
  strict: true,
  decode: (instant) => DateTime.toEpochMillis(instant),
  encode: (millis) => DateTime.unsafeMake(millis)
})

/**
 * A service-account key: its id, the public key as a PEM (public, or the console's private key, whose public half
 * is taken), a JWK or (in code) a `KeyObject`, and an optional expiry.
 */
export const ServiceAccountKeyRegistration = Schema.Struct({
  id: Schema.NonEmptyString,
  // a KeyObject first: an object, it would pass for a JWK and be copied to an empty record
  publicKey: Schema.Union(KeyObjectSchema, Schema.String, Jwk),
  expiresAt: Schema.optionalWith(EpochMillis, { exact: true })
})

/** A client: no `secret` means a public (PKCE) app; `scopes` are its client-credentials scopes. */
export const ClientRegistration = Schema.Struct({
  id: Schema.NonEmptyString,
  secret: Schema.optionalWith(Schema.NonEmptyString, { exact: true }),
  redirectUris: Schema.Array(Schema.String),
  serviceAccountKeys: Schema.optionalWith(Schema.Array(ServiceAccountKeyRegistration), { exact: true }),
  scopes: Schema.optionalWith(Schema.Array(Schema.NonEmptyString), { exact: true })
})

/** A vehicle. */
export const Vehicle = Schema.Struct({ vin: Schema.NonEmptyString })

// the scopes of the spec's client-credentials example
const DEFAULT_CLIENT_SCOPES = ["fleet:clearance", "vehicle:eligibility-check", "vehicle:data"]

const toPublicKey = (key: KeyObject | string | JsonWebKey): KeyObject => {
  if (key instanceof KeyObject) return key.type === "public" ? key : createPublicKey(key)
  // a PEM or JWK may hold the private key (HM's console hands out a private PEM): its public half is taken
  return typeof key === "string" ? createPublicKey(key) : createPublicKey({ format: "jwk", key })
}

/** The public half of a registered key, or what is wrong with it: never Node's message, which may quote it. */
const importPublicKey = (
  clientId: string,
  keyId: string,
  key: KeyObject | string | JsonWebKey
): Either.Either<KeyObject, Model.RegistrationError> => {
  const invalid = (problem: string) =>
    Either.left<Model.RegistrationError>({ _tag: "InvalidServiceAccountKey", clientId, keyId, problem })
  let publicKey: KeyObject
  try {
    publicKey = toPublicKey(key)
  } catch {
    return invalid("not a readable key: expected a PEM (public or private) or a JWK")
  }
  const curve = publicKey.asymmetricKeyDetails?.namedCurve
  if (publicKey.asymmetricKeyType !== "ec" || curve !== "prime256v1") {
    return invalid(
      `not a P-256 key (found ${publicKey.asymmetricKeyType ?? "an unknown type"}${curve ? ` on ${curve}` : ""})`
    )
  }
  return Either.right(publicKey)
}

/** A checker of what code or JSON registers: the input as the schema reads it, or the problems it has. */
const checker = <A, I>(schema: Schema.Schema<A, I>) => {
  const validate = Schema.validateEither(schema, { errors: "all", onExcessProperty: "ignore" })
  return (input: A, invalid: (problems: ReadonlyArray<string>) => Model.RegistrationError) =>
    Either.mapLeft(validate(input), (error) => invalid(problems(error)))
}

const checkClient = checker(ClientRegistration)

/** Imports every key of a client, in order; a key id listed twice is refused. */
const importKeys = (
  clientId: string,
  registrations: ReadonlyArray<typeof ServiceAccountKeyRegistration.Type>
): Either.Either<ReadonlyArray<Model.ServiceAccountKey>, Model.RegistrationError> =>
  Either.gen(function* () {
    const keys: Array<Model.ServiceAccountKey> = []
    for (const key of registrations) {
      if (keys.some((other) => other.id === key.id)) {
        return yield* Either.left({ _tag: "DuplicateServiceAccountKey", clientId, keyId: key.id } as const)
      }
      const publicKey = yield* importPublicKey(clientId, key.id, key.publicKey)
      keys.push({ id: key.id, publicKey, ...(key.expiresAt === undefined ? {} : { expiresAt: key.expiresAt }) })
    }
    return keys
  })

/**
 * Registers a client: its fields checked against the schema, every key imported, its id and key ids unique. A
 * client id already registered is refused, never replaced: two registrations under one id are a setup mistake.
 */
export const registerClient = (
  state: Model.State,
  registration: Model.ClientRegistration
): Either.Either<Model.State, Model.RegistrationError> =>
  Either.gen(function* () {
    const {
      id,
      secret,
      redirectUris,
      serviceAccountKeys = [],
      scopes = DEFAULT_CLIENT_SCOPES
    } = yield* checkClient(registration, (problems) => ({
      _tag: "InvalidClient",
      clientId: String(registration.id),
      problems
    }))
    if (state.clients.has(id)) return yield* Either.left({ _tag: "DuplicateClient", clientId: id } as const)
    // picked one by one: a caller's extra fields must not land in the record
    const client: Model.Client = {
      id,
      ...(secret === undefined ? {} : { secret }),
      redirectUris,
      scopes,
      serviceAccountKeys: yield* importKeys(id, serviceAccountKeys)
    }
    // a copy per registration keeps the map's order, the order of registration, and registrations are rare
    return update(state, { clients: new Map(state.clients).set(id, client) })
  })

const checkVehicle = checker(Vehicle)

/** Registers a vehicle; a VIN already registered is refused. The first registered is the consent page's default. */
export const registerVehicle = (
  state: Model.State,
  vehicle: Model.Vehicle
): Either.Either<Model.State, Model.RegistrationError> =>
  Either.gen(function* () {
    const { vin } = yield* checkVehicle(vehicle, (problems) => ({
      _tag: "InvalidVehicle",
      vin: String(vehicle.vin),
      problems
    }))
    if (state.vehicles.has(vin)) return yield* Either.left({ _tag: "DuplicateVehicle", vin } as const)
    return update(state, { vehicles: new Map(state.vehicles).set(vin, { vin }) })
  })
