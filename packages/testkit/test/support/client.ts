/**
 * The core client wired to a fresh in-memory fake server: what a user of the test kit writes, shared by the
 * client-level tests. Retries use a short exponential schedule without jitter so delays are exact.
 */
import {
  Credentials,
  HmOAuth,
  HmOAuthConfig,
  type Retry,
  type Revocation,
  type TokenEndpoint,
  type VehicleInfo
} from "@hm-oauth/core"
import { Layer, Schedule } from "effect"
import type * as FakeServer from "../../src/FakeServer.js"
import * as Testkit from "../../src/Testkit.js"
import { NATIVE, VIN, WEB } from "../fixtures.js"

export { NATIVE, VIN, WEB }

/** 100 ms, 200 ms, 400 ms: three retries, no jitter. */
export const exactRetries: Retry.RetrySchedule = Schedule.exponential("100 millis", 2).pipe(
  Schedule.intersect(Schedule.recurs(3))
)

/** Whose credentials the core client uses. */
export type As = "web" | "native"

const credentialsOf = (as: As) => (as === "web" ? Credentials.clientSecret(WEB.secret) : Credentials.none)

/** What a test gets: core's three services and the fake server's control service. */
export type Services =
  | TokenEndpoint.TokenEndpoint
  | Revocation.Revocation
  | VehicleInfo.VehicleInfo
  | FakeServer.FakeServer

/** Core's three services as `as`, plus `FakeServer`, over one fresh in-memory server. */
export const layer = (as: As = "web", server: FakeServer.Options = {}, config: Partial<HmOAuthConfig.Options> = {}) =>
  HmOAuth.layer.pipe(
    Layer.provide(
      HmOAuthConfig.layer({
        clientId: as === "web" ? WEB.id : NATIVE.id,
        credentials: credentialsOf(as),
        retrySchedule: exactRetries,
        ...config
      })
    ),
    Layer.provideMerge(Testkit.layer({ clients: [WEB, NATIVE], vehicles: [{ vin: VIN }], ...server })),
    Layer.orDie
  )
