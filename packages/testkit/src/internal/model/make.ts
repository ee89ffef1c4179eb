import { Either, HashMap, Schema } from "effect"
import type { MakeOptions, RegistrationError, State } from "../../Model.js"
import { problems } from "../problems.js"
import { empty } from "./log.js"
import { defaultPolicy, PolicyOverrides } from "./policy.js"
import { registerClient, registerVehicle } from "./registration.js"
import { hex, seeded } from "./rng.js"
import { deriveSigningKey } from "./signingKey.js"

const validOverrides = Schema.validateEither(PolicyOverrides, { errors: "all", onExcessProperty: "error" })

/** Registers each item in order, stopping at the first refused. */
const registerAll = <A>(
  state: State,
  items: ReadonlyArray<A>,
  register: (state: State, item: A) => Either.Either<State, RegistrationError>
): Either.Either<State, RegistrationError> => {
  let current = state
  for (const item of items) {
    const next = register(current, item)
    if (Either.isLeft(next)) return next
    current = next.right
  }
  return Either.right(current)
}

export const make = (options: MakeOptions = {}): Either.Either<State, RegistrationError> => {
  const overrides = validOverrides(options.policy ?? {})
  if (Either.isLeft(overrides)) return Either.left({ _tag: "InvalidPolicy", problems: problems(overrides.left) })
  const [signingKey, keyed] = deriveSigningKey(seeded(options.seed ?? 0))
  const [salt, rng] = hex(keyed, 1)
  const initial: State = {
    policy: { ...defaultPolicy, ...overrides.right },
    rng,
    salt: Number.parseInt(salt, 16),
    serial: 0,
    signingKey,
    clients: new Map(),
    vehicles: new Map(),
    consents: empty(),
    tokens: empty(),
    codes: empty(),
    families: empty(),
    values: empty(),
    familyTokens: empty(),
    expiries: { clientCredentials: empty(), access: empty(), due: Number.POSITIVE_INFINITY },
    sweep: 0,
    assertions: { byKey: HashMap.empty(), order: empty() },
    history: empty()
  }
  return Either.flatMap(registerAll(initial, options.clients ?? [], registerClient), (withClients) =>
    registerAll(withClients, options.vehicles ?? [], registerVehicle)
  )
}
