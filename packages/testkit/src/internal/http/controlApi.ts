/**
 * The control API under `/testkit/`: what `FakeServer` offers in memory, as JSON over HTTP, so a test in any
 * language can move the clock, approve or withdraw consents, script faults and read what the server did.
 * Each route answers JSON; a body that does not decode gets 400 with every problem named.
 */
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Duration, Effect, ParseResult, Schema } from "effect"
import { FakeServer, type InvalidRegistration } from "../../FakeServer.js"
import * as Faults from "../../Faults.js"
import * as Model from "../../Model.js"
import { problems } from "../problems.js"

const ok = (body: unknown = { ok: true }) => HttpServerResponse.unsafeJson(body)

const problem = (status: number, error: string, description: string) =>
  HttpServerResponse.unsafeJson({ error, error_description: description }, { status })

/** Decodes the JSON body with `schema`, or answers 400 naming each problem. */
const withBody = <A, I>(
  schema: Schema.Schema<A, I>,
  f: (body: A) => Effect.Effect<HttpServerResponse.HttpServerResponse, never, FakeServer>
) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const decoded = yield* request.text.pipe(
      Effect.flatMap(Schema.decodeUnknown(Schema.parseJson(schema), { errors: "all", onExcessProperty: "error" })),
      Effect.either
    )
    if (decoded._tag === "Right") return yield* f(decoded.right)
    const cause = decoded.left
    const detail = ParseResult.isParseError(cause) ? problems(cause).join("; ") : "the body could not be read"
    return problem(400, "invalid_request", detail)
  })

/** A refused registration: 409 for an id registered already, 400 for anything invalid. */
const refusedRegistration = (error: InvalidRegistration) =>
  Effect.succeed(
    problem(
      error.reason._tag.startsWith("Duplicate") ? 409 : 400,
      error.reason._tag.startsWith("Duplicate") ? "conflict" : "invalid_request",
      error.message
    )
  )

const authorizationId = Effect.map(HttpRouter.params, (params) => params.authorizationId ?? "")

/** Approves or withdraws the consent named in the path; an unknown or withdrawn one answers 404. */
const changeConsent = (action: "approve" | "withdraw") =>
  Effect.gen(function* () {
    const server = yield* FakeServer
    const changed = yield* Effect.either(server[action](yield* authorizationId))
    return changed._tag === "Right" ? ok() : problem(404, changed.left.reason._tag, changed.left.message)
  })

/** The route table, to mount under `/testkit`. */
export const controlApi = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/state",
    Effect.gen(function* () {
      const server = yield* FakeServer
      return ok({
        now: new Date(yield* server.now).toISOString(),
        consents: yield* server.consents,
        tokens: yield* server.tokens,
        families: yield* server.families
      })
    })
  ),
  HttpRouter.get(
    "/history",
    Effect.map(
      Effect.flatMap(FakeServer, (server) => server.history),
      ok
    )
  ),
  HttpRouter.post(
    "/clock",
    withBody(Schema.Struct({ seconds: Schema.Number.pipe(Schema.nonNegative()) }), ({ seconds }) =>
      Effect.gen(function* () {
        const server = yield* FakeServer
        yield* server.advanceClock(Duration.seconds(seconds))
        return ok({ now: new Date(yield* server.now).toISOString() })
      })
    )
  ),
  HttpRouter.post("/consents/:authorizationId/approve", changeConsent("approve")),
  HttpRouter.post("/consents/:authorizationId/withdraw", changeConsent("withdraw")),
  HttpRouter.put(
    "/faults",
    withBody(Schema.Struct({ rules: Schema.Array(Faults.Rule) }), ({ rules }) =>
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
    Effect.as(
      Effect.flatMap(FakeServer, (server) => server.reset),
      ok()
    )
  ),
  HttpRouter.post(
    "/clients",
    withBody(Model.ClientRegistration, (client) =>
      Effect.flatMap(FakeServer, (server) => server.registerClient(client)).pipe(
        Effect.as(ok()),
        Effect.catchTag("InvalidRegistration", refusedRegistration)
      )
    )
  ),
  HttpRouter.post(
    "/vehicles",
    withBody(Model.Vehicle, (vehicle) =>
      Effect.flatMap(FakeServer, (server) => server.registerVehicle(vehicle)).pipe(
        Effect.as(ok()),
        Effect.catchTag("InvalidRegistration", refusedRegistration)
      )
    )
  )
)
