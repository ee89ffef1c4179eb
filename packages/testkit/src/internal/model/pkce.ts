import { createHash } from "node:crypto"
import { Either } from "effect"
import type { AuthorizeError, CodeChallenge, Policy } from "../../Model.js"

// RFC 7636 §4.1: 43 to 128 unreserved characters
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/
// BASE64URL of a SHA-256 digest: 32 bytes make 43 characters
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/

type InvalidCodeChallenge = Extract<AuthorizeError, { _tag: "InvalidCodeChallenge" }>

const invalid = (reason: InvalidCodeChallenge["reason"]) =>
  Either.left<InvalidCodeChallenge>({ _tag: "InvalidCodeChallenge", reason })

/** RFC 7636 §4.2: S256 challenge = BASE64URL(SHA256(ASCII(verifier))). */
export const s256 = (verifier: string): string => createHash("sha256").update(verifier, "ascii").digest("base64url")

/**
 * The challenge a code is bound to, as the consent page receives it. HM's SDKs send a challenge without a
 * method and mean S256, so a missing method is the policy's default. Public clients cannot authenticate at
 * the token endpoint, so PKCE is their only proof (RFC 9700 §2.1.1): the policy can demand it.
 */
export const bindChallenge = (
  policy: Policy,
  publicClient: boolean,
  value: string | undefined,
  method: string | undefined
): Either.Either<CodeChallenge | undefined, InvalidCodeChallenge> => {
  if (value === undefined) {
    if (method !== undefined) return invalid("malformed")
    return publicClient && policy.requirePkceForPublicClients ? invalid("missing") : Either.right(undefined)
  }
  const resolved = method ?? policy.defaultCodeChallengeMethod
  if (resolved !== "S256" && resolved !== "plain") return invalid("unsupported_method")
  // a plain challenge is the verifier itself
  const wellFormed = resolved === "S256" ? S256_CHALLENGE.test(value) : VERIFIER.test(value)
  return wellFormed ? Either.right({ value, method: resolved }) : invalid("malformed")
}

/**
 * Whether a token request's verifier redeems a code. A code issued with a challenge is never redeemed without
 * its verifier (no downgrade), and a verifier sent for a code issued without one is refused too.
 */
export const verifierMatches = (challenge: CodeChallenge | undefined, verifier: string | undefined): boolean => {
  if (challenge === undefined || verifier === undefined) return challenge === undefined && verifier === undefined
  if (!VERIFIER.test(verifier)) return false
  return (challenge.method === "S256" ? s256(verifier) : verifier) === challenge.value
}
