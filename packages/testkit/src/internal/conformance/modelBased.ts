/**
 * The model-based differential check. fast-check draws sequences of what a client, an owner and time do (consent,
 * code exchange, refresh with the current or a superseded token, revocation, vehicle info, client credentials,
 * approving and withdrawing consents, clock moves); each command goes to the server under test over HTTP and to the
 * project's own `Model.step`, the oracle, and their answers must agree. Token values are random on both sides, so
 * they are compared by their place in the order of issue: each value an answer carries gets a label (`access_token#3`)
 * the first time it is seen, on each side, and the labels must match, as must the status, the error and its
 * description, the headers that carry meaning and every other field. After the last command, every access token of
 * the sequence is read once more: which tokens are live must agree too. A divergence shrinks to a shortest sequence,
 * reported with the server's exchanges, both answers, and the seed and path that replay it.
 *
 * The oracle is the model under the policy of the fake when the driver drives the project's own (`driver.fake`),
 * else under the default policy; either way with what the driver tells of the server (the assertion audience, the
 * reuse grace, whether it rotates refresh tokens). It starts fresh for each sequence, and each sequence works with consents of its own, so the server's
 * earlier state (other checks, other sequences) plays no part. Clock moves are whole multiples of five seconds and
 * every lifetime the model knows is one too: on a server whose clock also runs in real time, an expiry then never
 * falls inside the second or so a sequence takes.
 */
import { createHash, createPublicKey, type KeyObject, randomUUID, sign } from "node:crypto"
import { Clock, Effect, Either, FastCheck as fc, Option, Redacted } from "effect"
import * as Model from "../../Model.js"
import * as Check from "./check.js"
import { type ConfidentialClient, type Driver, DriverError, type PublicClient, type ServiceAccount } from "./driver.js"
import { property } from "./property.js"

// ---------------------------------------------------------------------------------------------------------
// Commands: plain data, so a counterexample prints as it reads
// ---------------------------------------------------------------------------------------------------------

/** Which client acts: the confidential one, the second confidential one, or the public (PKCE) one. */
type Role = "confidential" | "second" | "public"

/** Which item of a list a command acts on, drawn before the list is known: the newest, or any by its index. */
type Choice = number | "newest"

/** How a code exchange is sent: as it should be, or with one thing wrong. */
type ExchangeVariant = "faithful" | "wrongRedirectUri" | "noVerifier" | "wrongVerifier" | "otherClient" | "wrongSecret"

/** How a client-credentials request authenticates. */
type Credential = "secret" | "wrongSecret" | "assertion" | "replayedAssertion" | "wrongAudience" | "staleAssertion"

/** One thing a client, an owner or time does. */
export type Command =
  | { readonly op: "consent"; readonly as: Role; readonly pending: boolean }
  /**
   * A consent and its code's faithful exchange at once, so that most sequences soon hold a family or two; first,
   * unless `attempt` is "faithful", a wrong exchange of the fresh code, which must change nothing.
   */
  | { readonly op: "login"; readonly as: Role; readonly pending: boolean; readonly attempt: ExchangeVariant }
  | { readonly op: "exchange"; readonly consent: Choice; readonly variant: ExchangeVariant }
  | {
      readonly op: "refresh"
      readonly family: Choice
      /** A superseded token of the family (if it has one) instead of its current one. */
      readonly superseded?: Choice | undefined
      readonly byOtherClient: boolean
      readonly scope: "granted" | "narrower" | "wider"
    }
  | {
      readonly op: "revoke"
      readonly family: Choice
      readonly kind: "access" | "refresh"
      readonly token: Choice
      readonly byOtherClient: boolean
    }
  | { readonly op: "revokeUnknown" }
  | { readonly op: "vehicleInfo"; readonly token: Choice }
  | { readonly op: "clientCredentials"; readonly credential: Credential }
  | { readonly op: "approve"; readonly consent: Choice }
  | { readonly op: "withdraw"; readonly consent: Choice }
  | { readonly op: "advance"; readonly seconds: number }

/** What the driver lets a sequence do beyond consenting as the confidential client. */
interface Abilities {
  readonly second: boolean
  readonly public: boolean
  readonly pending: boolean
  readonly withdraw: boolean
  readonly clock: boolean
  readonly serviceAccount: boolean
}

