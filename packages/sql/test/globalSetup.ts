/**
 * Starts the run's PostgreSQL server, in a child process of its own (see support/postgres.mjs for why), and stops it
 * afterwards, whether the tests passed or not. A server that does not start fails the run: the PostgreSQL tests never
 * skip. Child processes of the tests find it in `HM_OAUTH_TEST_PG_URL`.
 */
import type { TestProject } from "vitest/node"
import { spawnPostgres } from "./support/postgres.mjs"

declare module "vitest" {
  export interface ProvidedContext {
    readonly postgresUrl: string
  }
}

export default async function setup(project: TestProject) {
  const server = await spawnPostgres()
  project.provide("postgresUrl", server.url)
  process.env.HM_OAUTH_TEST_PG_URL = server.url
  return async () => {
    await server.stop()
  }
}
