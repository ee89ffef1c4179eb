/**
 * The fake server over real HTTP, for any client: ours over a socket, another library, a mobile app, curl.
 * The same `FakeServer` (faults, then the model) answers, so both transports share one set of semantics.
 *
 * Routes:
 * - `POST` and `DELETE /v1/access_tokens`, `GET /v1/vehicleinfo`, and anything else the API does not have
 *   (the model answers 404/405): exactly as the model answers, bodies in JSON or form encoding; a body over
 *   `maxBodyBytes` gets 413.
 * - `GET /oauth/new`: the consent page a person clicks through, and `POST /oauth/new`, its form's answer (see
 *   `internal/http/consentPage.ts`, and its fake-only shortcuts that answer at once).
 * - `/testkit/...`: the control API (see the README), unless `controlApi: false`.
 *
 * The server's client-assertion audience is its own address + `/v1`, unless the policy names another.
 *
 * @since 0.1.0
 */
import { createServer, type RequestListener } from "node:http"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, Layer } from "effect"
import * as FakeServer from "./FakeServer.js"
import { defaultMaxBodyBytes } from "./internal/bodyLimit.js"
import { forward, isApiTarget, listener } from "./internal/http/api.js"
import { consentPage } from "./internal/http/consentPage.js"
import { controlApi } from "./internal/http/controlApi.js"

/** Where to listen and what to serve besides the API, plus the fake server's own options. */
export interface Options extends FakeServer.Options {
  /** Default `127.0.0.1`. */
  readonly host?: string | undefined
  /** Default 0: a free port. */
  readonly port?: number | undefined
  /** Serve the `/testkit/` control API. Default true. */
  readonly controlApi?: boolean | undefined
}

/** The HTTP app: consent page, control API, and everything else forwarded to the fake server. */
export const app = (options: Pick<Options, "controlApi" | "maxBodyBytes"> = {}) => {
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes
  // the page's one-time forms live as long as the app
  const consent = consentPage(maxBodyBytes)
  const routes = HttpRouter.empty.pipe(
    HttpRouter.get("/oauth/new", consent.show),
    HttpRouter.post("/oauth/new", consent.submit)
  )
  return (options.controlApi === false ? routes : HttpRouter.mount(routes, "/testkit", controlApi(maxBodyBytes))).pipe(
    HttpRouter.all("*", forward(maxBodyBytes))
  )
}

/** The listening server's base URL, e.g. `http://127.0.0.1:4000`. */
export const baseUrl: Effect.Effect<string, never, HttpServer.HttpServer> = Effect.map(
  HttpServer.HttpServer,
  (server) =>
    server.address._tag === "TcpAddress"
      ? `http://${server.address.hostname.includes(":") ? `[${server.address.hostname}]` : server.address.hostname}:${server.address.port}`
      : `http+unix://${server.address.path}`
)

/**
 * A fresh fake server listening on `host:port`, serving `app`; stops listening when the layer's scope closes.
 * Requests to the API's own paths skip the platform app for `listener`, which answers them the same way, faster.
 */
export const layer = (
  options: Options = {}
): Layer.Layer<
  FakeServer.FakeServer | HttpServer.HttpServer,
  HttpServerError.ServeError | FakeServer.InvalidRegistration
> =>
  Layer.unwrapEffect(
    Effect.sync(() => {
      const server = createServer()
      const listening = NodeHttpServer.layer(() => server, {
        host: options.host ?? "127.0.0.1",
        port: options.port ?? 0
      })
      const fake = Layer.effect(
        FakeServer.FakeServer,
        Effect.flatMap(baseUrl, (url) =>
          FakeServer.make({ ...options, policy: { audience: `${url}/v1`, ...options.policy } })
        )
      )
      const serving = Layer.scopedDiscard(
        Effect.gen(function* () {
          const platform = yield* NodeHttpServer.makeHandler(app(options))
          const api = yield* listener(options.maxBodyBytes ?? defaultMaxBodyBytes)
          const dispatch: RequestListener = (request, response) => {
            if (isApiTarget(request.url ?? "")) api(request, response)
            else platform(request, response)
          }
          server.on("request", dispatch)
          yield* Effect.addFinalizer(() => Effect.sync(() => server.off("request", dispatch)))
        })
      )
      return serving.pipe(Layer.provideMerge(fake), Layer.provideMerge(listening))
    })
  )
