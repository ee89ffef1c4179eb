/**
 * The driver configuration file of `hm-oauth-testkit conform --config FILE`: which clients to act as, which car,
 * how codes are obtained, and how the server's clock moves. A JSON document; every request it describes goes to the
 * base URL (a path under it), so the kit sends nothing anywhere else.
 *
 * ```json
 * {
 *   "vin": "1HMTEST0000000001",
 *   "clients": {
 *     "confidential": { "id": "web-app", "secret": "…", "redirectUri": "https://app.example/callback" },
 *     "second": { "id": "other-app", "secret": "…", "redirectUri": "https://other.example/callback" },
 *     "public": { "id": "native-app", "redirectUri": "com.example.app:/oauth" },
 *     "serviceAccount": { "clientId": "fleet-app", "key": { "id": "…", "private_key": "-----BEGIN PRIVATE KEY-----…" } }
 *   },
 *   "consent": { "page": { "path": "/oauth/new", "pending": false } },
 *   "clock": { "method": "POST", "path": "/testkit/clock", "body": "{\"seconds\": {seconds}}" },
 *   "withdraw": { "method": "POST", "path": "/admin/consents/{authorization_id}/withdraw" }
 * }
 * ```
 * `consent` is one of: `page` (an HM-style consent page answering 302 with the code), `command` (a program and
 * its arguments, which prints a code; it reads the request from `HM_CONSENT_*` variables), or `codes` (codes a
 * person obtained beforehand, each used once). `{ "fake": true }` alone is the project's own fake.
 */
import { createPrivateKey } from "node:crypto"
import * as Command from "@effect/platform/Command"
import * as CommandExecutor from "@effect/platform/CommandExecutor"
import type * as HttpClient from "@effect/platform/HttpClient"
import type { HttpMethod } from "@effect/platform/HttpMethod"
import { Effect, Clock as EffectClock, Either, Redacted, Ref, Schema } from "effect"
import { problems } from "../problems.js"
import { consentPage } from "./consentPage.js"
import type { Clock, Consent, ConsentRequest, Driver, ServiceAccountKey } from "./driver.js"
import { DriverError, Unavailable } from "./driver.js"
import { recorder, send } from "./exchange.js"
import { served } from "./fake.js"

const optional = <A, I, R>(schema: Schema.Schema<A, I, R>) => Schema.optionalWith(schema, { exact: true })

const ConfidentialClient = Schema.Struct({
  id: Schema.NonEmptyString,
  secret: Schema.Redacted(Schema.NonEmptyString),
  redirectUri: Schema.NonEmptyString
})

const PublicClient = Schema.Struct({ id: Schema.NonEmptyString, redirectUri: Schema.NonEmptyString })

/** A service-account key as the console hands it out. */
const ConsoleKey = Schema.Struct({ id: Schema.NonEmptyString, private_key: Schema.Redacted(Schema.NonEmptyString) })

/** A request the kit sends on the operator's behalf: `{seconds}` and `{authorization_id}` are filled in. */
const RequestTemplate = Schema.Struct({
  method: Schema.Literal("GET", "POST", "PUT", "PATCH", "DELETE"),
  path: Schema.String.pipe(Schema.startsWith("/")),
  headers: optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  body: optional(Schema.String)
})

const ConsentSource = Schema.Union(
  Schema.Struct({
    page: Schema.Struct({
      path: Schema.optionalWith(Schema.String.pipe(Schema.startsWith("/")), {
        exact: true,
        default: () => "/oauth/new"
      }),
      /** Whether the page honours `status=pending`, as the project's fake does. */
      pending: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => false })
    })
  }),
  Schema.Struct({ command: Schema.NonEmptyArray(Schema.String) }),
  Schema.Struct({
    codes: Schema.Array(Schema.Struct({ clientId: Schema.NonEmptyString, code: Schema.NonEmptyString }))
  })
)

/** The whole configuration file. */
export const DriverConfig = Schema.Struct({
  fake: optional(Schema.Boolean),
  vin: optional(Schema.NonEmptyString),
  clients: optional(
    Schema.Struct({
      confidential: ConfidentialClient,
      second: optional(ConfidentialClient),
      public: optional(PublicClient),
      serviceAccount: optional(
        Schema.Struct({
          clientId: Schema.NonEmptyString,
          key: ConsoleKey,
          expiredKey: optional(ConsoleKey),
          audience: optional(Schema.NonEmptyString)
        })
      )
    })
  ),
  consent: optional(ConsentSource),
  clock: optional(RequestTemplate),
  approve: optional(RequestTemplate),
  withdraw: optional(RequestTemplate),
  refreshReuseGrace: optional(Schema.Number.pipe(Schema.nonNegative())),
  rotatesRefreshTokens: optional(Schema.Boolean)
})

