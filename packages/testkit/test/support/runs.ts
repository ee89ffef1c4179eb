/**
 * How big a property runs. Most properties take fast-check's global number of cases (100, or
 * HM_OAUTH_PROPERTY_RUNS as `vitest.setup.ts` applies it). A property whose cases are costly fixes a smaller
 * share here, so that the env var still scales every property alike.
 */
import { FastCheck as fc } from "effect"

const fastCheckDefaultRuns = 100

/** How many times the global setting exceeds fast-check's default: 1 unless HM_OAUTH_PROPERTY_RUNS says more. */
const scale = (): number => (fc.readConfigureGlobal().numRuns ?? fastCheckDefaultRuns) / fastCheckDefaultRuns

/** `base` cases at the default size, scaled with HM_OAUTH_PROPERTY_RUNS; at least one. */
export const propertyRuns = (base: number): number => Math.max(1, Math.round(base * scale()))

/** The options of a property running `base` cases at the default size; its time limit grows with it. */
export const sized = (base: number) => ({
  timeout: 60_000 * Math.max(1, scale()),
  fastCheck: { numRuns: propertyRuns(base) }
})