const abilitiesOf = (driver: Driver): Abilities => ({
  second: driver.clients.second !== undefined,
  public: driver.clients.public !== undefined,
  pending: driver.consent?.pending === true && driver.consent.approve !== undefined,
  withdraw: driver.consent?.withdraw !== undefined,
  clock: driver.clock !== undefined,
  serviceAccount: driver.clients.serviceAccount !== undefined
})

/** The longest sequence drawn: long enough to reach a superseded token's reuse after a revocation or two. */
const MAX_COMMANDS = 50

/** The clock of a sequence stays this far short of the policy's `forgetAfter`: nothing it issued is forgotten. */
const forgetMargin = 3600

const choice: fc.Arbitrary<Choice> = fc.oneof(fc.constant("newest" as const), fc.nat({ max: 7 }))

/** Seconds, whole multiples of five: around the lifetimes the policy names, a short while, or a long one. */
const seconds = (policy: Model.Policy): fc.Arbitrary<number> => {
  const near = [policy.codeLifetime, policy.accessTokenLifetime, policy.assertionMaxAge].flatMap((lifetime) => [
    lifetime - 5,
    lifetime,
    lifetime + 5
  ])
  return fc.oneof(
    fc.constantFrom(...near.filter((s) => s > 0 && s % 5 === 0)),
    fc.integer({ min: 1, max: 24 }).map((n) => n * 5),
    fc.integer({ min: 1, max: 800 }).map((n) => n * 5)
  )
}

/** The commands a driver with `abilities` can serve, weighted so that families soon exist and get used. */
const commands = (abilities: Abilities, policy: Model.Policy): fc.Arbitrary<ReadonlyArray<Command>> => {
  const roles: Array<Role> = ["confidential"]
  if (abilities.second) roles.push("second")
  if (abilities.public) roles.push("public")
  const variants: Array<ExchangeVariant> = ["faithful", "faithful", "faithful", "wrongRedirectUri", "otherClient"]
  if (abilities.public) variants.push("noVerifier", "wrongVerifier")
  // a login's wrong first attempt, by what can go wrong for its client: PKCE for a public one, the secret otherwise
  const attempts = (role: Role): ReadonlyArray<ExchangeVariant> =>
    role === "public"
      ? ["noVerifier", "wrongVerifier", "wrongRedirectUri", "otherClient"]
      : ["faithful", "wrongSecret", "wrongVerifier", "wrongRedirectUri", "otherClient"]
  const credentials: Array<Credential> = ["secret", "wrongSecret"]
  if (abilities.serviceAccount) {
    credentials.push("assertion", "assertion", "replayedAssertion", "wrongAudience", "staleAssertion")
  }
  const consenting = {
    as: fc.constantFrom(...roles),
    pending: abilities.pending ? fc.boolean() : fc.constant(false)
  }
  const weighted: Array<fc.WeightedArbitrary<Command>> = [
    { weight: 2, arbitrary: fc.record({ op: fc.constant("consent" as const), ...consenting }) },
    {
      weight: 3,
      arbitrary: consenting.as.chain((as) =>
        fc.record({
          op: fc.constant("login" as const),
          as: fc.constant(as),
          pending: consenting.pending,
          attempt: fc.constantFrom(...attempts(as))
        })
      )
    },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant("exchange" as const),
        consent: choice,
        variant: fc.constantFrom(...variants)
      })
    },
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant("refresh" as const),
        family: choice,
        // a superseded token one time in three: most refreshes should build a family up
        superseded: fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: choice }),
        byOtherClient: fc.nat({ max: 4 }).map((n) => n === 0),
        scope: fc.constantFrom("granted" as const, "granted" as const, "narrower" as const, "wider" as const)
      })
    },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant("revoke" as const),
        family: choice,
        kind: fc.constantFrom("access" as const, "refresh" as const),
        token: choice,
        byOtherClient: fc.nat({ max: 3 }).map((n) => n === 0)
      })
    },
    { weight: 1, arbitrary: fc.constant({ op: "revokeUnknown" as const }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("vehicleInfo" as const), token: choice }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("clientCredentials" as const),
        credential: fc.constantFrom(...credentials)
      })
    }
  ]
  if (abilities.pending) {
    weighted.push({ weight: 1, arbitrary: fc.record({ op: fc.constant("approve" as const), consent: choice }) })
  }
  if (abilities.withdraw) {
    weighted.push({ weight: 1, arbitrary: fc.record({ op: fc.constant("withdraw" as const), consent: choice }) })
  }
  if (abilities.clock) {
    weighted.push({
      weight: 3,
      arbitrary: seconds(policy).map((s) => ({ op: "advance" as const, seconds: s }))
    })
  }
  return fc.array(fc.oneof(...weighted), { minLength: 1, maxLength: MAX_COMMANDS, size: "max" })
}

