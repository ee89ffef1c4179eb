/**
 * Tokens at rest: what a dump of either database shows, ciphertexts bound to their row, wrong and rotated keys, and
 * the configuration that refuses to store plaintext unless asked.
 */
import { readdirSync, readFileSync } from "node:fs"
import { dirname } from "node:path"
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { TokenStore } from "@hm-oauth/core"
import { ConfigProvider, Effect, Either, Exit, Layer, Option, Redacted } from "effect"
import { SqlTokenStore, StoreEncryption } from "../src/index.js"
import { dialects, storeLayer } from "./support/dialects.js"
import { encryption, lease, newGrant, secretsOf, testKey, tokens } from "./support/fixtures.js"

const store = TokenStore.TokenStore

/** Everything the database holds, as text: every SQLite file (database, WAL), or every row of PostgreSQL's table. */
const dump = (dialect: string, location: string) =>
  Effect.gen(function* () {
    if (dialect === "sqlite") {
      const base = location.slice(dirname(location).length + 1)
      return readdirSync(dirname(location))
        .filter((file) => file.startsWith(base))
        .map((file) => readFileSync(`${dirname(location)}/${file}`).toString("latin1"))
        .join("\n")
    }
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly row: string }>`SELECT row_to_json(g)::text AS row FROM hm_oauth_grants g`
    return rows.map((r) => r.row).join("\n")
  })

const onboardSome = Effect.gen(function* () {
  const tokenStore = yield* store
  const secrets: Array<string> = []
  const current: Array<string> = []
  for (let i = 0; i < 20; i++) {
    const record = yield* tokenStore.insert(newGrant(`car-${i}`))
    secrets.push(...secretsOf(record))
    // a refresh too, so the WAL and older row versions hold tokens as well
    const claimed = yield* tokenStore.claim(`car-${i}`, lease("node", 60_000))
    if (claimed._tag !== "Claimed") return yield* Effect.die(claimed._tag)
    const written = yield* tokenStore.commit(`car-${i}`, claimed.record.version, tokens())
    if (written._tag === "Written") secrets.push(...secretsOf(written.record))
    if (written._tag === "Written") current.push(...secretsOf(written.record))
  }
  return { secrets, current }
})

