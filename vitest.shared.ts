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
    sequence: { concurrent: false }
  }
})
