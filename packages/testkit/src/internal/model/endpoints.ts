/**
 * The API's routes, declared once: each endpoint's name (what faults address), method, path, and whether it reads
 * a body. The model's router, the fault plan's request counts and the HTTP front's fast path all derive from it.
 */

/** The endpoints' names. */
export const names = ["token", "revocation", "vehicleInfo"] as const

/** An endpoint's name. */
export type Endpoint = (typeof names)[number]

/** How an endpoint is reached. */
export interface Route {
  readonly method: string
  readonly path: string
  readonly readsBody: boolean
}

/** The route of every endpoint. */
export const routes: { readonly [E in Endpoint]: Route } = {
  token: { method: "POST", path: "/v1/access_tokens", readsBody: true },
  // HM revokes with DELETE and a body, where RFC 7009 uses POST
  revocation: { method: "DELETE", path: "/v1/access_tokens", readsBody: true },
  vehicleInfo: { method: "GET", path: "/v1/vehicleinfo", readsBody: false }
}

// Maps, not object literals: a path such as "constructor" must not find Object.prototype's
const byPath: ReadonlyMap<string, ReadonlyMap<string, Endpoint>> = names.reduce((paths, name) => {
  const { method, path } = routes[name]
  return paths.set(path, new Map(paths.get(path)).set(method, name))
}, new Map<string, ReadonlyMap<string, Endpoint>>())

/** The methods a path has, in the table's order, or undefined for a path the API does not have. */
export const methodsOf = (path: string): ReadonlyMap<string, Endpoint> | undefined => byPath.get(path)

/** The path of a request target: everything before its query (the API reads none). */
export const pathOf = (target: string): string => {
  const end = target.indexOf("?")
  return end === -1 ? target : target.slice(0, end)
}

/** The endpoint a request is for, or undefined for a path or method the API does not have. */
export const endpointOf = (method: string, target: string): Endpoint | undefined =>
  byPath.get(pathOf(target))?.get(method)
