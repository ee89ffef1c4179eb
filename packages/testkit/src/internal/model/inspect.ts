import { HashMap, Option } from "effect"
import type {
  Client,
  Consent,
  FamilyView,
  HistoryEntry,
  LineageTokenView,
  State,
  TokenView,
  Vehicle
} from "../../Model.js"
import { patch } from "./copy.js"
import * as lookup from "./lookup.js"
import { toArray } from "./queue.js"
import { publicJwk } from "./signingKey.js"
import { tokenStatus } from "./tokenStatus.js"

const bySerial = (a: { readonly serial: number }, b: { readonly serial: number }): number => a.serial - b.serial

export const client = (state: State, clientId: string): Option.Option<Client> =>
  Option.fromNullable(state.clients.get(clientId))

export const vehicles = (state: State): ReadonlyArray<Vehicle> => [...state.vehicles.values()]

export const consents = (state: State): ReadonlyArray<Consent> =>
  HashMap.toValues(state.consents).sort(
    (a, b) => a.createdAt - b.createdAt || a.authorizationId.localeCompare(b.authorizationId)
  )

export const consent = (state: State, authorizationId: string): Option.Option<Consent> =>
  HashMap.get(state.consents, authorizationId)

export const tokens = (state: State, now: number): ReadonlyArray<TokenView> =>
  HashMap.toValues(state.tokens)
    .sort(bySerial)
    .map((token) => patch(token, { status: tokenStatus(state, now, token) }))

export const token = (state: State, now: number, handle: string): Option.Option<TokenView> =>
  Option.fromNullable(tokens(state, now).find((candidate) => candidate.handle === handle))

export const handleOf = (state: State, value: string): Option.Option<string> =>
  Option.fromNullable(lookup.handleOf(state, value))

export const families = (state: State, now: number): ReadonlyArray<FamilyView> => {
  const lineages = new Map<string, Array<LineageTokenView>>()
  for (const view of tokens(state, now)) {
    if (view.kind === "client_credentials") continue
    const lineage = lineages.get(view.family)
    if (lineage === undefined) lineages.set(view.family, [view])
    else lineage.push(view)
  }
  return HashMap.toValues(state.families)
    .sort(bySerial)
    .map((family) => patch(family, { lineage: lineages.get(family.handle) ?? [] }))
}

export const history = (state: State): ReadonlyArray<HistoryEntry> => toArray(state.history)

export const signingPublicKey = (state: State) => publicJwk(state.signingKey)