/** The decoded configuration file. */
export type DriverConfig = typeof DriverConfig.Type

/** The configuration cannot describe a driver: every problem, by path, never quoting a value. */
export class InvalidDriverConfig extends Schema.TaggedError<InvalidDriverConfig>()("InvalidDriverConfig", {
  problems: Schema.Array(Schema.String)
}) {
  override get message() {
    return `invalid driver configuration:\n${this.problems.map((line) => `  ${line}`).join("\n")}`
  }
}

/** Reads a configuration from JSON text. */
export const parse = (json: string): Effect.Effect<DriverConfig, InvalidDriverConfig> =>
  Schema.decodeUnknown(Schema.parseJson(DriverConfig), { errors: "all", onExcessProperty: "error" })(json).pipe(
    Effect.mapError((error) => new InvalidDriverConfig({ problems: problems(error) }))
  )

const fill = (template: string, values: Readonly<Record<string, string>>) =>
  template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole)

/** Sends a template filled with `values` to the base URL, as the driver operation `operation`. */
const sender = (http: HttpClient.HttpClient, baseUrl: string) =>
  Effect.map(
    recorder([]),
    (kept) => (operation: string, template: typeof RequestTemplate.Type, values: Record<string, string>) =>
      Effect.flatMap(
        send(http, baseUrl, kept, {
          method: template.method satisfies HttpMethod,
          path: fill(
            template.path,
            Object.fromEntries(Object.entries(values).map(([k, v]) => [k, encodeURIComponent(v)]))
          ),
          headers: { "content-type": "application/json", ...template.headers },
          body: template.body === undefined ? undefined : fill(template.body, values)
        }),
        (answer) =>
          answer.status >= 200 && answer.status < 300
            ? Effect.void
            : Effect.fail(new DriverError({ operation, problem: `answered ${answer.status}` }))
      )
  )

/** A key of the console's JSON, or the problem naming it (never Node's message, which may quote the key). */
const keyOf = (path: string, key: typeof ConsoleKey.Type): Either.Either<ServiceAccountKey, string> => {
  try {
    return Either.right({ id: key.id, privateKey: createPrivateKey(Redacted.value(key.private_key)) })
  } catch {
    return Either.left(`${path}.private_key: not a readable PEM private key`)
  }
}

/** Codes obtained beforehand: each used once, for the client it was issued to, and never with a challenge. */
const preIssued = (codes: ReadonlyArray<{ readonly clientId: string; readonly code: string }>) =>
  Effect.map(
    Ref.make(codes),
    (left): Consent => ({
      pending: false,
      authorize: (request: ConsentRequest) =>
        request.codeChallenge !== undefined || request.pending === true
          ? Effect.fail(new Unavailable({ reason: "pre-issued codes carry no challenge and no pending consent" }))
          : Effect.flatMap(
              Ref.modify(left, (remaining) => {
                const index = remaining.findIndex((entry) => entry.clientId === request.clientId)
                return index === -1
                  ? [undefined, remaining]
                  : [remaining[index], [...remaining.slice(0, index), ...remaining.slice(index + 1)]]
              }),
              (entry) =>
                entry === undefined
                  ? Effect.fail(new Unavailable({ reason: `no pre-issued code left for ${request.clientId}` }))
                  : Effect.succeed(Redacted.make(entry.code))
            )
    })
  )

/** A consent by a program the user names: it reads the request from the environment and prints the code. */
const byCommand = (argv: readonly [string, ...Array<string>], executor: CommandExecutor.CommandExecutor): Consent => ({
  pending: false,
  authorize: (request) =>
    Command.make(...argv).pipe(
      Command.env({
        HM_CONSENT_CLIENT_ID: request.clientId,
        HM_CONSENT_REDIRECT_URI: request.redirectUri,
        HM_CONSENT_STATE: request.state,
        HM_CONSENT_VIN: request.vin,
        HM_CONSENT_CODE_CHALLENGE: request.codeChallenge ?? ""
      }),
      Command.string,
      Effect.provideService(CommandExecutor.CommandExecutor, executor),
      Effect.map((out) => out.trim()),
      Effect.filterOrFail(
        (code) => code !== "" && !/\s/.test(code),
        () => new DriverError({ operation: "consent command", problem: "printed no code (one word on stdout)" })
      ),
      Effect.map(Redacted.make),
      Effect.catchTag("SystemError", "BadArgument", (error) =>
        Effect.fail(new DriverError({ operation: "consent command", problem: error.message }))
      )
    )
})