// ---------------------------------------------------------------------------------------------------------
// What a sequence builds: each value in pairs, the server's and the model's
// ---------------------------------------------------------------------------------------------------------

/** A value as the server handed it out and as the model did, in the same place of the order of issue. */
interface Pair {
  readonly server: string
  readonly model: string
}

type Side = keyof Pair

interface ConsentEntry {
  readonly role: Role
  readonly code: Pair
  /** The PKCE verifier of a public client's consent. */
  readonly verifier?: string | undefined
  /** Known once its code was redeemed: the token response names it. */
  authorizationId?: Pair | undefined
}

interface FamilyEntry {
  readonly role: Role
  readonly scopes: ReadonlyArray<string>
  /** Its refresh tokens in the order of issue: the last is the current one. */
  readonly refresh: Array<Pair>
  readonly access: Array<Pair>
}

/** The labels of the values one side handed out, each given at first sight: `refresh_token#2`. */
class Labels {
  private readonly byValue = new Map<string, string>()
  private readonly counts = new Map<string, number>()

  of(field: string, value: string): string {
    const known = this.byValue.get(value)
    if (known !== undefined) return known
    const n = (this.counts.get(field) ?? 0) + 1
    this.counts.set(field, n)
    const label = `${field}#${n}`
    this.byValue.set(value, label)
    return label
  }
}

interface Sequence {
  model: Model.State
  /** The model's time when the sequence began, and the clock's then. */
  readonly start: number
  readonly clockStart: number
  /** Milliseconds the clock was moved by during the sequence. */
  advanced: number
  readonly consents: Array<ConsentEntry>
  readonly families: Array<FamilyEntry>
  /** Every access token of the sequence, consent-flow and client-credentials, in the order of issue. */
  readonly access: Array<Pair>
  /** The valid assertions sent, to replay; and how many were signed, which numbers their ids. */
  readonly assertions: Array<string>
  signed: number
  readonly labels: { readonly [S in Side]: Labels }
  /** Makes this sequence's assertion ids its own, whatever the server saw before. */
  readonly nonce: string
}

/** The position `choice` names in a list of `length` items (at least one). */
const pick = (choice: Choice, length: number) => (choice === "newest" ? length - 1 : choice % length)

const chosen = <A>(items: ReadonlyArray<A>, choice: Choice): A | undefined =>
  items.length === 0 ? undefined : items[pick(choice, items.length)]

// ---------------------------------------------------------------------------------------------------------
// Answers, compared for what they mean
// ---------------------------------------------------------------------------------------------------------

/** The fields whose values the server draws: compared by label. */
const drawnFields = ["access_token", "refresh_token", "authorization_id", "sub"] as const

/** The headers that mean something here; the rest (date, length, connection) are the transport's. */
const meaningfulHeaders = ["cache-control", "pragma", "www-authenticate", "allow"] as const

/** An answer as the comparison sees it: drawn values as labels, a request id as such, the media type alone. */
interface Observed {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
}

const parsed = (text: string): unknown => {
  if (text === "") return ""
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const observe = (labels: Labels, response: Model.WireResponse): Observed => {
  const headers: Record<string, string> = {}
  const mediaType = response.headers["content-type"]?.split(";", 1)[0]?.trim().toLowerCase()
  if (mediaType !== undefined) headers["content-type"] = mediaType
  for (const name of meaningfulHeaders) {
    const value = response.headers[name]
    if (value !== undefined) headers[name] = value
  }
  const body = parsed(response.body)
  if (!isObject(body)) return { status: response.status, headers, body }
  const labelled: Record<string, unknown> = { ...body }
  // in a fixed order, so that both sides label alike whatever order their members come in
  for (const field of drawnFields) {
    const value = body[field]
    if (typeof value === "string") labelled[field] = labels.of(field, value)
  }
  if (typeof body.request_id === "string") labelled.request_id = "<request_id>"
  return { status: response.status, headers, body: labelled }
}

/** JSON with every object's members sorted: two observations are alike when their canonical texts are. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, item: unknown) =>
    isObject(item) ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : item
  )

/** A drawn value of a successful answer, as the pair of both sides' values. */
const drawn = (server: Model.WireResponse, model: Model.WireResponse, field: string): Pair | undefined => {
  const serverBody = parsed(server.body)
  const modelBody = parsed(model.body)
  if (!isObject(serverBody) || !isObject(modelBody)) return undefined
  const serverValue = serverBody[field]
  const modelValue = modelBody[field]
  return typeof serverValue === "string" && typeof modelValue === "string"
    ? { server: serverValue, model: modelValue }
    : undefined
}

// ---------------------------------------------------------------------------------------------------------
// Running a sequence
// ---------------------------------------------------------------------------------------------------------

/** A request with a value for each side: the server gets its own tokens, the model its own. */
type Paired = (side: Side) => Model.WireRequest

const json = (method: string, path: string, params: Readonly<Record<string, string | undefined>>) => {
  const defined = Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined))
  return { method, path, headers: { "content-type": "application/json" }, body: JSON.stringify(defined) }
}

