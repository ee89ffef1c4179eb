/**
 * Drivers for the project's own fake, which need no configuration: the kit registers clients of each kind, a
 * service-account key (and an expired one) and a car of its own, under fresh ids, so it runs beside whatever the
 * fake already serves. Served over HTTP, the fake is reached through its consent page and control API; in memory,
 * through the `FakeServer` service. Both are one set of operations, so both drivers are built the same way.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto"
import type * as HttpClient from "@effect/platform/HttpClient"
import { Duration, Effect, Option, Redacted, Schema } from "effect"
import type { FakeServer } from "../../FakeServer.js"
import * as Model from "../../Model.js"
import { consentPage } from "./consentPage.js"
import { type Consent, type Driver, DriverError, type ServiceAccountKey } from "./driver.js"
import { recorder, send } from "./exchange.js"

/** What the kit does to a fake: register, consent, approve, withdraw, move and read its clock, reset it. */
interface Operations {
  readonly register: (
    clients: ReadonlyArray<Model.ClientRegistration>,
    vehicle: Model.Vehicle
  ) => Effect.Effect<void, DriverError>
  readonly authorize: Consent["authorize"]
  readonly approve: (authorizationId: string) => Effect.Effect<void, DriverError>
  readonly withdraw: (authorizationId: string) => Effect.Effect<void, DriverError>
  readonly advance: (seconds: number) => Effect.Effect<void, DriverError>
  readonly now: Effect.Effect<number, DriverError>
  readonly reset: Effect.Effect<void, DriverError>
}

/** Options of the served fake's driver. */
export interface FakeOptions {
  /**
   * The policy the fake was started with, which its HTTP API does not tell: the checks that depend on a knob
   * (rotation, the reuse grace) and the model-based oracle go by it. Default the model's default policy.
   */
  readonly policy?: Partial<Model.Policy> | undefined
}

const fresh = () => randomBytes(6).toString("hex")

const keyPair = (id: string): { readonly key: ServiceAccountKey; readonly publicPem: string } => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" })
  return { key: { id, privateKey }, publicPem: publicKey.export({ format: "pem", type: "spki" }).toString() }
}

/** Registers the kit's clients and car through `operations` and describes them as a driver. */
const fromOperations = (
  baseUrl: string,
  http: HttpClient.HttpClient,
  operations: Operations,
  policy: Model.Policy
): Effect.Effect<Driver, DriverError> => {
  const tag = fresh()
  const secret = () => Redacted.make(`conformance-secret-${randomBytes(12).toString("hex")}`)
  const confidential = { id: `conformance-${tag}-web`, secret: secret(), redirectUri: "https://app.example/callback" }
  const second = { id: `conformance-${tag}-other`, secret: secret(), redirectUri: "https://other.example/callback" }
  const publicClient = { id: `conformance-${tag}-native`, redirectUri: "com.example.conformance:/oauth" }
  const live = keyPair(`conformance-${tag}-key`)
  const expired = keyPair(`conformance-${tag}-old-key`)
  const fleetId = `conformance-${tag}-fleet`
  const vin = `WCONF${tag.toUpperCase()}`
  const confidentialRegistration = (client: typeof confidential) => ({
    id: client.id,
    secret: Redacted.value(client.secret),
    redirectUris: [client.redirectUri]
  })
  const clientsAt = (now: number): ReadonlyArray<Model.ClientRegistration> => [
    confidentialRegistration(confidential),
    confidentialRegistration(second),
    { id: publicClient.id, redirectUris: [publicClient.redirectUri] },
    {
      id: fleetId,
      redirectUris: [],
      serviceAccountKeys: [
        { id: live.key.id, publicKey: live.publicPem },
        // expired by the server's own clock, which a test may have set anywhere
        { id: expired.key.id, publicKey: expired.publicPem, expiresAt: now - 1000 }
      ]
    }
  ]
  const register = Effect.flatMap(operations.now, (now) => operations.register(clientsAt(now), { vin }))
  return Effect.as(register, {
    baseUrl,
    http,
    vin,
    clients: {
      confidential,
      second,
      public: publicClient,
      serviceAccount: { clientId: fleetId, key: live.key, expiredKey: expired.key, audience: `${baseUrl}/v1` }
    },
    consent: {
      authorize: operations.authorize,
      pending: true,
      approve: operations.approve,
      withdraw: operations.withdraw
    },
    clock: { advance: operations.advance, now: operations.now },
    refreshReuseGrace: policy.refreshReuseGrace,
    rotatesRefreshTokens: policy.rotateRefreshTokens,
    fake: { reset: Effect.zipRight(operations.reset, register), policy }
  })
}

