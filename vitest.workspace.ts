// The test projects: one per package, the examples, the benchmarks' smoke run, and the checks of the READMEs and
// of the installed packages. `vitest.config.ts` reads this list into `test.projects`.
export default ["packages/core", "packages/testkit", "packages/sql", "examples", "bench", "checks"]