const TOKENS = "/v1/access_tokens"

/** A client the sequence acts as: a confidential one has a secret, a public one none. */
type Acting = ConfidentialClient | (PublicClient & { readonly secret?: undefined })

/** What a client sends to prove itself: its secret, or, public, its id alone. */
const credentialsOf = (client: Acting) =>
  client.secret === undefined
    ? { client_id: client.id }
    : { client_id: client.id, client_secret: Redacted.value(client.secret) }

/** An S256 challenge (RFC 7636 §4.2) and its verifier, one per consent of a sequence. */
const pkcePair = (index: number) => {
  const verifier = createHash("sha256").update(`verifier-${index}`).digest("base64url")
  return { verifier, challenge: createHash("sha256").update(verifier, "ascii").digest("base64url") }
}

const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url")

/** A client assertion as HM's console key signs one: ES256, raw R||S, `iss` the key id (RFC 7523 §3). */
const assertion = (key: KeyObject, claims: Readonly<Record<string, unknown>>): string => {
  const input = `${segment({ alg: "ES256", typ: "JWT" })}.${segment(claims)}`
  const signature = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" })
  return `${input}.${signature.toString("base64url")}`
}

const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

/** What a request is sent for: a command of the sequence, or the reading of every token after its last one. */
type Action = Command | "final read" | "final refresh" | "read once expired" | "exchange once expired"

/** Why a sequence stopped: the first command whose answers differ. */
const divergence = (run: Runner, index: number, action: Action, server: Observed, model: Observed) =>
  Check.fail(
    run.context,
    `${index < run.length ? `command ${index + 1}` : "after the last command"} (${canonical(action)}): ` +
      `the server answered ${canonical(server)}, the model ${canonical(model)}`
  )

interface Runner {
  readonly context: Check.Context
  /** How many commands the sequence has. */
  readonly length: number
  readonly driver: Driver
  readonly policy: Model.Policy
  readonly sequence: Sequence
}

const modelNow = (run: Runner) =>
  Effect.map(
    Clock.currentTimeMillis,
    (now) => run.sequence.start + run.sequence.advanced + now - run.sequence.clockStart
  )

/**
 * Sends a request to both sides and compares what they answered; the answers, when they agree. The model's next
 * state is kept either way: a divergence ends the sequence.
 */
const exchange = (run: Runner, index: number, command: Action, request: Paired) =>
  Effect.gen(function* () {
    const sent = request("server")
    const answer = yield* run.context.send({
      method: sent.method as "GET" | "POST" | "DELETE",
      path: sent.path,
      headers: sent.headers,
      body: sent.body
    })
    const server: Model.WireResponse = { status: answer.status, headers: answer.headers, body: answer.body }
    const [model, next] = Model.step(run.sequence.model, yield* modelNow(run), request("model"))
    run.sequence.model = next
    const seen = observe(run.sequence.labels.server, server)
    const expected = observe(run.sequence.labels.model, model)
    if (canonical(seen) !== canonical(expected)) return yield* divergence(run, index, command, seen, expected)
    return { server, model, ok: model.status < 300 }
  })

const clientOf = (driver: Driver, role: Role): Acting | undefined =>
  role === "confidential"
    ? driver.clients.confidential
    : role === "second"
      ? driver.clients.second
      : driver.clients.public

/** The client that acts against `role`'s tokens when another is asked for: a confidential one of the others. */
const otherThan = (driver: Driver, role: Role): ConfidentialClient | undefined =>
  role === "confidential" ? driver.clients.second : driver.clients.confidential

