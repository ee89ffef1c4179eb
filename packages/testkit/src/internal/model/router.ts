import type { State, WireRequest, WireResponse } from "../../Model.js"
import { fail, OAuthErrors } from "./errors.js"
import { MALFORMED, record } from "./history.js"
import { revocation } from "./revocation.js"
import { tokenEndpoint } from "./tokenEndpoint.js"
import { vehicleInfo } from "./vehicleInfo.js"
import { type Handler, jsonReply, NO_PARAMS, type Params, parseParams, type Reply, toWire } from "./wire.js"

interface Endpoint {
  readonly readsBody: boolean
  readonly handle: Handler
}

// Maps, not object literals: a path such as "constructor" must not find Object.prototype's
const routes: ReadonlyMap<string, ReadonlyMap<string, Endpoint>> = new Map([
  [
    "/v1/access_tokens",
    new Map<string, Endpoint>([
      ["POST", { readsBody: true, handle: tokenEndpoint }],
      // HM revokes with DELETE and a body, where RFC 7009 uses POST
      ["DELETE", { readsBody: true, handle: revocation }]
    ])
  ],
  ["/v1/vehicleinfo", new Map<string, Endpoint>([["GET", { readsBody: false, handle: vehicleInfo }]])]
])

type Routed = readonly [Reply, State, Params | typeof MALFORMED | undefined]

const route = (state: State, now: number, request: WireRequest, path: string, method: string): Routed => {
  const endpoints = routes.get(path)
  if (endpoints === undefined) return [jsonReply(404, { error: "not_found" }), state, undefined]
  const endpoint = endpoints.get(method)
  if (endpoint === undefined) {
    const allow = [...endpoints.keys()].join(", ")
    return [jsonReply(405, { error: "method_not_allowed" }, { allow }), state, undefined]
  }
  const { headers } = request
  const params = endpoint.readsBody ? parseParams(headers, request.body) : NO_PARAMS
  if (params === undefined) {
    const [reply, next] = fail(state, OAuthErrors.malformedBody)
    return [reply, next, MALFORMED]
  }
  const [reply, next] = endpoint.handle(state, now, { params, headers })
  return [reply, next, endpoint.readsBody ? params : undefined]
}

/** Routes a request, answers it and records the exchange in the history. */
export const step = (state: State, now: number, request: WireRequest): readonly [WireResponse, State] => {
  // the query string plays no part in this API; dropping it also keeps anything in it out of the history
  const path = request.path.split("?", 1)[0] ?? ""
  const method = request.method.toUpperCase()
  const [reply, next, params] = route(state, now, request, path, method)
  const authorization = request.headers.authorization
  return [toWire(reply), record(next, now, { method, path, authorization, request: params, reply })]
}
