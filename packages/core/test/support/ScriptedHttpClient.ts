/**
 * An `HttpClient` that answers from a script and records every request as it went on the wire, so tests can
 * check both what core sends and what it makes of each answer. Built on the test kit's in-memory transport,
 * so answers arrive synchronously and time is the `TestClock`'s alone.
 */
import { HttpClient } from "@effect/platform"
import { FakeServer, InMemoryHttpClient } from "@hm-oauth/testkit"
import { Effect, Layer } from "effect"
import { HmOAuth, HmOAuthConfig } from "../../src/index.js"

/** A request as it left the client. */
export type Sent = InMemoryHttpClient.Incoming

/** One scripted answer. */
export type Reply =
  | {
      readonly status: number
      readonly json?: unknown
      readonly text?: string
      readonly headers?: Record<string, string>
    }
  | { readonly fail: "refused" | "reset" }
  | { readonly hang: true }

/** The script: answers in order (the last one repeats), or a function of the request and its number from 0. */
export type Script = ReadonlyArray<Reply> | ((sent: Sent, index: number) => Reply)

const toReply = (reply: Reply): Effect.Effect<FakeServer.Reply> => {
  if ("hang" in reply) return Effect.never
  if ("fail" in reply) return Effect.succeed(reply.fail === "refused" ? FakeServer.refused : FakeServer.connectionReset)
  if (reply.json !== undefined) return Effect.succeed(FakeServer.json(reply.status, reply.json, reply.headers))
  return Effect.succeed(FakeServer.response(reply.status, reply.text, reply.headers))
}

/** A scripted client and the list it records requests into. */
export const make = (script: Script) => {
  const sent: Array<Sent> = []
  const client = InMemoryHttpClient.make((incoming) => {
    const index = sent.push(incoming) - 1
    return toReply(typeof script === "function" ? script(incoming, index) : script[Math.min(index, script.length - 1)]!)
  })
  return { client, sent }
}

/** Options every test config starts from: a public client on the sandbox. */
export const baseOptions: HmOAuthConfig.Options = {
  clientId: "09ce38c6-5cd7-47b0-b271-235414e938c6"
}

/**
 * The three services over a scripted client, and the recorded requests. With `platform`, the scripted client is
 * wrapped in `HttpClient.make`, as undici's and fetch's clients are, so the platform's own span and abort handling
 * run as they would in production.
 */
export const layer = (script: Script, options: Partial<HmOAuthConfig.Options> = {}, transport?: "platform") => {
  const { client, sent } = make(script)
  const services = HmOAuth.layer.pipe(
    Layer.provide(HmOAuthConfig.layer({ ...baseOptions, ...options })),
    Layer.provide(
      Layer.succeed(
        HttpClient.HttpClient,
        transport === "platform" ? HttpClient.make((request) => client.execute(request)) : client
      )
    )
  )
  return { layer: Layer.orDie(services), sent }
}