/**
 * A clock moved by the request the user describes. The server's time is taken as Effect's clock plus every advance
 * so far: right for a server whose offset starts at zero, as a fresh one's does.
 */
const requestClock = (
  fire: (
    operation: string,
    template: typeof RequestTemplate.Type,
    values: Record<string, string>
  ) => Effect.Effect<void, DriverError>,
  template: typeof RequestTemplate.Type
) =>
  Effect.map(
    Ref.make(0),
    (offset): Clock => ({
      advance: (seconds) =>
        Effect.zipRight(
          fire("move the clock", template, { seconds: String(seconds) }),
          Ref.update(offset, (total) => total + seconds * 1000)
        ),
      now: Effect.zipWith(EffectClock.currentTimeMillis, Ref.get(offset), (now, total) => now + total)
    })
  )

/**
 * The driver the configuration describes, at `baseUrl` through `http`: the project's fake when the configuration
 * says `fake` or is absent; else the clients, car, consent and clock it names.
 */
export const toDriver = (
  config: DriverConfig | undefined,
  baseUrl: string,
  http: HttpClient.HttpClient
): Effect.Effect<Driver, InvalidDriverConfig | DriverError, CommandExecutor.CommandExecutor> =>
  Effect.gen(function* () {
    if (config === undefined || config.fake === true) {
      // what the file tells of the fake's policy; the rest is the default the fake starts with
      const grace = config?.refreshReuseGrace
      const rotates = config?.rotatesRefreshTokens
      return yield* served(baseUrl, http, {
        policy: {
          ...(grace === undefined ? {} : { refreshReuseGrace: grace }),
          ...(rotates === undefined ? {} : { rotateRefreshTokens: rotates })
        }
      })
    }
    const missing = [
      ...(config.clients === undefined ? ["clients: required unless `fake` is true"] : []),
      ...(config.vin === undefined ? ["vin: required unless `fake` is true"] : [])
    ]
    const account = config.clients?.serviceAccount
    const keys =
      account === undefined
        ? []
        : [
            keyOf("clients.serviceAccount.key", account.key),
            ...(account.expiredKey === undefined
              ? []
              : [keyOf("clients.serviceAccount.expiredKey", account.expiredKey)])
          ]
    const problemsFound = [...missing, ...keys.flatMap((key) => (Either.isLeft(key) ? [key.left] : []))]
    if (problemsFound.length > 0 || config.clients === undefined || config.vin === undefined) {
      return yield* Effect.fail(new InvalidDriverConfig({ problems: problemsFound }))
    }
    const [key, expiredKey] = keys.flatMap((read) => (Either.isRight(read) ? [read.right] : []))
    const fire = yield* sender(http, baseUrl)
    const source = config.consent
    const consent: Consent | undefined =
      source === undefined
        ? undefined
        : "page" in source
          ? yield* consentPage(http, baseUrl, source.page)
          : "command" in source
            ? byCommand(source.command, yield* CommandExecutor.CommandExecutor)
            : yield* preIssued(source.codes)
    const { approve, withdraw } = config
    return {
      baseUrl,
      http,
      vin: config.vin,
      clients: {
        confidential: config.clients.confidential,
        second: config.clients.second,
        public: config.clients.public,
        serviceAccount:
          account === undefined || key === undefined
            ? undefined
            : { clientId: account.clientId, key, expiredKey, audience: account.audience ?? `${baseUrl}/v1` }
      },
      consent:
        consent === undefined
          ? undefined
          : {
              ...consent,
              approve:
                approve === undefined
                  ? undefined
                  : (id) => fire("approve a consent", approve, { authorization_id: id }),
              withdraw:
                withdraw === undefined
                  ? undefined
                  : (id) => fire("withdraw a consent", withdraw, { authorization_id: id })
            },
      clock: config.clock === undefined ? undefined : yield* requestClock(fire, config.clock),
      refreshReuseGrace: config.refreshReuseGrace,
      rotatesRefreshTokens: config.rotatesRefreshTokens
    }
  })
