/**
 * The memory store passes the store contract, the suite every `TokenStore` runs against itself.
 */

import * as TokenStoreContract from "@hm-oauth/testkit/TokenStoreContract"
import { TokenStore } from "../src/index.js"

TokenStoreContract.suite("TokenStore.layerMemory", TokenStore.layerMemory)
