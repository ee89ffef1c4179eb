import { createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto"
import { Either } from "effect"
import * as Model from "../src/Model.js"

export const T0 = Date.UTC(2025, 0, 1, 12)
export const VIN = "WBA00000000000001"
export const AUDIENCE = "https://sandbox.api.high-mobility.com/v1"

/** A server-side web app: confidential. */
export const WEB = { id: "web-app", secret: "web-secret-5b1e0c", redirectUris: ["https://app.example/callback"] }
/** A native app: public, PKCE only. */
export const NATIVE = { id: "native-app", redirectUris: ["com.example.app:/oauth"] }
/** Another confidential app, to check that tokens stay with their client. */
export const OTHER = { id: "other-app", secret: "other-secret-9d2a", redirectUris: ["https://other.example/cb"] }

export const serviceKey = generateKeyPairSync("ec", { namedCurve: "P-256" })
export const otherKey = generateKeyPairSync("ec", { namedCurve: "P-256" })
/** A fleet app holding service-account keys (one of them expired at T0 + 1 h) and no secret. */
export const FLEET = {
  id: "fleet-app",
  redirectUris: [],
  serviceAccountKeys: [
    { id: "key-1", publicKey: serviceKey.publicKey },
    {
      id: "key-old",
      publicKey: otherKey.publicKey.export({ format: "pem", type: "spki" }).toString(),
      expiresAt: T0 + 3_600_000
    }
  ]
}
/** An app with a secret and a key whose private half the fleet app does not share. */
export const PARTNER = {
  id: "partner-app",
  secret: "partner-secret-77",
  redirectUris: [],
  serviceAccountKeys: [{ id: "key-partner", publicKey: otherKey.privateKey.export({ format: "jwk" }) }]
}

// RFC 7636 appendix B
export const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
export const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

export const s256 = (verifier: string): string => createHash("sha256").update(verifier).digest("base64url")

export type Json = Record<string, unknown>

/** A response with its body read as JSON (undefined when empty). */
export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly json: Json
  /** A string field of the JSON body; fails the test if it is not one. */
  readonly field: (name: string) => string
}

const answer = (response: Model.WireResponse): Answer => {
  const json: Json = response.body === "" ? {} : JSON.parse(response.body)
  return {
    ...response,
    json,
    field: (name) => {
      const value = json[name]
      if (typeof value !== "string") throw new Error(`no string field ${name} in ${response.body}`)
      return value
    }
  }
}

/** An error body as the server writes it. */
export const oauthError = (error: string, description: string) => ({ error, error_description: description })

/** An error body in HM's style: always invalid_request, the kind in the description. */
export const hmError = (description: string) => oauthError("invalid_request", description)

const segment = (value: object): string => Buffer.from(JSON.stringify(value)).toString("base64url")

/** A client assertion signed by hand, as HM's console key would sign it. */
export const signAssertion = (
  claims: Json,
  options: { readonly key?: KeyObject; readonly header?: Json; readonly dsaEncoding?: "ieee-p1363" | "der" } = {}
): string => {
  const input = `${segment(options.header ?? { alg: "ES256", typ: "JWT" })}.${segment(claims)}`
  const signature = sign("sha256", Buffer.from(input), {
    key: options.key ?? serviceKey.privateKey,
    dsaEncoding: options.dsaEncoding ?? "ieee-p1363"
  })
  return `${input}.${signature.toString("base64url")}`
}

/** Decodes a JWT's header and payload, unverified. */
export const decodeJwt = (jwt: string): { header: Json; payload: Json; signature: string } => {
  const [header = "", payload = "", signature = ""] = jwt.split(".")
  const decode = (part: string): Json => JSON.parse(Buffer.from(part, "base64url").toString())
  return { header: decode(header), payload: decode(payload), signature }
}

export interface Login {
  readonly accessToken: string
  readonly refreshToken: string
  readonly authorizationId: string
  readonly response: Answer
}

const loggedIn = (authorizationId: string, response: Answer): Login => {
  if (response.status !== 200) throw new Error(`login failed: ${response.body}`)
  return {
    accessToken: response.field("access_token"),
    refreshToken: response.field("refresh_token"),
    authorizationId,
    response
  }
}

/** A fresh model state; throws (failing the test) if the model refuses the options. */
export const make = (options: Model.MakeOptions = {}): Model.State =>
  Either.getOrThrowWith(Model.make(options), (refused) => new Error(`the model refused: ${JSON.stringify(refused)}`))

/** Holds a model state and a clock for a test, and sends requests through `Model.step`. */
export class Harness {
  state: Model.State
  now = T0
  private jtis = 0

