/**
 * The memory store passes the store contract, the suite every `TokenStore` runs against itself.
 */
import { TokenStore } from "@hm-oauth/core"
import * as TokenStoreContract from "@hm-oauth/testkit/TokenStoreContract"

TokenStoreContract.suite("TokenStore.layerMemory", TokenStore.layerMemory)
