/**
 * Property tests are deterministic: every run uses one seed, fixed unless HM_OAUTH_PROPERTY_SEED says otherwise,
 * and fast-check prints the seed and path of any failure so it replays exactly. HM_OAUTH_PROPERTY_RUNS sets the
 * number of cases of every property that does not fix its own.
 */
import { FastCheck } from "effect"

const seed = Number(process.env.HM_OAUTH_PROPERTY_SEED ?? 20261128)
const runs = process.env.HM_OAUTH_PROPERTY_RUNS === undefined ? undefined : Number(process.env.HM_OAUTH_PROPERTY_RUNS)

FastCheck.configureGlobal({ seed, ...(runs === undefined ? {} : { numRuns: runs }) })