const problemOf = (body: unknown): string =>
  Option.match(Schema.decodeUnknownOption(Schema.Struct({ error_description: Schema.String }))(body), {
    onNone: () => "no description",
    onSome: (decoded) => decoded.error_description
  })

/**
 * The served fake (`hm-oauth-testkit serve`, `FakeHttpServer.layer`) at `baseUrl`, reached through `http`, which
 * must not follow redirects: its consent page answers with one.
 */
export const served = (
  baseUrl: string,
  http: HttpClient.HttpClient,
  options: FakeOptions = {}
): Effect.Effect<Driver, DriverError> =>
  Effect.gen(function* () {
    const base = baseUrl.replace(/\/+$/, "")
    // control calls are not part of any check's report: they go through a recorder of their own
    const kept = yield* recorder([])
    const call = (operation: string, method: "GET" | "POST", path: string, body?: unknown) =>
      Effect.flatMap(
        send(http, base, kept, {
          method,
          path,
          ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
        }),
        (answer) =>
          answer.status === 200 || answer.status === 302
            ? Effect.succeed(answer)
            : Effect.fail(new DriverError({ operation, problem: `${answer.status}: ${problemOf(answer.json)}` }))
      )
    const nowOf = (body: unknown) =>
      Schema.decodeUnknown(Schema.Struct({ now: Schema.DateFromString }))(body).pipe(
        Effect.map(({ now }) => now.getTime()),
        Effect.mapError(() => new DriverError({ operation: "read the clock", problem: "no `now` in the answer" }))
      )
    const encodeClient = Schema.encode(Model.ClientRegistration)
    const page = yield* consentPage(http, base, { path: "/oauth/new", pending: true })
    const operations: Operations = {
      register: (clients, vehicle) =>
        Effect.gen(function* () {
          for (const client of clients) {
            const encoded = yield* Effect.orDie(encodeClient(client))
            yield* call(`register client ${client.id}`, "POST", "/testkit/clients", encoded)
          }
          yield* call(`register vehicle ${vehicle.vin}`, "POST", "/testkit/vehicles", vehicle)
        }),
      authorize: page.authorize,
      approve: (id) =>
        Effect.asVoid(call("approve a consent", "POST", `/testkit/consents/${encodeURIComponent(id)}/approve`)),
      withdraw: (id) =>
        Effect.asVoid(call("withdraw a consent", "POST", `/testkit/consents/${encodeURIComponent(id)}/withdraw`, {})),
      advance: (seconds) => Effect.asVoid(call("move the clock", "POST", "/testkit/clock", { seconds })),
      now: Effect.flatMap(call("read the clock", "POST", "/testkit/clock", { seconds: 0 }), (answer) =>
        nowOf(answer.json)
      ),
      reset: Effect.asVoid(call("reset", "POST", "/testkit/reset", { rewindClock: true }))
    }
    return yield* fromOperations(base, http, operations, { ...Model.defaultPolicy, ...options.policy })
  })

const failed = (operation: string) => (error: { readonly message: string }) =>
  new DriverError({ operation, problem: error.message })

/**
 * The fake in memory (`FakeServer.layer`): its `FakeServer` service, and `http`, the client wired to it at
 * `baseUrl` (the layer's, default High Mobility's sandbox address). Its policy is read from the fake itself.
 */
export const inMemory = (
  server: FakeServer["Type"],
  http: HttpClient.HttpClient,
  baseUrl: string = "https://sandbox.api.high-mobility.com"
): Effect.Effect<Driver, DriverError> =>
  Effect.flatMap(server.state, (state) =>
    fromOperations(
      baseUrl.replace(/\/+$/, ""),
      http,
      {
        register: (clients, vehicle) =>
          Effect.gen(function* () {
            for (const client of clients) {
              yield* Effect.mapError(server.registerClient(client), failed(`register client ${client.id}`))
            }
            yield* Effect.mapError(server.registerVehicle(vehicle), failed(`register vehicle ${vehicle.vin}`))
          }),
        authorize: (request) =>
          server
            .authorize({
              clientId: request.clientId,
              redirectUri: request.redirectUri,
              vin: request.vin,
              codeChallenge: request.codeChallenge,
              status: request.pending === true ? "pending" : "approved"
            })
            .pipe(
              Effect.map((consented) => consented.code),
              Effect.mapError(failed("consent"))
            ),
        approve: (id) => Effect.mapError(server.approve(id), failed("approve a consent")),
        withdraw: (id) => Effect.mapError(server.withdraw(id), failed("withdraw a consent")),
        advance: (seconds) => Effect.mapError(server.advanceClock(Duration.seconds(seconds)), failed("move the clock")),
        now: server.now,
        reset: server.reset({ rewindClock: true })
      },
      state.policy
    )
  )
