/**
 * Reading the state: every listing walks an index kept in order (`issued`, `consentOrder`, the history, a family's
 * token list) and never sorts; a page looks at a bounded stretch of it, so no listing takes long.
 */
import { HashMap, Option } from "effect"
import type {
  AccessToken,
  Client,
  Consent,
  ConsentQuery,
  Counts,
  Family,
  FamilyQuery,
  FamilyView,
  HistoryEntry,
  LineageTokenView,
  Page,
  PageQuery,
  RefreshToken,
  State,
  Token,
  TokenQuery,
  TokenStatus,
  TokenView,
  Vehicle
} from "../../Model.js"
import { patch } from "./copy.js"
import { serialOf } from "./handles.js"
import { get, type Log, scan, size, toArray } from "./log.js"
import * as lookup from "./lookup.js"
import { publicJwk } from "./signingKey.js"
import { tokenStatus } from "./tokenStatus.js"

/** How many slots of an index one page looks at, at most: a few milliseconds of work. */
const SCAN_SLOTS = 20_000
const DEFAULT_LIMIT = 100
const MAX_LIMIT = 1000

const limitOf = (query: PageQuery): number => Math.min(MAX_LIMIT, Math.max(1, query.limit ?? DEFAULT_LIMIT))

/**
 * A page of `log` from the item after cursor `after`, of the items `select` keeps. A cursor is an item's serial (or
 * seq): its position plus `offset`.
 */
const page = <A, B>(log: Log<A>, query: PageQuery, offset: number, select: (item: A) => B | undefined): Page<B> => {
  const limit = limitOf(query)
  const items: Array<B> = []
  // a cursor is the last item's serial or seq: the next page starts at the slot after it
  const from = query.after === undefined ? log.head : query.after + 1 - offset
  const position = scan(log, from, SCAN_SLOTS, (item) => {
    const selected = select(item)
    if (selected !== undefined) items.push(selected)
    return items.length < limit
  })
  return position === undefined ? { items } : { items, next: position - 1 + offset }
}

const tokenView = <T extends Token>(state: State, now: number, token: T): T & { readonly status: TokenStatus } =>
  patch(token, { status: tokenStatus(state, now, token) })

export const client = (state: State, clientId: string): Option.Option<Client> =>
  Option.fromNullable(state.clients.get(clientId))

export const vehicles = (state: State): ReadonlyArray<Vehicle> => [...state.vehicles.values()]

const consentById = (state: State, authorizationId: string): Consent | undefined =>
  lookup.consentOf(state, authorizationId)

export const consents = (state: State): ReadonlyArray<Consent> =>
  toArray(state.consentOrder).flatMap((id) => consentById(state, id) ?? [])

export const consentPage = (state: State, query: ConsentQuery = {}): Page<Consent> =>
  page(state.consentOrder, query, 0, (id) => {
    const found = consentById(state, id)
    if (found === undefined) return undefined
    if (query.clientId !== undefined && found.clientId !== query.clientId) return undefined
    if (query.vin !== undefined && found.vin !== query.vin) return undefined
    return query.status === undefined || found.status === query.status ? found : undefined
  })

export const consent = (state: State, authorizationId: string): Option.Option<Consent> =>
  Option.fromNullable(consentById(state, authorizationId))

const tokenAt = (state: State, issued: { readonly kind: string; readonly key: string }): Token | undefined =>
  issued.kind === "token" ? lookup.tokenOf(state, issued.key) : undefined

export const tokens = (state: State, now: number): ReadonlyArray<TokenView> =>
  toArray(state.issued).flatMap((issued) => {
    const found = tokenAt(state, issued)
    return found === undefined ? [] : [tokenView(state, now, found)]
  })

export const token = (state: State, now: number, handle: string): Option.Option<TokenView> => {
  const serial = serialOf(handle, ["at", "rt", "cc"])
  const issued = serial === undefined ? undefined : get(state.issued, serial - 1)
  const found = issued === undefined ? undefined : tokenAt(state, issued)
  return found?.handle === handle ? Option.some(tokenView(state, now, found)) : Option.none()
}