/** The pending or live consents with a known authorization id, as the model sees them now. */
const consentsWhere = (run: Runner, holds: (status: Model.ConsentStatus) => boolean) =>
  run.sequence.consents.filter(
    (consent) =>
      consent.authorizationId !== undefined &&
      Option.exists(Model.consent(run.sequence.model, consent.authorizationId.model), (found) => holds(found.status))
  )

const orDie = <A, E>(result: Either.Either<A, E>, what: string): Effect.Effect<A> =>
  Either.isRight(result)
    ? Effect.succeed(result.right)
    : Effect.dieMessage(`the model refused ${what}: ${canonical(result.left)}`)

const consent = (run: Runner, command: Extract<Command, { op: "consent" }>) =>
  Effect.gen(function* () {
    const { driver, sequence } = run
    const client = clientOf(driver, command.as)
    if (client === undefined || driver.consent === undefined) return
    const pkce = command.as === "public" ? pkcePair(sequence.consents.length) : undefined
    const code = yield* driver.consent.authorize({
      clientId: client.id,
      redirectUri: client.redirectUri,
      state: `model-based-${sequence.consents.length}`,
      vin: driver.vin,
      codeChallenge: pkce?.challenge,
      pending: command.pending
    })
    const [authorized, next] = yield* orDie(
      Model.authorize(sequence.model, yield* modelNow(run), {
        clientId: client.id,
        redirectUri: client.redirectUri,
        vin: driver.vin,
        codeChallenge: pkce?.challenge,
        status: command.pending ? "pending" : "approved"
      }),
      "a consent"
    )
    sequence.model = next
    sequence.consents.push({
      role: command.as,
      code: { server: Redacted.value(code), model: authorized.code },
      verifier: pkce?.verifier
    })
  })

const codeExchange = (
  run: Runner,
  index: number,
  command: Extract<Command, { op: "exchange" }>,
  action: Action = command
) =>
  Effect.gen(function* () {
    const { driver, sequence } = run
    const entry = chosen(sequence.consents, command.consent)
    const owner = entry === undefined ? undefined : clientOf(driver, entry.role)
    if (entry === undefined || owner === undefined) return
    const client = command.variant === "otherClient" ? otherThan(driver, entry.role) : owner
    if (client === undefined) return
    const redirectUri = command.variant === "wrongRedirectUri" ? `${owner.redirectUri}/elsewhere` : owner.redirectUri
    const verifier =
      command.variant === "noVerifier"
        ? undefined
        : command.variant === "wrongVerifier"
          ? pkcePair(-1 - sequence.consents.length).verifier
          : entry.verifier
    const credentials = credentialsOf(client)
    const answered = yield* exchange(run, index, action, (side) =>
      json("POST", TOKENS, {
        grant_type: "authorization_code",
        code: entry.code[side],
        redirect_uri: redirectUri,
        ...credentials,
        ...(command.variant === "wrongSecret" && "client_secret" in credentials
          ? { client_secret: `${credentials.client_secret}-wrong` }
          : {}),
        code_verifier: verifier
      })
    )
    if (!answered.ok) return
    const { server, model } = answered
    const access = drawn(server, model, "access_token")
    const refresh = drawn(server, model, "refresh_token")
    entry.authorizationId = drawn(server, model, "authorization_id")
    const scope = parsed(model.body)
    const scopes = isObject(scope) && typeof scope.scope === "string" ? scope.scope.split(" ") : []
    sequence.families.push({
      // the tokens belong to whoever redeemed the code
      role: client === owner ? entry.role : client === driver.clients.second ? "second" : "confidential",
      scopes,
      refresh: refresh === undefined ? [] : [refresh],
      access: access === undefined ? [] : [access]
    })
    if (access !== undefined) sequence.access.push(access)
  })

/**
 * The families a refresh or a revocation picks from: those whose current refresh token the model holds live, as long
 * as there are any, so that most of them act on a grant that still stands; dead ones are tried after the last
 * command, all of them.
 */
const standing = (run: Runner) =>
  Effect.map(modelNow(run), (now) => {
    const { model, families } = run.sequence
    const live = families.filter((family) => {
      const current = family.refresh[family.refresh.length - 1]
      const handle = current === undefined ? Option.none() : Model.handleOf(model, current.model)
      return Option.exists(
        Option.flatMap(handle, (found) => Model.token(model, now, found)),
        (token) => token.status === "live"
      )
    })
    return live.length > 0 ? live : families
  })

