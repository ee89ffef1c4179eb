import { HashMap } from "effect"
import type { MakeOptions, State } from "../../Model.js"
import { defaultPolicy } from "./policy.js"
import { empty } from "./queue.js"
import { registerClient, registerVehicle } from "./registration.js"
import { seeded } from "./rng.js"
import { deriveSigningKey } from "./signingKey.js"

export const make = (options: MakeOptions = {}): State => {
  const [signingKey, rng] = deriveSigningKey(seeded(options.seed ?? 0))
  const initial: State = {
    policy: { ...defaultPolicy, ...options.policy },
    rng,
    serial: 0,
    signingKey,
    clients: HashMap.empty(),
    vehicles: HashMap.empty(),
    consents: HashMap.empty(),
    codes: HashMap.empty(),
    tokens: HashMap.empty(),
    families: HashMap.empty(),
    assertions: { byKey: HashMap.empty(), order: empty() },
    history: empty()
  }
  const withClients = (options.clients ?? []).reduce(registerClient, initial)
  return (options.vehicles ?? []).reduce(registerVehicle, withClients)
}