/** A family's tokens still kept, in issue order. */
const familyTokens = (state: State, handle: string): ReadonlyArray<AccessToken | RefreshToken> => {
  const known = lookup.familyTokensOf(state, handle)
  if (known === undefined) return []
  const found: Array<AccessToken | RefreshToken> = []
  for (const value of known.tokens) {
    const kept = lookup.tokenOf(state, value)
    if (kept !== undefined && kept.kind !== "client_credentials") found.push(kept)
  }
  return found.reverse()
}

/** The family a token listing is confined to by its filters, if any: its tokens are listed from its own index. */
const familyFilter = (state: State, query: TokenQuery): string | undefined => {
  if (query.family !== undefined) return query.family
  if (query.authorizationId === undefined) return undefined
  const found = consentById(state, query.authorizationId)
  const code = found === undefined ? undefined : get(state.issued, (serialOf(found.code, ["code"]) ?? 0) - 1)
  const redeemed = code?.kind === "code" ? lookup.codeOf(state, code.key)?.redeemed : undefined
  // a consent never redeemed has no tokens: a family that cannot exist lists none
  return redeemed?.family ?? "fam#0"
}

export const tokenPage = (state: State, now: number, query: TokenQuery = {}): Page<TokenView> => {
  const keep = (found: Token): TokenView | undefined => {
    if (query.kind !== undefined && found.kind !== query.kind) return undefined
    if (query.clientId !== undefined && found.clientId !== query.clientId) return undefined
    const view = tokenView(state, now, found)
    return query.status === undefined || view.status === query.status ? view : undefined
  }
  const family = familyFilter(state, query)
  if (family === undefined) {
    return page(state.issued, query, 1, (issued) => {
      const found = tokenAt(state, issued)
      return found === undefined ? undefined : keep(found)
    })
  }
  const after = query.after ?? 0
  const limit = limitOf(query)
  const listed = familyTokens(state, family).filter((found) => found.serial > after)
  const items: Array<TokenView> = []
  for (const [index, found] of listed.entries()) {
    const kept = keep(found)
    if (kept !== undefined) items.push(kept)
    if (items.length === limit) return index + 1 < listed.length ? { items, next: found.serial } : { items }
  }
  return { items }
}

export const handleOf = (state: State, value: string): Option.Option<string> =>
  Option.fromNullable(lookup.handleOf(state, value))

const familyView = (state: State, now: number, family: Family, newest?: number): FamilyView => {
  const all = familyTokens(state, family.handle)
  const kept = newest === undefined || all.length <= newest ? all : all.slice(all.length - newest)
  const lineage: ReadonlyArray<LineageTokenView> = kept.map((found) => tokenView(state, now, found))
  return kept.length < all.length ? patch(family, { lineage, olderTokens: true as const }) : patch(family, { lineage })
}

export const families = (state: State, now: number): ReadonlyArray<FamilyView> =>
  toArray(state.issued).flatMap((issued) => {
    const found = issued.kind === "family" ? lookup.familyOf(state, issued.key) : undefined
    return found === undefined ? [] : [familyView(state, now, found)]
  })

export const familyPage = (state: State, now: number, query: FamilyQuery = {}): Page<FamilyView> =>
  page(state.issued, query, 1, (issued) => {
    const found = issued.kind === "family" ? lookup.familyOf(state, issued.key) : undefined
    if (found === undefined) return undefined
    if (query.clientId !== undefined && found.clientId !== query.clientId) return undefined
    if (query.authorizationId !== undefined && found.authorizationId !== query.authorizationId) return undefined
    return familyView(state, now, found, query.lineage)
  })

export const history = (state: State): ReadonlyArray<HistoryEntry> => toArray(state.history)

export const historyPage = (state: State, query: PageQuery = {}): Page<HistoryEntry> =>
  page(state.history, query, 0, (entry) => entry)

export const counts = (state: State): Counts => ({
  consents: HashMap.size(state.consents),
  codes: HashMap.size(state.codes),
  tokens: HashMap.size(state.tokens),
  families: HashMap.size(state.families),
  history: size(state.history)
})

export const signingPublicKey = (state: State) => publicJwk(state.signingKey)
