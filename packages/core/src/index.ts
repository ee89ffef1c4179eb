/**
 * @hm-oauth/core: a typed Effect client for High Mobility's OAuth2 API.
 *
 * @since 0.1.0
 */
export * as Authorization from "./Authorization.js"
export * as ClientAssertion from "./ClientAssertion.js"
export * as Credentials from "./Credentials.js"
export * as HmHttpClient from "./HmHttpClient.js"
export * as HmOAuth from "./HmOAuth.js"
export * as HmOAuthConfig from "./HmOAuthConfig.js"
export * as HmOAuthError from "./HmOAuthError.js"
export * as Operation from "./Operation.js"
export * as Pkce from "./Pkce.js"
export * as Retry from "./Retry.js"
export * as Revocation from "./Revocation.js"
export * as TokenEndpoint from "./TokenEndpoint.js"
export * as TokenManager from "./TokenManager.js"
export * as TokenSet from "./TokenSet.js"
export * as TokenStore from "./TokenStore.js"
export * as Vehicle from "./Vehicle.js"
export * as VehicleInfo from "./VehicleInfo.js"
