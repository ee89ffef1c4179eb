/**
 * `npm start` stays true: the built fleet walkthrough, at a small scale, onboards every car, approves the pending
 * consent, kills the withdrawn grant with its reason, survives a SIGKILL without losing a token, and prints no secret.
 */
import { execFile } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const program = fileURLToPath(new URL("./dist/fleet.js", import.meta.url))

/** The walkthrough's environment: none of the caller's HM_OAUTH_* settings. */
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("HM_OAUTH_")))

const run = (args: ReadonlyArray<string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [program, ...args], { env, timeout: 240_000 }, (_error, stdout, stderr) =>
      resolve({ code: child.exitCode, stdout, stderr })
    )
  })

/** The value of a summary row. */
const row = (stdout: string, label: string) =>
  stdout
    .split("\n")
    .find((line) => line.startsWith(`  ${label}  `))
    ?.slice(label.length + 2)
    .trim()

describe("the fleet walkthrough", () => {
  it("loses no token to a SIGKILL, approves the pending consent, kills the withdrawn grant, shows no secret", {
    timeout: 300_000
  }, async () => {
    const { code, stdout, stderr } = await run(["--cars", "12"])
    expect(stderr).toBe("")
    expect(code).toBe(0)
    expect(row(stdout, "cars onboarded")).toBe("12")
    expect(stdout).toContain("11 active, 1 pending (WBA00000000000012, BMW-style)")
    expect(stdout).toContain("event  Approved WBA00000000000012: consent approved")
    expect(row(stdout, "pending consent")).toBe("approved, then active")
    expect(stdout).toContain("event  Dead WBA00000000000001: ConsentRevoked")
    expect(row(stdout, "dead grants")).toBe("ConsentRevoked 1 (WBA00000000000001)")
    expect(stdout).toMatch(/crash {2}fleet-node-1 \(pid \d+\) killed with SIGKILL/)
    // after the restart every grant in the file answers: 11 valid tokens and the dead one
    expect(stdout).toContain("cycle 3: every grant     [##############################] 12/12")
    expect(stdout).toContain("11 valid; dead WBA00000000000001 (ConsentRevoked)")
    expect(row(stdout, "tokens lost in the crash")).toBe("0")
    expect(row(stdout, "families revoked by reuse")).toBe("0")
    // three cycles of 12 grants, the withdrawn one alive for the first; one refused refresh: the withdrawn consent
    expect(row(stdout, "renewals needed")).toMatch(/^34 /)
    expect(row(stdout, "refresh requests")).toMatch(/^\d+: \d+ answered, 1 refused$/)
    // no token (the fake's are UUIDs), no client secret; the walkthrough checked every value the fake issued
    expect(stdout).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/)
    expect(stdout).not.toContain("demo-web-secret")
    expect(stdout).toMatch(/\nno secret in this transcript \(checked against \d+ token values/)
    // the store's temporary directory is gone
    const store = /store {2}(\S+) \(SQLite/.exec(stdout)?.[1]
    expect(store).toBeDefined()
    expect(existsSync(store!)).toBe(false)
  })

  it("refuses a bad flag with its usage, exit 2", async () => {
    const { code, stderr } = await run(["--cars", "many"])
    expect(code).toBe(2)
    expect(stderr).toContain("usage: npm start -- [--cars N]")
  })
})
