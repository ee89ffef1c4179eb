/** A running test server (see postgres.mjs). */
export interface Postgres {
  /** The `postgres` database's URL, as the superuser. */
  readonly url: string
  readonly port: number
  /** A fresh, empty database on this server, and its URL. */
  readonly createDatabase: (prefix?: string) => Promise<string>
  readonly stop: () => Promise<void>
}

export declare const startPostgres: (options?: {
  readonly durable?: boolean
  readonly log?: (line: string) => void
}) => Promise<Postgres>
