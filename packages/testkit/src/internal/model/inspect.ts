/**
 * Reading the state: every listing walks an index kept in order (`issued`, `consentOrder`, the history, a family's
 * token list) and never sorts; a page looks at a bounded stretch of it, so no listing takes long.
 */
import { Option } from "effect"
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
import { get, type Log, scan, toArray } from "./log.js"
import * as records from "./records.js"
import { publicJwk } from "./signingKey.js"
import { tokenStatus } from "./tokenStatus.js"

/** How many slots of an index one page looks at, at most: a few milliseconds of work. */
const SCAN_SLOTS = 5_000
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
  records.consentOf(state, authorizationId)

export const consents = (state: State): ReadonlyArray<Consent> => toArray(state.consents)

export const consentPage = (state: State, query: ConsentQuery = {}): Page<Consent> =>
  page(state.consents, query, 0, (found) => {
    if (query.clientId !== undefined && found.clientId !== query.clientId) return undefined
    if (query.vin !== undefined && found.vin !== query.vin) return undefined
    return query.status === undefined || found.status === query.status ? found : undefined
  })

export const consent = (state: State, authorizationId: string): Option.Option<Consent> =>
  Option.fromNullable(consentById(state, authorizationId))

export const tokens = (state: State, now: number): ReadonlyArray<TokenView> =>
  toArray(state.tokens).map((found) => tokenView(state, now, found))

export const token = (state: State, now: number, handle: string): Option.Option<TokenView> => {
  const found = records.tokenByHandle(state, handle)
  return found === undefined ? Option.none() : Option.some(tokenView(state, now, found))
}

/**
 * A family's tokens still kept, in issue order (its refresh and access tokens merged by serial); with `newest`, only
 * that many of the newest, and whether older ones were left out. Only what is listed is looked at.
 */
const familyTokens = (
  state: State,
  handle: string,
  newest = Number.POSITIVE_INFINITY
): { readonly tokens: ReadonlyArray<AccessToken | RefreshToken>; readonly older: boolean } => {
  const known = records.familyTokensOf(state, handle)
  if (known === undefined) return { tokens: [], older: false }
  const refresh: Array<RefreshToken> = []
  let moreRefresh = false
  for (const value of known.refresh) {
    if (refresh.length >= newest) {
      moreRefresh = true
      break
    }
    const kept = records.tokenOf(state, value)
    if (kept?.kind === "refresh") refresh.push(kept)
  }
  const access: Array<AccessToken> = []
  let position = known.access.tail - 1
  for (; position >= known.access.head && access.length < newest; position--) {
    const value = get(known.access, position)
    const kept = value === undefined ? undefined : records.tokenOf(state, value)
    if (kept?.kind === "access") access.push(kept)
  }
  // both newest first: merged newest first, then turned to issue order
  const merged: Array<AccessToken | RefreshToken> = []
  let r = 0
  let a = 0
  while (merged.length < newest && (r < refresh.length || a < access.length)) {
    const takeRefresh = a >= access.length || (r < refresh.length && refresh[r]!.serial > access[a]!.serial)
    merged.push(takeRefresh ? refresh[r++]! : access[a++]!)
  }
  const older = r < refresh.length || a < access.length || moreRefresh || position >= known.access.head
  return { tokens: merged.reverse(), older }
}

/** The family a token listing is confined to by its filters, if any: its tokens are listed from its own index. */
const familyFilter = (state: State, query: TokenQuery): string | undefined => {
  if (query.family !== undefined) return query.family
  if (query.authorizationId === undefined) return undefined
  const found = consentById(state, query.authorizationId)
  const redeemed = found === undefined ? undefined : records.codeByHandle(state, found.code)?.code.redeemed
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
    return page(state.tokens, query, 1, keep)
  }
  const after = query.after ?? 0
  const limit = limitOf(query)
  const listed = familyTokens(state, family).tokens.filter((found) => found.serial > after)
  const items: Array<TokenView> = []
  for (const [index, found] of listed.entries()) {
    const kept = keep(found)
    if (kept !== undefined) items.push(kept)
    if (items.length === limit) return index + 1 < listed.length ? { items, next: found.serial } : { items }
  }
  return { items }
}

export const handleOf = (state: State, value: string): Option.Option<string> =>
  Option.fromNullable(records.handleOf(state, value))

const familyView = (state: State, now: number, family: Family, newest?: number): FamilyView => {
  const { tokens, older } = familyTokens(state, family.handle, newest)
  const lineage: ReadonlyArray<LineageTokenView> = tokens.map((found) => tokenView(state, now, found))
  return older ? patch(family, { lineage, olderTokens: true as const }) : patch(family, { lineage })
}

export const families = (state: State, now: number): ReadonlyArray<FamilyView> =>
  toArray(state.families).map((found) => familyView(state, now, found))

export const familyPage = (state: State, now: number, query: FamilyQuery = {}): Page<FamilyView> =>
  page(state.families, query, 1, (found) => {
    if (query.clientId !== undefined && found.clientId !== query.clientId) return undefined
    if (query.authorizationId !== undefined && found.authorizationId !== query.authorizationId) return undefined
    return familyView(state, now, found, query.lineage)
  })

export const history = (state: State): ReadonlyArray<HistoryEntry> => toArray(state.history)

export const historyPage = (state: State, query: PageQuery = {}): Page<HistoryEntry> =>
  page(state.history, query, 0, (entry) => entry)

export const issuedValues = (state: State): ReadonlyArray<string> => toArray(state.values)

export const counts = (state: State): Counts => ({
  consents: state.consents.count,
  codes: state.codes.count,
  tokens: state.tokens.count,
  families: state.families.count,
  history: state.history.count
})

export const signingPublicKey = (state: State) => publicJwk(state.signingKey)