  constructor(options: Model.MakeOptions = {}) {
    this.state = make({
      seed: 7,
      clients: [WEB, NATIVE, OTHER, FLEET, PARTNER],
      vehicles: [{ vin: VIN }],
      ...options
    })
  }

  advance(seconds: number): this {
    this.now += seconds * 1000
    return this
  }

  send(request: Partial<Model.WireRequest>): Answer {
    const [response, state] = Model.step(this.state, this.now, {
      method: "POST",
      path: "/v1/access_tokens",
      headers: {},
      body: "",
      ...request
    })
    this.state = state
    return answer(response)
  }

  post(params: Json, options: { readonly form?: boolean } = {}): Answer {
    return options.form
      ? this.send({
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams(params as Record<string, string>).toString()
        })
      : this.send({ headers: { "content-type": "application/json" }, body: JSON.stringify(params) })
  }

  revoke(params: Json): Answer {
    return this.send({
      method: "DELETE",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(params)
    })
  }

  vehicleInfo(accessToken: string): Answer {
    return this.send({ method: "GET", path: "/v1/vehicleinfo", headers: { authorization: `Bearer ${accessToken}` } })
  }

  authorize(request: Partial<Model.AuthorizeRequest> = {}): Model.Authorized {
    const result = Model.authorize(this.state, this.now, {
      clientId: WEB.id,
      redirectUri: WEB.redirectUris[0] ?? "",
      vin: VIN,
      ...request
    })
    if (Either.isLeft(result)) throw new Error(`authorize refused: ${JSON.stringify(result.left)}`)
    const [authorized, state] = result.right
    this.state = state
    return authorized
  }

  /** The web app's code exchange; `extra` overrides or adds parameters. */
  exchange(code: string, extra: Json = {}): Answer {
    return this.post({
      grant_type: "authorization_code",
      code,
      redirect_uri: WEB.redirectUris[0],
      client_id: WEB.id,
      client_secret: WEB.secret,
      ...extra
    })
  }

  /** The web app's refresh; `extra` overrides or adds parameters. */
  refresh(refreshToken: string, extra: Json = {}): Answer {
    return this.post({
      grant_type: "refresh_token",
      refresh_token: refreshToken,
      client_id: WEB.id,
      client_secret: WEB.secret,
      ...extra
    })
  }

  /** Consent and code exchange for the web app, in one go. */
  login(request: Partial<Model.AuthorizeRequest> = {}): Login {
    const { code, authorizationId } = this.authorize(request)
    return loggedIn(authorizationId, this.exchange(code))
  }

  /** The native app's consent, with the RFC 7636 example challenge unless `request` says otherwise. */
  nativeAuthorize(request: Partial<Model.AuthorizeRequest> = {}): Model.Authorized {
    return this.authorize({
      clientId: NATIVE.id,
      redirectUri: NATIVE.redirectUris[0] ?? "",
      codeChallenge: CHALLENGE,
      ...request
    })
  }

  /** The native app's code exchange (no secret); `extra` overrides or adds parameters. */
  nativeExchange(code: string, extra: Json = {}): Answer {
    return this.post({
      grant_type: "authorization_code",
      code,
      redirect_uri: NATIVE.redirectUris[0],
      client_id: NATIVE.id,
      ...extra
    })
  }

  /** Consent and PKCE code exchange for the native app, in one go. */
  nativeLogin(): Login {
    const { code, authorizationId } = this.nativeAuthorize()
    return loggedIn(authorizationId, this.nativeExchange(code, { code_verifier: VERIFIER }))
  }

  /** Claims of a fresh, valid assertion for key-1; `overrides` replace or add claims. */
  claims(overrides: Json = {}): Json {
    this.jtis += 1
    return {
      aud: AUDIENCE,
      iss: "key-1",
      ver: 2,
      iat: Math.floor(this.now / 1000),
      jti: `jti-${this.jtis}`,
      ...overrides
    }
  }

  /** A client-credentials request of the fleet app with the given assertion. */
  assert(clientAssertion: string, extra: Json = {}): Answer {
    return this.post({
      grant_type: "client_credentials",
      client_id: FLEET.id,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: clientAssertion,
      ...extra
    })
  }

  handle(value: string): string {
    return Model.handleOf(this.state, value).pipe((option) => (option._tag === "Some" ? option.value : "none"))
  }

  status(value: string): Model.TokenStatus | undefined {
    const handle = Model.handleOf(this.state, value)
    if (handle._tag === "None") return undefined
    const view = Model.token(this.state, this.now, handle.value)
    return view._tag === "Some" ? view.value.status : undefined
  }
}
