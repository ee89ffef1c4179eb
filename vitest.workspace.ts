// The test projects: one per package, and the examples. `vitest.config.ts` reads this list into `test.projects`.
export default ["packages/core", "packages/testkit", "examples"]