const refresh = (
  run: Runner,
  index: number,
  command: Extract<Command, { op: "refresh" }>,
  action: Action = command,
  among?: ReadonlyArray<FamilyEntry>
): Effect.Effect<void, Check.RunError> =>
  Effect.gen(function* () {
    const { driver } = run
    const family = chosen(among ?? (yield* standing(run)), command.family)
    const owner = family === undefined ? undefined : clientOf(driver, family.role)
    if (family === undefined || owner === undefined || family.refresh.length === 0) return
    const client = command.byOtherClient ? otherThan(driver, family.role) : owner
    if (client === undefined) return
    // a reuse with nothing superseded yet: the owner refreshes first, so that there is a token to reuse
    if (command.superseded !== undefined && family.refresh.length === 1) {
      yield* refresh(run, index, { op: "refresh", family: 0, byOtherClient: false, scope: "granted" }, action, [family])
    }
    const superseded = family.refresh.slice(0, -1)
    const token =
      command.superseded === undefined || superseded.length === 0
        ? family.refresh[family.refresh.length - 1]!
        : chosen(superseded, command.superseded)!
    const scope =
      command.scope === "granted"
        ? undefined
        : command.scope === "narrower"
          ? family.scopes[0]
          : [...family.scopes, "vehicle.extra"].join(" ")
    const answered = yield* exchange(run, index, action, (side) =>
      json("POST", TOKENS, { grant_type: "refresh_token", refresh_token: token[side], ...credentialsOf(client), scope })
    )
    if (!answered.ok) return
    const access = drawn(answered.server, answered.model, "access_token")
    const next = drawn(answered.server, answered.model, "refresh_token")
    if (access !== undefined) {
      family.access.push(access)
      run.sequence.access.push(access)
    }
    // without rotation the same token comes back: the family has no new one
    if (next !== undefined && !family.refresh.some((known) => known.server === next.server)) family.refresh.push(next)
  })

const revoke = (run: Runner, index: number, command: Extract<Command, { op: "revoke" }>) =>
  Effect.gen(function* () {
    const { driver } = run
    const family = chosen(yield* standing(run), command.family)
    const owner = family === undefined ? undefined : clientOf(driver, family.role)
    if (family === undefined || owner === undefined) return
    const client = command.byOtherClient ? otherThan(driver, family.role) : owner
    const token = chosen(command.kind === "access" ? family.access : family.refresh, command.token)
    if (client === undefined || token === undefined) return
    yield* exchange(run, index, command, (side) =>
      json("DELETE", TOKENS, { token: token[side], ...credentialsOf(client) })
    )
  })

const vehicleInfo = (run: Runner, index: number, command: Action, token: Pair) =>
  exchange(run, index, command, (side) => ({
    method: "GET",
    path: "/v1/vehicleinfo",
    headers: { authorization: `Bearer ${token[side]}` },
    body: ""
  }))

/** The parameters that authenticate a client-credentials request as `credential` says, if the driver can. */
const credentialParams = (run: Runner, credential: Credential) =>
  Effect.gen(function* () {
    const { driver, sequence, policy } = run
    const confidential = driver.clients.confidential
    const account: ServiceAccount | undefined = driver.clients.serviceAccount
    switch (credential) {
      case "secret":
        return credentialsOf(confidential)
      case "wrongSecret":
        return { client_id: confidential.id, client_secret: `${Redacted.value(confidential.secret)}-wrong` }
    }
    if (account === undefined) return undefined
    const replayed = sequence.assertions[sequence.assertions.length - 1]
    if (credential === "replayedAssertion" && replayed !== undefined) {
      return { client_id: account.clientId, client_assertion_type: JWT_BEARER, client_assertion: replayed }
    }
    const now = Math.floor((yield* modelNow(run)) / 1000)
    const signed = assertion(account.key.privateKey, {
      aud: credential === "wrongAudience" ? `${account.audience}/elsewhere` : account.audience,
      iss: account.key.id,
      ver: 2,
      iat: credential === "staleAssertion" ? now - policy.assertionMaxAge - 60 : now,
      jti: `${sequence.nonce}-${sequence.signed++}`
    })
    // only a valid assertion is worth replaying: a refused one would be refused again for the same reason
    if (credential === "assertion") sequence.assertions.push(signed)
    return { client_id: account.clientId, client_assertion_type: JWT_BEARER, client_assertion: signed }
  })