for (const dialect of dialects) {
  describe(`tokens at rest in ${dialect.name}`, () => {
    it.effect("a dump of the database holds no token, and the same dump of a plaintext store holds them all", () =>
      Effect.gen(function* () {
        const encrypted = yield* dialect.fresh
        const { secrets } = yield* Effect.provide(onboardSome, storeLayer(dialect, encrypted, { encryption }))
        expect(secrets).toHaveLength(80)
        const text = yield* Effect.provide(dump(dialect.name, encrypted), dialect.client(encrypted))
        expect(secrets.filter((secret) => text.includes(secret))).toEqual([])
        expect(text).toContain("k1:")

        const plain = yield* dialect.fresh
        const { current } = yield* Effect.provide(
          onboardSome,
          storeLayer(dialect, plain, { encryption: StoreEncryption.plaintext })
        )
        // the search finds what is there: the current tokens of a plaintext store (superseded ones may be gone)
        const plainText = yield* Effect.provide(dump(dialect.name, plain), dialect.client(plain))
        expect(current).toHaveLength(40)
        expect(current.filter((secret) => !plainText.includes(secret))).toEqual([])
      })
    )

    it.effect("a ciphertext moved to another row, or another column, fails to decrypt: Corrupt", () =>
      Effect.gen(function* () {
        const location = yield* dialect.fresh
        yield* Effect.gen(function* () {
          const tokenStore = yield* store
          const sql = yield* SqlClient.SqlClient
          yield* tokenStore.insert(newGrant("victim"))
          yield* tokenStore.insert(newGrant("attacker"))
          yield* sql`UPDATE hm_oauth_grants SET access_token = (SELECT access_token FROM hm_oauth_grants WHERE grant_id = 'victim') WHERE grant_id = 'attacker'`
          const moved = yield* Effect.flip(tokenStore.get("attacker"))
          expect(moved).toMatchObject({ _tag: "TokenStoreError", reason: "Corrupt", operation: "get" })
          expect(moved.detail).toContain("does not decrypt")
          yield* sql`UPDATE hm_oauth_grants SET access_token = refresh_token WHERE grant_id = 'victim'`
          expect((yield* Effect.flip(tokenStore.get("victim"))).reason).toBe("Corrupt")
        }).pipe(Effect.provide(storeLayer(dialect, location, { encryption })))
      })
    )

    it.effect("a wrong key reads nothing (Corrupt, naming the key id) and overwrites nothing", () =>
      Effect.gen(function* () {
        const location = yield* dialect.fresh
        const written = yield* Effect.provide(
          Effect.flatMap(store, (s) => s.insert(newGrant("car-1"))),
          storeLayer(dialect, location, { encryption })
        )
        const wrong = StoreEncryption.keys(testKey("k1"))
        const failure = yield* Effect.provide(
          Effect.flip(Effect.flatMap(store, (s) => s.get("car-1"))),
          storeLayer(dialect, location, { encryption: wrong })
        )
        expect(failure).toMatchObject({ reason: "Corrupt", grantId: "car-1" })
        expect(failure.detail).toContain("key k1")
        const unknown = yield* Effect.provide(
          Effect.flip(Effect.flatMap(store, (s) => s.claim("car-1", lease("n", 10_000)))),
          storeLayer(dialect, location, { encryption: StoreEncryption.keys(testKey("k9")) })
        )
        expect(unknown.detail).toContain("key k1, which the store was not given")
        // the right key still reads what was written, a plaintext store refuses to
        const again = yield* Effect.provide(
          Effect.flatMap(store, (s) => s.get("car-1")),
          storeLayer(dialect, location, { encryption })
        )
        expect(Option.map(again, (r) => Redacted.value(r.accessToken))).toEqual(
          Option.some(Redacted.value(written.accessToken))
        )
        const plain = yield* Effect.provide(
          Effect.flip(Effect.flatMap(store, (s) => s.get("car-1"))),
          storeLayer(dialect, location, { encryption: StoreEncryption.plaintext })
        )
        expect(plain.reason).toBe("Corrupt")
      })
    )

    it.effect(
      "keys rotate: old rows read under the previous key, new writes use the current one, reencrypt moves the rest",
      () =>
        Effect.gen(function* () {
          const location = yield* dialect.fresh
          const k1 = testKey("k1")
          const k2 = testKey("k2")
          const first = yield* Effect.provide(
            Effect.flatMap(store, (s) =>
              Effect.forEach(["a", "b", "c"], (id) => s.insert(newGrant(id)), { concurrency: 1 })
            ),
            storeLayer(dialect, location, { encryption: StoreEncryption.keys(k1) })
          )
          const rotated = StoreEncryption.keys(k2, k1)
          yield* Effect.gen(function* () {
            const tokenStore = yield* store
            const sql = yield* SqlClient.SqlClient
            const read = yield* tokenStore.get("a")
            expect(Option.map(read, (r) => Redacted.value(r.accessToken))).toEqual(
              Option.some(Redacted.value(first[0]!.accessToken))
            )
            const claimed = yield* tokenStore.claim("a", lease("n", 10_000))
            if (claimed._tag !== "Claimed") return expect.fail(claimed._tag)
            // a refresh without a new refresh token: the access token under k2 beside the refresh token still under k1
            yield* tokenStore.commit("a", claimed.record.version, { ...tokens(), refreshToken: Option.none() })
            const keysOf = () =>
              sql<{
                readonly grant_id: string
                readonly access_token: string
                readonly refresh_token: string
              }>`SELECT grant_id, access_token, refresh_token FROM hm_oauth_grants ORDER BY grant_id`.pipe(
                Effect.map((rows) =>
                  rows.map((r) => `${r.grant_id}:${r.access_token.split(":")[0]}/${r.refresh_token.split(":")[0]}`)
                )
              )
            expect(yield* keysOf()).toEqual(["a:k2/k1", "b:k1/k1", "c:k1/k1"])
            const versions = (yield* tokenStore.scan({ limit: 10 })).records.map((r) => r.version)
            expect(yield* SqlTokenStore.reencrypt(rotated)).toEqual({ rewritten: 3 })
            expect(yield* keysOf()).toEqual(["a:k2/k2", "b:k2/k2", "c:k2/k2"])
            expect((yield* tokenStore.scan({ limit: 10 })).records.map((r) => r.version)).toEqual(versions)
            expect(yield* SqlTokenStore.reencrypt(rotated)).toEqual({ rewritten: 0 })
          }).pipe(Effect.provide(storeLayer(dialect, location, { encryption: rotated })))
          // k1 can go now
          const withoutK1 = yield* Effect.provide(
            Effect.flatMap(store, (s) => s.get("b")),
            storeLayer(dialect, location, { encryption: StoreEncryption.keys(k2) })
          )
          expect(Option.map(withoutK1, (r) => Redacted.value(r.accessToken))).toEqual(
            Option.some(Redacted.value(first[1]!.accessToken))
          )
        })
    )
  })
}

