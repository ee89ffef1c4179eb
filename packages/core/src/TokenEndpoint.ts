/**
 * `POST /v1/access_tokens`: exchanges a consent code, refreshes, and gets application tokens with client
 * credentials. Code exchange and refresh are never replayed once they may have reached the server (see `Retry`).
 *
 * @since 0.1.0
 */
import { Context, DateTime, Effect, Layer, type Redacted } from "effect"
import { type Fields, HmHttpClient } from "./HmHttpClient.js"
import { HmOAuthConfig } from "./HmOAuthConfig.js"
import type { Operation, TokenEndpointError } from "./HmOAuthError.js"
import { authenticationFields } from "./internal/clientAuthentication.js"
import * as TokenSet from "./TokenSet.js"

/** The code from the consent callback, the redirect URI used on the consent page, and the PKCE verifier if any. */
export interface ExchangeCodeParams {
  readonly code: Redacted.Redacted<string>
  /** Must be identical to the one on the consent page. */
  readonly redirectUri: string
  readonly codeVerifier?: Redacted.Redacted<string> | undefined
}

/** Optional scopes for an application token. */
export interface ClientCredentialsParams {
  readonly scope?: string | ReadonlyArray<string> | undefined
}

/** The token endpoint. */
export class TokenEndpoint extends Context.Tag("@hm-oauth/core/TokenEndpoint")<
  TokenEndpoint,
  {
    /** `grant_type=authorization_code`: the tokens for the car whose owner just consented. */
    readonly exchangeCode: (params: ExchangeCodeParams) => Effect.Effect<TokenSet.TokenSet, TokenEndpointError>
    /** `grant_type=refresh_token`: a new access token; keep the returned refresh token, the old one may be spent. */
    readonly refresh: (refreshToken: Redacted.Redacted<string>) => Effect.Effect<TokenSet.TokenSet, TokenEndpointError>
    /** `grant_type=client_credentials`: an application token, with the client secret or a client assertion. */
    readonly clientCredentials: (
      params?: ClientCredentialsParams
    ) => Effect.Effect<TokenSet.TokenSet, TokenEndpointError>
  }
>() {}

/** Builds the token endpoint over the shared `HmHttpClient`. */
export const make: Effect.Effect<TokenEndpoint["Type"], never, HmOAuthConfig | HmHttpClient> = Effect.gen(function* () {
  const config = yield* HmOAuthConfig
  const http = yield* HmHttpClient
  const authenticate = authenticationFields(config)

  const requestTokens = (operation: Exclude<Operation, "revoke" | "vehicleInfo">, grant: Fields) =>
    http
      .execute(
        {
          operation,
          method: "POST",
          path: "/v1/access_tokens",
          fields: Effect.map(authenticate, (authentication) => ({ ...grant, ...authentication }))
        },
        TokenSet.AccessTokenResponse
      )
      .pipe(Effect.flatMap((response) => Effect.map(DateTime.now, (now) => TokenSet.fromResponse(response, now))))

  return TokenEndpoint.of({
    exchangeCode: Effect.fn("TokenEndpoint.exchangeCode")(function* (params: ExchangeCodeParams) {
      return yield* requestTokens("exchangeCode", {
        grant_type: "authorization_code",
        code: params.code,
        redirect_uri: params.redirectUri,
        code_verifier: params.codeVerifier
      })
    }),
    refresh: Effect.fn("TokenEndpoint.refresh")(function* (refreshToken: Redacted.Redacted<string>) {
      return yield* requestTokens("refresh", { grant_type: "refresh_token", refresh_token: refreshToken })
    }),
    clientCredentials: Effect.fn("TokenEndpoint.clientCredentials")(function* (params?: ClientCredentialsParams) {
      const scope = typeof params?.scope === "string" ? params.scope : params?.scope?.join(" ")
      return yield* requestTokens("clientCredentials", { grant_type: "client_credentials", scope })
    })
  })
})

/** The token endpoint; `HmHttpClient.layer` provides what it needs. */
export const layer: Layer.Layer<TokenEndpoint, never, HmOAuthConfig | HmHttpClient> = Layer.effect(TokenEndpoint, make)
