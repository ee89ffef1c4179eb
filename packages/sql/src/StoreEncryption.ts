/**
 * How a SQL token store keeps tokens at rest: AES-256-GCM under keys the user provides, each ciphertext prefixed
 * with the id of its key, so keys rotate (new writes under the current key, older keys still read) — or, asked for
 * by name, plaintext for local development and tests.
 *
 * @since 0.2.0
 */
import { Config, ConfigError, Either, Option, Redacted } from "effect"

/**
 * One AES-256 key: 32 bytes, and the id written beside every ciphertext made with it (letters, digits, `_`, `-`,
 * `.`: it must not hold the `:` that ends it).
 *
 * @since 0.2.0
 * @category models
 */
export interface Key {
  readonly id: string
  readonly key: Redacted.Redacted<Uint8Array>
}

/**
 * `Keys`: encrypt under `current`, decrypt under `current` or any of `previous`. `Plaintext`: store tokens as they
 * are; a plaintext store reads no ciphertext and an encrypting store reads no plaintext.
 *
 * @since 0.2.0
 * @category models
 */
export type StoreEncryption =
  | { readonly _tag: "Keys"; readonly current: Key; readonly previous: ReadonlyArray<Key> }
  | { readonly _tag: "Plaintext" }

const keyIdPattern = /^[A-Za-z0-9_.-]{1,64}$/

/**
 * A key from its id and 32 bytes, or why it is not one.
 *
 * @since 0.2.0
 * @category constructors
 */
export const key = (id: string, bytes: Redacted.Redacted<Uint8Array>): Either.Either<Key, string> => {
  if (!keyIdPattern.test(id)) return Either.left("a key id is 1 to 64 letters, digits, '_', '-' or '.'")
  if (Redacted.value(bytes).length !== 32) return Either.left("an AES-256 key is 32 bytes")
  return Either.right({ id, key: bytes })
}

/**
 * Parses `ID:BASE64` (32 bytes in standard or URL-safe base64), the form the configuration takes. The error never
 * quotes the key.
 *
 * @since 0.2.0
 * @category constructors
 */
export const parseKey = (text: Redacted.Redacted<string>): Either.Either<Key, string> => {
  const value = Redacted.value(text).trim()
  const colon = value.indexOf(":")
  if (colon < 0) return Either.left("expected ID:BASE64 (a key id, a colon, 32 bytes in base64)")
  const encoded = value.slice(colon + 1)
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) return Either.left("the part after the colon is not base64")
  return key(value.slice(0, colon), Redacted.make(new Uint8Array(Buffer.from(encoded, "base64"))))
}

/**
 * Encrypts under `current`; reads ciphertexts under `current` and `previous` (old keys, kept while rows still use
 * them: `SqlTokenStore.reencrypt` moves every row to the current key).
 *
 * @since 0.2.0
 * @category constructors
 */
export const keys = (current: Key, ...previous: ReadonlyArray<Key>): StoreEncryption => ({
  _tag: "Keys",
  current,
  previous
})

/**
 * Tokens stored as they are: only when asked for by name.
 *
 * @since 0.2.0
 * @category constructors
 */
export const plaintext: StoreEncryption = { _tag: "Plaintext" }

const keyConfig = (name: string) =>
  Config.redacted(name).pipe(
    Config.mapOrFail((text) =>
      Either.mapLeft(parseKey(text), (problem) => ConfigError.InvalidData([name], `${name}: ${problem}`))
    )
  )

const previousKeysConfig = (name: string) =>
  Config.redacted(name).pipe(
    Config.mapOrFail((text) => {
      const parts = Redacted.value(text)
        .split(",")
        .map((part) => part.trim())
        .filter((part) => part.length > 0)
      const parsed = Either.all(parts.map((part) => parseKey(Redacted.make(part))))
      return Either.mapLeft(parsed, (problem) => ConfigError.InvalidData([name], `${name}: ${problem}`))
    }),
    Config.withDefault<ReadonlyArray<Key>>([])
  )

/**
 * Reads the encryption from `HM_OAUTH_STORE_KEY` (`ID:BASE64`), `HM_OAUTH_STORE_PREVIOUS_KEYS` (comma-separated,
 * for rotation) and `HM_OAUTH_STORE_PLAINTEXT` (`true` to store tokens unencrypted). Without a key and without
 * plaintext asked for, it fails: a store never falls back to plaintext on its own.
 *
 * @since 0.2.0
 * @category config
 */
export const config: Config.Config<StoreEncryption> = Config.all({
  current: Config.option(keyConfig("HM_OAUTH_STORE_KEY")),
  previous: previousKeysConfig("HM_OAUTH_STORE_PREVIOUS_KEYS"),
  plaintext: Config.boolean("HM_OAUTH_STORE_PLAINTEXT").pipe(Config.withDefault(false))
}).pipe(
  Config.mapOrFail(({ current, plaintext: plain, previous }) =>
    Option.match(current, {
      onSome: (key): Either.Either<StoreEncryption, ConfigError.ConfigError> => {
        if (plain) {
          return Either.left(
            ConfigError.InvalidData(
              ["HM_OAUTH_STORE_PLAINTEXT"],
              "HM_OAUTH_STORE_PLAINTEXT=true and HM_OAUTH_STORE_KEY are both set: choose one"
            )
          )
        }
        const ids = [key, ...previous].map((k) => k.id)
        const repeated = ids.find((id, index) => ids.indexOf(id) !== index)
        return repeated === undefined
          ? Either.right(keys(key, ...previous))
          : Either.left(
              ConfigError.InvalidData(
                ["HM_OAUTH_STORE_PREVIOUS_KEYS"],
                `HM_OAUTH_STORE_PREVIOUS_KEYS: the key id ${repeated} is given twice; each key needs an id of its own`
              )
            )
      },
      onNone: () =>
        plain
          ? Either.right(plaintext)
          : Either.left(
              ConfigError.MissingData(
                ["HM_OAUTH_STORE_KEY"],
                "HM_OAUTH_STORE_KEY is missing: give a key (ID:BASE64 of 32 bytes) to encrypt tokens at rest, or set HM_OAUTH_STORE_PLAINTEXT=true to store them unencrypted"
              )
            )
    })
  )
)