describe("StoreEncryption.config", () => {
  const read = (env: Record<string, string>) =>
    Effect.runSyncExit(Effect.withConfigProvider(StoreEncryption.config, ConfigProvider.fromJson(env)))
  const key = Buffer.alloc(32, 7).toString("base64")

  it("refuses to start without a key unless plaintext is asked for, naming the variable", () => {
    const missing = read({})
    expect(Exit.isFailure(missing)).toBe(true)
    expect(String(missing)).toContain("HM_OAUTH_STORE_KEY is missing")
    expect(Exit.isSuccess(read({ HM_OAUTH_STORE_PLAINTEXT: "true" }))).toBe(true)
    expect(String(read({ HM_OAUTH_STORE_PLAINTEXT: "true", HM_OAUTH_STORE_KEY: `k1:${key}` }))).toContain("choose one")
  })

  it("reads the key and the previous keys, and names the variable of a bad one without quoting it", () => {
    const ok = read({ HM_OAUTH_STORE_KEY: `k2:${key}`, HM_OAUTH_STORE_PREVIOUS_KEYS: `k1:${key}, k0:${key}` })
    expect(Exit.isSuccess(ok)).toBe(true)
    if (Exit.isSuccess(ok) && ok.value._tag === "Keys") {
      expect([ok.value.current.id, ...ok.value.previous.map((k) => k.id)]).toEqual(["k2", "k1", "k0"])
    }
    const short = read({ HM_OAUTH_STORE_KEY: `k1:${Buffer.alloc(16, 7).toString("base64")}` })
    expect(String(short)).toContain("HM_OAUTH_STORE_KEY: an AES-256 key is 32 bytes")
    const twice = read({ HM_OAUTH_STORE_KEY: `k2:${key}`, HM_OAUTH_STORE_PREVIOUS_KEYS: `k1:${key},k2:${key}` })
    expect(String(twice)).toContain("HM_OAUTH_STORE_PREVIOUS_KEYS: the key id k2 is given twice")
    const bad = read({ HM_OAUTH_STORE_KEY: `k2:${key}`, HM_OAUTH_STORE_PREVIOUS_KEYS: "nocolon-secretvalue" })
    expect(String(bad)).toContain("HM_OAUTH_STORE_PREVIOUS_KEYS: expected ID:BASE64")
    expect(String(bad)).not.toContain("secretvalue")
    expect(Either.isLeft(StoreEncryption.parseKey(Redacted.make(`bad id:${key}`)))).toBe(true)
  })

  it("SqlTokenStore.layerConfig fails on a bad HM_OAUTH_STORE_URL before opening anything", () => {
    const exit = Effect.runSyncExit(
      Layer.launch(SqlTokenStore.layerConfig).pipe(
        Effect.withConfigProvider(
          ConfigProvider.fromJson({ HM_OAUTH_STORE_URL: "mysql://x", HM_OAUTH_STORE_PLAINTEXT: "true" })
        )
      )
    )
    expect(String(exit)).toContain("HM_OAUTH_STORE_URL: expected sqlite:PATH or postgres://")
  })
})
