import type { Policy } from "../../Model.js"

export const defaultPolicy: Policy = {
  accessTokenLifetime: 3600,
  clientCredentialsTokenLifetime: 300,
  codeLifetime: 600,
  refreshTokenLifetime: null,
  rotateRefreshTokens: true,
  refreshReuseGrace: 0,
  cascadeRevocation: true,
  acceptRefreshGrantQuirk: true,
  successStatus: 200,
  errorStyle: "hm",
  audience: "https://sandbox.api.high-mobility.com/v1",
  assertionIatSkew: 60,
  assertionMaxAge: 300,
  requirePkceForPublicClients: true,
  defaultCodeChallengeMethod: "S256",
  historyLimit: 10_000
}
