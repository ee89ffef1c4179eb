import { defineProject, mergeConfig } from "vitest/config"
import shared from "../../vitest.shared.js"

// One PostgreSQL server for the whole run (test/globalSetup.ts); each test file makes its own databases on it.
export default mergeConfig(
  shared,
  defineProject({ test: { name: "sql", globalSetup: [new URL("./test/globalSetup.ts", import.meta.url).pathname] } })
)
