import type { SqlError } from "@effect/sql/SqlError"
import { TokenStore } from "@hm-oauth/core"

type Operation = TokenStore.TokenStoreError["operation"]
type Reason = TokenStore.TokenStoreError["reason"]

// SQLite result codes (better-sqlite3 and libsql name them alike) and PostgreSQL SQLSTATEs, by what a caller can do.
const sqliteReasons: Record<string, Reason> = {
  SQLITE_FULL: "Full",
  SQLITE_CORRUPT: "Corrupt",
  SQLITE_NOTADB: "Corrupt",
  SQLITE_BUSY: "Unavailable",
  SQLITE_LOCKED: "Unavailable",
  SQLITE_CANTOPEN: "Unavailable",
  SQLITE_IOERR: "Unavailable",
  SQLITE_READONLY: "Unavailable",
  SQLITE_PROTOCOL: "Unavailable"
}

const pgReason = (sqlState: string): Reason | undefined => {
  if (sqlState === "53100" || sqlState === "54000") return "Full" // disk_full, program_limit_exceeded
  // no such table, no such column, a column of another type
  if (sqlState === "42P01" || sqlState === "42703" || sqlState === "42804") return "Incompatible"
  if (sqlState === "XX001" || sqlState === "XX002") return "Corrupt" // data_corrupted, index_corrupted
  // connection exceptions, too many connections, shutdown or termination, serialization and lock failures
  if (/^(08|53|57|40|55P03)/.test(sqlState)) return "Unavailable"
  return undefined
}

const messageOf = (cause: unknown): string =>
  cause instanceof Error ? cause.message : typeof cause === "string" ? cause : "unknown failure"

const knownReason = (code: string | undefined, message: string): Reason | undefined => {
  if (code !== undefined) {
    // extended SQLite codes (SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_WRITE…) act as their primary code
    const sqlite = sqliteReasons[code] ?? sqliteReasons[code.replace(/_[A-Z]+$/, "")]
    if (sqlite !== undefined) return sqlite
    const pg = /^[0-9A-Z]{5}$/.test(code) ? pgReason(code) : undefined
    if (pg !== undefined) return pg
  }
  if (/no such (table|column)|has no column named/.test(message)) return "Incompatible"
  if (/database or disk is full/.test(message)) return "Full"
  if (/not a database|malformed/.test(message)) return "Corrupt"
  return undefined
}

/**
 * A driver's failure as the reason a caller acts on (`reason` is `undefined` when the failure says nothing the
 * caller can act on); the detail holds the driver's code and message, never a bound value.
 */
export const classify = (cause: unknown): { readonly reason: Reason | undefined; readonly detail: string } => {
  const code = codeOf(cause)
  const message = messageOf(cause)
  return { reason: knownReason(code, message), detail: code === undefined ? message : `${code}: ${message}` }
}

/** The driver's code of a failure, for the few places that must tell one apart (a lost race while migrating). */
export const codeOf = (cause: unknown): string | undefined => {
  if (typeof cause !== "object" || cause === null) return undefined
  const code = (cause as { readonly code?: unknown }).code
  return typeof code === "string" ? code : undefined
}

export const fromSqlError =
  (operation: Operation, grantId?: string) =>
  (error: SqlError): TokenStore.TokenStoreError => {
    const { detail, reason } = classify(error.cause)
    return new TokenStore.TokenStoreError({
      // sockets closed or refused, a terminated connection, a pool that gave up: the store is out of reach now
      reason: reason ?? "Unavailable",
      operation,
      detail,
      ...(grantId === undefined ? {} : { grantId })
    })
  }
