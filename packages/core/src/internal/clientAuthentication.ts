/**
 * The body fields that authenticate the client at the token and revocation endpoints, built per attempt:
 * `client_id` always, then `client_secret`, or a freshly signed `client_assertion`, or nothing for a public app.
 */
import { Effect } from "effect"
import * as ClientAssertion from "../ClientAssertion.js"
import type { Fields } from "../HmHttpClient.js"
import type { HmOAuthConfig } from "../HmOAuthConfig.js"

/** An effect that yields the authentication fields, to run once per attempt. */
export const authenticationFields = (config: HmOAuthConfig["Type"]): Effect.Effect<Fields> => {
  const { authentication, clientId } = config
  switch (authentication._tag) {
    case "ClientSecret":
      return Effect.succeed({ client_id: clientId, client_secret: authentication.secret })
    case "ServiceAccount":
      return Effect.map(authentication.signer.sign(`${config.baseUrl}/v1`), (assertion) => ({
        client_id: clientId,
        client_assertion_type: ClientAssertion.assertionType,
        client_assertion: assertion
      }))
    case "None":
      return Effect.succeed({ client_id: clientId })
  }
}
