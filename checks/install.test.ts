/**
 * The packages install as a user installs them: both are packed (their `prepack` builds them), the tarballs go
 * into a scratch project outside the workspace with Effect 3 beside them, from npm's cache where it can, and a
 * small program is type-checked there with `strict` and run. Effect must come out as one copy: the packages take
 * it as a peer. The scratch project is removed afterwards, whatever happened.
 */
import { execFile } from "node:child_process"
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const run = promisify(execFile)
const root = new URL("../", import.meta.url).pathname
const tsc = join(root, "node_modules/typescript/bin/tsc")

/** npm's own variables from the outer `npm test` would point the inner npm at this workspace. */
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)))

/** The versions the workspace is tested with, pinned. */
const peers = { effect: "3.22.4", "@effect/platform": "0.97.2", "@effect/platform-node": "0.108.2" }

describe("the packages", () => {
  it("pack, install from their tarballs into a scratch project, type-check a strict program there and run it", {
    timeout: 600_000
  }, async () => {
    const scratch = mkdtempSync(join(tmpdir(), "hm-oauth-install-"))
    try {
      await run("npm", ["pack", "--pack-destination", scratch, "-w", "packages/core", "-w", "packages/testkit"], {
        cwd: root,
        env
      })
      const tarballs = readdirSync(scratch).filter((name) => name.endsWith(".tgz"))
      const tarball = (name: string) => `file:./${tarballs.find((file) => file.startsWith(`hm-oauth-${name}-`))}`
      writeFileSync(
        join(scratch, "package.json"),
        JSON.stringify({
          name: "scratch",
          private: true,
          type: "module",
          dependencies: {
            "@hm-oauth/core": tarball("core"),
            "@hm-oauth/testkit": tarball("testkit"),
            ...peers,
            "@types/node": "20.19.43"
          }
        })
      )
      writeFileSync(
        join(scratch, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            target: "ES2022",
            module: "NodeNext",
            moduleResolution: "NodeNext",
            exactOptionalPropertyTypes: true,
            noUncheckedIndexedAccess: true,
            skipLibCheck: true,
            types: ["node"],
            outDir: "dist"
          },
          files: ["program.ts"]
        })
      )
      copyFileSync(new URL("install/program.ts", import.meta.url), join(scratch, "program.ts"))
      await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
        cwd: scratch,
        env
      })
      const { stdout: tree } = await run("npm", ["ls", "effect", "--all", "--parseable"], { cwd: scratch, env })
      expect(
        new Set(
          tree
            .trim()
            .split("\n")
            .filter((line) => line.endsWith("/effect"))
        )
      ).toEqual(new Set([join(scratch, "node_modules/effect")]))
      await run(process.execPath, [tsc, "-p", join(scratch, "tsconfig.json")], { cwd: scratch })
      const { stdout } = await run(process.execPath, [join(scratch, "dist/program.js")], { cwd: scratch })
      expect(JSON.parse(stdout)).toEqual({ vin: "WBA00000000000001", token: "<redacted>" })
    } finally {
      rmSync(scratch, { recursive: true, force: true })
    }
  })
})
