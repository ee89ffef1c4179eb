/** `npm run example:lifecycle` stays true: the built example walks the whole lifecycle against the fake and exits 0. */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const program = fileURLToPath(new URL("./dist/lifecycle.js", import.meta.url))

describe("the single-car lifecycle", () => {
  it("walks consent, exchange, vehicle info, refresh, revoke, refusal and client credentials, printing no token", async () => {
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("HM_OAUTH_")))
      const child = execFile(process.execPath, [program], { env, timeout: 30_000 }, (_error, stdout) =>
        resolve({ code: child.exitCode, stdout })
      )
    })
    expect(code).toBe(0)
    const steps = stdout.split("\n").filter((line) => /^\s*\d+\. /.test(line))
    expect(steps.map((line) => line.slice(4, 23).trim())).toEqual([
      "consent",
      "exchange code",
      "vehicle info",
      "refresh",
      "revoke",
      "vehicle info",
      "client credentials"
    ])
    expect(stdout).toContain("refused as expected: Unauthorized")
    // every token prints as <redacted>: no UUID-shaped value after the word "token"
    expect(stdout).not.toMatch(/token [0-9a-f]{8}-/)
    expect(stdout).toContain("done: 7 steps")
  })
})
