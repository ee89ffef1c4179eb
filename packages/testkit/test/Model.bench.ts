/**
 * Cost of one `Model.step` on a busy server: 20,000 live families (40,000 live tokens), a full history.
 * Run with `npx vitest bench --run --project testkit`. Each case consumes a pool of fresh inputs, so every
 * iteration does the real work (a fresh code, a refresh token not yet rotated, a live access token).
 */
import { Either } from "effect"
import { bench, describe } from "vitest"
import * as Model from "../src/Model.js"
import { T0, VIN, WEB } from "./fixtures.js"

const POOL = 20_000
const options = { time: 0, iterations: POOL - 200, warmupTime: 0, warmupIterations: 100 }

const post = (body: Record<string, unknown>): Model.WireRequest => ({
  method: "POST",
  path: "/v1/access_tokens",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body)
})

const exchangeRequest = (code: string) =>
  post({
    grant_type: "authorization_code",
    code,
    redirect_uri: WEB.redirectUris[0],
    client_id: WEB.id,
    client_secret: WEB.secret
  })

const busyServer = () => {
  let state = Model.make({ seed: 1, clients: [WEB], vehicles: [{ vin: VIN }] })
  const codes: Array<string> = []
  const accessTokens: Array<string> = []
  const refreshTokens: Array<string> = []
  for (let i = 0; i < POOL; i++) {
    const [authorized, next] = Either.getOrThrow(
      Model.authorize(state, T0, { clientId: WEB.id, redirectUri: WEB.redirectUris[0] ?? "", vin: VIN })
    )
    const [response, redeemed] = Model.step(next, T0, exchangeRequest(authorized.code))
    const body = JSON.parse(response.body)
    accessTokens.push(body.access_token)
    refreshTokens.push(body.refresh_token)
    state = redeemed
  }
  for (let i = 0; i < POOL; i++) {
    const [authorized, next] = Either.getOrThrow(
      Model.authorize(state, T0, { clientId: WEB.id, redirectUri: WEB.redirectUris[0] ?? "", vin: VIN })
    )
    codes.push(authorized.code)
    state = next
  }
  return { state, codes, accessTokens, refreshTokens }
}

const server = busyServer()

/** A bench case stepping its own copy of the busy server with the i-th request of a pool. */
const stepping = (name: string, request: (i: number) => Model.WireRequest) => {
  let state = server.state
  let i = 0
  const requests = Array.from({ length: POOL }, (_, n) => request(n))
  bench(
    name,
    () => {
      const [response, next] = Model.step(state, T0 + 1000, requests[i++ % POOL] as Model.WireRequest)
      if (response.status >= 300) throw new Error(`${name}: ${response.status} ${response.body}`)
      state = next
    },
    options
  )
}

describe("Model.step on a server with 40,000 live tokens", () => {
  stepping("code exchange", (i) => exchangeRequest(server.codes[i] ?? ""))
  stepping("refresh (rotating)", (i) =>
    post({
      grant_type: "refresh_token",
      refresh_token: server.refreshTokens[i],
      client_id: WEB.id,
      client_secret: WEB.secret
    })
  )
  stepping("vehicleinfo", (i) => ({
    method: "GET",
    path: "/v1/vehicleinfo",
    headers: { authorization: `Bearer ${server.accessTokens[i]}` },
    body: ""
  }))
  stepping("revoke (refresh token, cascading)", (i) => ({
    ...post({ token: server.refreshTokens[i], client_id: WEB.id, client_secret: WEB.secret }),
    method: "DELETE"
  }))
})
