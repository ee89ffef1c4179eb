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

/** A server running in a child process (see postgres.mjs). */
export interface PostgresProcess {
  readonly url: string
  /** Resolves with the child's exit code (or the signal that ended it). */
  readonly exited: Promise<number | string | null>
  /** Closes the child's stdin: the server stops, its data directory goes; resolves once the child has exited. */
  readonly stop: () => Promise<number | string | null>
}

export declare const spawnPostgres: (options?: { readonly durable?: boolean }) => Promise<PostgresProcess>
