/**
 * What the `sql-store` benchmark and its refresher processes share: the client registered at the fake, the car
 * every owner consents for, and the store's encryption key, which the benchmark makes for the run and hands to each
 * process in `HM_OAUTH_STORE_KEY` (as a deployment's processes would read it).
 */
import { randomBytes } from "node:crypto"
import { StoreEncryption } from "@hm-oauth/sql"
import { Either, Redacted } from "effect"

export const fleetClient = {
  id: "bench-fleet",
  secret: "bench-fleet-secret",
  redirectUris: ["https://bench.example/callback"]
}
export const fleetVin = "WBA00000000000001"

/** A fresh key, as `HM_OAUTH_STORE_KEY` gives it: `ID:BASE64`. */
export const freshKeyText = (): string => `bench:${randomBytes(32).toString("base64")}`

/** The encryption of a key given as text. */
export const encryptionOf = (text: string): StoreEncryption.StoreEncryption =>
  StoreEncryption.keys(Either.getOrThrow(StoreEncryption.parseKey(Redacted.make(text))))
