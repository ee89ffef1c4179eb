/** The whole catalogue, area by area, in the order a report lists it. */

import { clientAuthentication } from "./catalogue/clientAuthentication.js"
import { codeGrant } from "./catalogue/codeGrant.js"
import { refreshGrant } from "./catalogue/refresh.js"
import { revocation } from "./catalogue/revocation.js"
import { vehicleInfo } from "./catalogue/vehicleInfo.js"
import { wire } from "./catalogue/wire.js"
import type { Check } from "./check.js"
import { modelBased } from "./modelBased.js"

/** Every check of the kit, each id once; the model-based one last, as it covers what the others name. */
export const catalogue: ReadonlyArray<Check> = [
  ...codeGrant,
  ...refreshGrant,
  ...revocation,
  ...clientAuthentication,
  ...vehicleInfo,
  ...wire,
  modelBased
]
