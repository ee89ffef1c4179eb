import type { State, WireRequest, WireResponse } from "../../Model.js"
import { type Endpoint, methodsOf, pathOf, routes } from "./endpoints.js"
import { fail, OAuthErrors } from "./errors.js"
import { MALFORMED, record } from "./history.js"
import { forgetExpired } from "./prune.js"
import { revocation } from "./revocation.js"
import { tokenEndpoint } from "./tokenEndpoint.js"
import { vehicleInfo } from "./vehicleInfo.js"
import { type Handler, jsonReply, NO_PARAMS, type Params, parseParams, type Reply, toWire } from "./wire.js"

/** Who answers each endpoint of the route table. */
const handlers: { readonly [E in Endpoint]: Handler } = { token: tokenEndpoint, revocation, vehicleInfo }

type Routed = readonly [Reply, State, Params | typeof MALFORMED | undefined]

const route = (state: State, now: number, request: WireRequest, path: string, method: string): Routed => {
  const methods = methodsOf(path)
  if (methods === undefined) return [jsonReply(404, { error: "not_found" }), state, undefined]
  const endpoint = methods.get(method)
  if (endpoint === undefined) {
    const allow = [...methods.keys()].join(", ")
    return [jsonReply(405, { error: "method_not_allowed" }, { allow }), state, undefined]
  }
  const { headers } = request
  const { readsBody } = routes[endpoint]
  const params = readsBody ? parseParams(headers, request.body) : NO_PARAMS
  if (params === undefined) {
    const [reply, next] = fail(state, OAuthErrors.malformedBody)
    return [reply, next, MALFORMED]
  }
  const [reply, next] = handlers[endpoint](state, now, { params, headers })
  return [reply, next, readsBody ? params : undefined]
}

/** Routes a request, answers it and records the exchange in the history. */
export const step = (state: State, now: number, request: WireRequest): readonly [WireResponse, State] => {
  // the query string plays no part in this API; dropping it also keeps anything in it out of the history
  const path = pathOf(request.path)
  // methods are case-sensitive (RFC 9110 §9.1): "get" is no GET
  const { method } = request
  // what is due to be forgotten by now is gone before the request is read
  const current = forgetExpired(state, now)
  const [answered, next, params] = route(current, now, request, path, method)
  // RFC 9110 §9.3.2: the answer to HEAD carries no content, whatever the status
  const reply: Reply =
    method === "HEAD" && answered.body !== undefined
      ? { status: answered.status, headers: answered.headers ?? {} }
      : answered
  const authorization = request.headers.authorization
  return [toWire(reply), record(next, now, { method, path, authorization, request: params, reply })]
}
