/**
 * @hm-oauth/testkit: a fake of High Mobility's OAuth2 server, a pure state machine served in memory or over HTTP.
 *
 * @since 0.1.0
 */
export * as Demo from "./Demo.js"
export * as FakeHttpServer from "./FakeHttpServer.js"
export * as FakeServer from "./FakeServer.js"
export * as Faults from "./Faults.js"
export * as InMemoryHttpClient from "./InMemoryHttpClient.js"
export * as Model from "./Model.js"
export * as ServerConfig from "./ServerConfig.js"
export * as SpecValidator from "./SpecValidator.js"
