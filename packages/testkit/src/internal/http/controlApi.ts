/**
 * The control API under `/testkit/`: what `FakeServer` offers in memory, as JSON over HTTP, so a test in any
 * language can move the clock, approve or withdraw consents, script faults and read what the server did.
 *
 * Every input is checked before anything changes: a body or query that does not decode (an unknown field, a
 * repeated query parameter, a number that is not finite, not whole where it must be, or out of bounds) gets 400
 * with every problem named, and the state stays as it was. Bodies over the server's limit get 413. Listings are
 * paged (`after`, `limit`) and filtered, and each reads a bounded stretch of the state: no call holds the event
 * loop for long, however much the server holds.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Duration, Effect, Option, ParseResult, Schema } from "effect"
import { FakeServer, type InvalidRegistration } from "../../FakeServer.js"
import * as Faults from "../../Faults.js"
import * as Model from "../../Model.js"
import { declaredTooLarge } from "../bodyLimit.js"
import { MAX_SECONDS } from "../durations.js"
import { problems } from "../problems.js"

const ok = (body: unknown = { ok: true }) => HttpServerResponse.unsafeJson(body)

const problem = (status: number, error: string, description: string) =>
  HttpServerResponse.unsafeJson({ error, error_description: description }, { status })

const invalid = (cause: unknown) =>
  problem(
    400,
    "invalid_request",
    ParseResult.isParseError(cause) ? problems(cause).join("; ") : "the request could not be read"
  )

const strict = { errors: "all", onExcessProperty: "error" } as const

/**
 * Decodes the JSON body with `schema` (an empty body reads as `{}`), or answers 400 naming each problem; a body
 * over `maxBodyBytes` gets 413 unread.
 */
const withBody =
  (maxBodyBytes: number) =>
  <A, I, R>(
    schema: Schema.Schema<A, I>,
    f: (body: A) => Effect.Effect<HttpServerResponse.HttpServerResponse, never, R>
  ) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const tooLarge = problem(413, "invalid_request", "request body is too large")
      if (declaredTooLarge(request.headers, maxBodyBytes)) return tooLarge
      const text = yield* request.text.pipe(HttpServerRequest.withMaxBodySize(Option.some(maxBodyBytes)), Effect.option)
      if (Option.isNone(text)) return tooLarge
      const decoded = yield* Effect.either(
        Schema.decodeUnknown(Schema.parseJson(schema), strict)(text.value.trim() === "" ? "{}" : text.value)
      )
      return decoded._tag === "Right" ? yield* f(decoded.right) : invalid(decoded.left)
    })

/** Decodes the query with `schema`, or answers 400 naming each problem (a parameter given twice among them). */
const withQuery = <A, I extends Readonly<Record<string, string | ReadonlyArray<string> | undefined>>, R>(
  schema: Schema.Schema<A, I>,
  f: (query: A) => Effect.Effect<HttpServerResponse.HttpServerResponse, never, R>
) =>
  Effect.flatMap(Effect.either(HttpServerRequest.schemaSearchParams(schema, strict)), (decoded) =>
    decoded._tag === "Right" ? f(decoded.right) : Effect.succeed(invalid(decoded.left))
  )

const Cursor = Schema.NumberFromString.pipe(Schema.int(), Schema.between(0, Number.MAX_SAFE_INTEGER))
const Limit = Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 1000))
const optional = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { exact: true })

const PageQuery = { after: optional(Cursor), limit: optional(Limit) }
const TokenKind = Schema.Literal("access", "refresh", "client_credentials")
const TokenStatus = Schema.Literal("live", "revoked", "expired", "superseded")

// snake_case in the query, as the API's own fields are; the model's names once decoded
const clientId = optional(Schema.String).pipe(Schema.fromKey("client_id"))
const authorizationIdParam = optional(Schema.String).pipe(Schema.fromKey("authorization_id"))

const TokenQuery = Schema.Struct({
  ...PageQuery,
  kind: optional(TokenKind),
  status: optional(TokenStatus),
  clientId,
  authorizationId: authorizationIdParam,
  family: optional(Schema.String)
})

/** How many of a family's newest tokens a listing shows unless told otherwise: a long lineage stays a page. */
const DEFAULT_LINEAGE = 100

const FamilyQuery = Schema.Struct({
  ...PageQuery,
  clientId,
  authorizationId: authorizationIdParam,
  lineage: Schema.optionalWith(Limit, { exact: true, default: () => DEFAULT_LINEAGE })
})

const ConsentQuery = Schema.Struct({
  ...PageQuery,
  clientId,
  vin: optional(Schema.String),
  status: optional(Schema.Literal("pending", "approved", "revoked"))
})

const read = <A>(f: (state: Model.State, now: number) => A) => Effect.flatMap(FakeServer, (server) => server.read(f))

const iso = (millis: number) => new Date(millis).toISOString()

const authorizationId = Effect.map(HttpRouter.params, (params) => params.authorizationId ?? "")

