// The test projects: one per package. `vitest.config.ts` reads this list into `test.projects`.
export default ["packages/core", "packages/testkit"]
