/**
 * Starts the run's PostgreSQL server and stops it afterwards, whether the tests passed or not. A server that does not
 * start fails the run: the PostgreSQL tests never skip. Child processes find it in `HM_OAUTH_TEST_PG_URL`.
 */
import type { TestProject } from "vitest/node"
import { startPostgres } from "./support/postgres.mjs"

declare module "vitest" {
  export interface ProvidedContext {
    readonly postgresUrl: string
  }
}

export default async function setup(project: TestProject) {
  const server = await startPostgres()
  project.provide("postgresUrl", server.url)
  process.env.HM_OAUTH_TEST_PG_URL = server.url
  return () => server.stop()
}
