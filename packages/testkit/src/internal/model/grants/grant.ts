import type { Client, State } from "../../../Model.js"
import type { Params, Reply } from "../wire.js"

/** One grant type of the token endpoint: what it needs, whom it serves, and what it does once the client is known. */
export interface Grant {
  /** The parameters it needs besides `grant_type`, the client id and the client's credential. */
  readonly required: ReadonlyArray<string>
  /** Whether a public client (no secret, no key) may use it. */
  readonly publicClients: boolean
  /** Exchanges the grant for an authenticated client, once every required parameter is present. */
  readonly exchange: (state: State, now: number, client: Client, params: Params) => readonly [Reply, State]
}
