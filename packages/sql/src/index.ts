/**
 * @hm-oauth/sql: durable token stores over `@effect/sql`, SQLite on one machine and PostgreSQL for fleets.
 *
 * @since 0.2.0
 */
export * as SqlTokenStore from "./SqlTokenStore.js"
export * as StoreEncryption from "./StoreEncryption.js"