const clientCredentials = (
  run: Runner,
  index: number,
  command: Extract<Command, { op: "clientCredentials" }>,
  action: Action = command
): Effect.Effect<void, Check.RunError> =>
  Effect.gen(function* () {
    // a replay with nothing to replay yet: an assertion goes fresh first, then again as the replay
    if (command.credential === "replayedAssertion" && run.sequence.assertions.length === 0) {
      yield* clientCredentials(run, index, { op: "clientCredentials", credential: "assertion" }, command)
    }
    const params = yield* credentialParams(run, command.credential)
    if (params === undefined) return
    const answered = yield* exchange(run, index, action, () =>
      json("POST", TOKENS, { grant_type: "client_credentials", ...params })
    )
    const access = answered.ok ? drawn(answered.server, answered.model, "access_token") : undefined
    if (access !== undefined) run.sequence.access.push(access)
  })

/** Moves both clocks, unless the driver has none or the sequence would outlast what the server remembers. */
const advance = (run: Runner, seconds: number): Effect.Effect<boolean, DriverError> => {
  const clock = run.driver.clock
  const millis = seconds * 1000
  if (clock === undefined || run.sequence.advanced + millis > (run.policy.forgetAfter - forgetMargin) * 1000) {
    return Effect.succeed(false)
  }
  return Effect.map(clock.advance(seconds), () => {
    run.sequence.advanced += millis
    return true
  })
}

const step = (run: Runner, index: number, command: Command): Effect.Effect<void, Check.RunError> => {
  const { driver, sequence } = run
  switch (command.op) {
    case "consent":
      return consent(run, command)
    case "login":
      return Effect.gen(function* () {
        const before = sequence.consents.length
        yield* consent(run, { op: "consent", as: command.as, pending: command.pending })
        if (sequence.consents.length === before) return
        if (command.attempt !== "faithful") {
          yield* codeExchange(run, index, { op: "exchange", consent: "newest", variant: command.attempt }, command)
        }
        yield* codeExchange(run, index, { op: "exchange", consent: "newest", variant: "faithful" }, command)
      })
    case "exchange":
      return codeExchange(run, index, command)
    case "refresh":
      return refresh(run, index, command)
    case "revoke":
      return revoke(run, index, command)
    case "revokeUnknown":
      return Effect.asVoid(
        exchange(run, index, command, () =>
          json("DELETE", TOKENS, { token: randomUUID(), ...credentialsOf(driver.clients.confidential) })
        )
      )
    case "vehicleInfo": {
      const token = chosen(sequence.access, command.token)
      return token === undefined ? Effect.void : Effect.asVoid(vehicleInfo(run, index, command, token))
    }
    case "clientCredentials":
      return clientCredentials(run, index, command)
    case "approve": {
      const entry = chosen(
        consentsWhere(run, (status) => status === "pending"),
        command.consent
      )
      const approve = driver.consent?.approve
      if (entry?.authorizationId === undefined || approve === undefined) return Effect.void
      const id = entry.authorizationId
      return Effect.gen(function* () {
        yield* approve(id.server)
        sequence.model = yield* orDie(
          Model.approveConsent(sequence.model, yield* modelNow(run), id.model),
          "an approval"
        )
      })
    }
    case "withdraw": {
      const entry = chosen(
        consentsWhere(run, (status) => status !== "revoked"),
        command.consent
      )
      const withdraw = driver.consent?.withdraw
      if (entry?.authorizationId === undefined || withdraw === undefined) return Effect.void
      const id = entry.authorizationId
      return Effect.gen(function* () {
        yield* withdraw(id.server)
        sequence.model = yield* orDie(
          Model.withdrawConsent(sequence.model, yield* modelNow(run), id.model),
          "a withdrawal"
        )
      })
    }
    case "advance":
      return Effect.asVoid(advance(run, command.seconds))
  }
}

/**
 * After the last command, which tokens are live: every access token read, every family's current refresh token
 * used; then, with a clock, past every lifetime, every access token read again and every unredeemed code exchanged.
 */
const epilogue = (run: Runner) =>
  Effect.gen(function* () {
    const { sequence, policy, length } = run
    for (const token of sequence.access) yield* vehicleInfo(run, length, "final read", token)
    for (const family of sequence.families.keys()) {
      const current = { op: "refresh", family, byOtherClient: false, scope: "granted" } as const
      yield* refresh(run, length, current, "final refresh", sequence.families)
    }
    const seconds = Math.max(policy.codeLifetime, policy.accessTokenLifetime) + 5
    if (!(yield* advance(run, seconds))) return
    for (const token of sequence.access) yield* vehicleInfo(run, length, "read once expired", token)
    for (const [consent, entry] of sequence.consents.entries()) {
      if (entry.authorizationId !== undefined) continue
      yield* codeExchange(run, length, { op: "exchange", consent, variant: "faithful" }, "exchange once expired")
    }
  })

