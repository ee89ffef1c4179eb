/**
 * @hm-oauth/testkit: a fake of High Mobility's OAuth2 server, a pure state machine served in memory or over HTTP.
 *
 * @since 0.1.0
 */
export * as InMemoryHttpClient from "./InMemoryHttpClient.js"
