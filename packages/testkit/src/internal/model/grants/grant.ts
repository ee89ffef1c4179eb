import type { Client, State } from "../../../Model.js"
import type { Params, Reply } from "../wire.js"

/** One grant type of the token endpoint. */
export interface Grant {
  /** The parameters it needs besides `client_id` and `grant_type`, given the client if known. */
  readonly required: (params: Params, client: Client | undefined) => ReadonlyArray<string>
  /** Authenticates the client and exchanges the grant, once every required parameter is present. */
  readonly exchange: (state: State, now: number, client: Client, params: Params) => readonly [Reply, State]
}