/** Sends a sequence to both sides, then reads what it left. */
const runSequence = (
  context: Check.Context,
  policy: Model.Policy,
  initial: Model.State,
  commands: ReadonlyArray<Command>
) =>
  Effect.gen(function* () {
    const clockStart = yield* Clock.currentTimeMillis
    // an assertion's iat is absolute time: the model keeps the server's, which other checks may have moved
    const start = context.driver.clock?.now === undefined ? clockStart : yield* context.driver.clock.now
    const run: Runner = {
      context,
      length: commands.length,
      driver: context.driver,
      policy,
      sequence: {
        model: initial,
        start,
        clockStart,
        advanced: 0,
        consents: [],
        families: [],
        access: [],
        assertions: [],
        signed: 0,
        labels: { server: new Labels(), model: new Labels() },
        nonce: randomUUID()
      }
    }
    for (const [index, command] of commands.entries()) yield* step(run, index, command)
    yield* epilogue(run)
  })

// ---------------------------------------------------------------------------------------------------------
// The oracle and the check
// ---------------------------------------------------------------------------------------------------------

interface Registration {
  readonly id: string
  secret?: string
  readonly redirectUris: Array<string>
  readonly serviceAccountKeys: Array<{ readonly id: string; readonly publicKey: KeyObject }>
}

/** The driver's clients as the oracle registers them: one per id (a service account may be a confidential client). */
const registrations = (driver: Driver): ReadonlyArray<Registration> => {
  const byId = new Map<string, Registration>()
  const entry = (id: string): Registration => {
    const known = byId.get(id)
    if (known !== undefined) return known
    const created: Registration = { id, redirectUris: [], serviceAccountKeys: [] }
    byId.set(id, created)
    return created
  }
  const { confidential, second, serviceAccount } = driver.clients
  const acting: ReadonlyArray<Acting | undefined> = [confidential, second, driver.clients.public]
  for (const client of acting) {
    if (client === undefined) continue
    const registration = entry(client.id)
    registration.redirectUris.push(client.redirectUri)
    if (client.secret !== undefined) registration.secret = Redacted.value(client.secret)
  }
  if (serviceAccount !== undefined) {
    entry(serviceAccount.clientId).serviceAccountKeys.push({
      id: serviceAccount.key.id,
      publicKey: createPublicKey(serviceAccount.key.privateKey)
    })
  }
  return [...byId.values()]
}

/** The oracle: a fresh model holding the driver's clients and car, under the policy the server is taken to keep. */
const oracle = (driver: Driver): Either.Either<Model.State, Model.RegistrationError> =>
  Model.make({
    clients: registrations(driver),
    vehicles: [{ vin: driver.vin }],
    policy: {
      ...driver.fake?.policy,
      audience: driver.clients.serviceAccount?.audience ?? `${driver.baseUrl}/v1`,
      refreshReuseGrace: driver.refreshReuseGrace ?? 0,
      // unsaid, the model's default: a server that keeps its refresh tokens must say so to be compared
      rotateRefreshTokens: driver.rotatesRefreshTokens ?? true
    }
  })

/** The model-based differential check. */
export const modelBased: Check.Check = Check.make({
  id: "model-based/differential",
  area: "modelBased",
  title:
    "every answer to a generated sequence of consents, exchanges, refreshes, revocations, reads and clock moves " +
    "is the model's: status, error, headers, and which tokens are live",
  reference: "the project's Model (RFC 6749, RFC 7009, RFC 7523, RFC 7636, RFC 9700 §4.14)",
  level: "MUST",
  needs: ["consent"],
  run: (context) =>
    Effect.gen(function* () {
      const initial = oracle(context.driver)
      if (Either.isLeft(initial)) {
        return yield* new DriverError({
          operation: "the model-based oracle",
          problem: `the model cannot register the driver's clients: ${canonical(initial.left)}`
        })
      }
      const { policy } = initial.right
      yield* property(context, commands(abilitiesOf(context.driver), policy), (sequence) =>
        runSequence(context, policy, initial.right, sequence)
      )
    })
})
