/**
 * The store contract (`@hm-oauth/testkit/TokenStoreContract`) on both dialects: each case opens the store anew over
 * one database per dialect, as the suite allows (every case keeps to grant ids of its own).
 */
import * as TokenStoreContract from "@hm-oauth/testkit/TokenStoreContract"
import { Effect, Layer, Redacted } from "effect"
import { SqlTokenStore } from "../src/index.js"
import { freshPgUrl, freshSqliteFile } from "./support/databases.js"
import { encryption } from "./support/fixtures.js"

TokenStoreContract.suite(
  "SqlTokenStore.layerSqlite",
  SqlTokenStore.layerSqlite({ filename: freshSqliteFile(), encryption })
)

// the file's database is made once, by the first case that opens it
let database: Promise<string> | undefined
const url = Effect.promise(() => {
  database ??= Effect.runPromise(freshPgUrl)
  return database
})
TokenStoreContract.suite(
  "SqlTokenStore.layerPg",
  Layer.unwrapEffect(Effect.map(url, (pgUrl) => SqlTokenStore.layerPg({ url: Redacted.make(pgUrl), encryption })))
)
