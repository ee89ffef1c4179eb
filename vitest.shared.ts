import { defineConfig } from "vitest/config"

// Workspace packages export their TypeScript sources under the "source" condition,
// so tests run against `src/` without a build step.
const conditions = ["source", "import", "module", "node", "default"]

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: [new URL("./vitest.setup.ts", import.meta.url).pathname],
    sequence: { concurrent: false },
    // a bound for a hung test, not a speed check: properties and child processes take longer on a loaded 2-core CI box
    testTimeout: 30_000
  }
})
