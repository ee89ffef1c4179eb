// The test projects: one per package, the examples, and the benchmarks' smoke run. `vitest.config.ts` reads this
// list into `test.projects`.
export default ["packages/core", "packages/testkit", "packages/sql", "examples", "bench", "checks"]