const refusedRegistration = (error: InvalidRegistration) => {
  const duplicate = error.reason._tag.startsWith("Duplicate")
  return Effect.succeed(problem(duplicate ? 409 : 400, duplicate ? "conflict" : "invalid_request", error.message))
}

/** The route table of the control API, to mount under `/testkit`; bodies over `maxBodyBytes` get 413. */
export const controlApi = (maxBodyBytes: number) => {
  const body = withBody(maxBodyBytes)
  /** Registers what the body holds: 200, or the refusal (409 for an id registered already, else 400). */
  const register = <A, I>(
    schema: Schema.Schema<A, I>,
    f: (server: FakeServer["Type"], registration: A) => Effect.Effect<void, InvalidRegistration>
  ) =>
    body(schema, (registration) =>
      Effect.flatMap(FakeServer, (server) => f(server, registration)).pipe(
        Effect.as(ok()),
        Effect.catchTag("InvalidRegistration", refusedRegistration)
      )
    )
  const changeConsent = (
    change: (server: FakeServer["Type"], id: string) => ReturnType<FakeServer["Type"]["approve"]>
  ) =>
    Effect.gen(function* () {
      const changed = yield* Effect.either(change(yield* FakeServer, yield* authorizationId))
      return changed._tag === "Right" ? ok() : problem(404, changed.left.reason._tag, changed.left.message)
    })
  return HttpRouter.empty.pipe(
    HttpRouter.get(
      "/state",
      withQuery(Schema.Struct({ limit: optional(Limit) }), ({ limit }) =>
        read((state, now) => {
          const consents = Model.consentPage(state, { limit })
          const tokens = Model.tokenPage(state, now, { limit })
          const families = Model.familyPage(state, now, { limit, lineage: DEFAULT_LINEAGE })
          return ok({
            now: iso(now),
            counts: Model.counts(state),
            consents: consents.items,
            tokens: tokens.items,
            families: families.items,
            next: { consents: consents.next, tokens: tokens.next, families: families.next }
          })
        })
      )
    ),
    HttpRouter.get(
      "/state/consents",
      withQuery(ConsentQuery, (query) => read((state) => ok(Model.consentPage(state, query))))
    ),
    HttpRouter.get(
      "/state/tokens",
      withQuery(TokenQuery, (query) => read((state, now) => ok(Model.tokenPage(state, now, query))))
    ),
    HttpRouter.get(
      "/state/tokens/:handle",
      Effect.flatMap(HttpRouter.params, (params) =>
        read((state, now) =>
          Option.match(Model.token(state, now, params.handle ?? ""), {
            onNone: () => problem(404, "not_found", `no token ${params.handle ?? ""}`),
            onSome: ok
          })
        )
      )
    ),
    HttpRouter.get(
      "/state/families",
      withQuery(FamilyQuery, (query) => read((state, now) => ok(Model.familyPage(state, now, query))))
    ),
    HttpRouter.get(
      "/history",
      withQuery(Schema.Struct(PageQuery), (q) => read((state) => ok(Model.historyPage(state, q).items)))
    ),
    HttpRouter.post(
      "/clock",
      body(
        Schema.Struct({ seconds: Schema.Number.pipe(Schema.finite(), Schema.between(0, MAX_SECONDS)) }),
        ({ seconds }) =>
          Effect.gen(function* () {
            const server = yield* FakeServer
            const advanced = yield* Effect.either(server.advanceClock(Duration.millis(Math.round(seconds * 1000))))
            if (advanced._tag === "Left") return problem(400, "invalid_request", `seconds: ${advanced.left.message}`)
            return ok({ now: iso(yield* server.now) })
          })
      )
    ),
    HttpRouter.post(
      "/consents/:authorizationId/approve",
      changeConsent((server, id) => server.approve(id))
    ),
    HttpRouter.post(
      "/consents/:authorizationId/withdraw",
      body(Schema.Struct({ by: optional(Schema.Literal("owner", "oem")) }), ({ by }) =>
        changeConsent((server, id) => server.withdraw(id, { by }))
      )
    ),
    HttpRouter.put(
      "/faults",
      body(Schema.Struct({ rules: Schema.Array(Faults.Rule).pipe(Schema.maxItems(100)) }), ({ rules }) =>
        Effect.as(
          Effect.flatMap(FakeServer, (server) => server.setFaults(rules)),
          ok()
        )
      )
    ),
    HttpRouter.del(
      "/faults",
      Effect.as(
        Effect.flatMap(FakeServer, (server) => server.setFaults([])),
        ok()
      )
    ),
    HttpRouter.post(
      "/reset",
      body(Schema.Struct({ rewindClock: optional(Schema.Boolean) }), ({ rewindClock }) =>
        Effect.gen(function* () {
          const server = yield* FakeServer
          yield* server.reset({ rewindClock })
          return ok({ now: iso(yield* server.now) })
        })
      )
    ),
    HttpRouter.post(
      "/clients",
      register(Model.ClientRegistration, (server, client) => server.registerClient(client))
    ),
    HttpRouter.post(
      "/vehicles",
      register(Model.Vehicle, (server, vehicle) => server.registerVehicle(vehicle))
    )
  )
}
