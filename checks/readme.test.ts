/**
 * Code in a README is code. Every `ts` block of the README files is written out as a module of its own,
 * type-checked with the project's strict settings, and a block that is a test (it imports a test runner) runs
 * here, as one of this file's tests. A block added to any section later is picked up the same way.
 */
import { execFile } from "node:child_process"
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const root = new URL("../", import.meta.url)
const out = new URL("build/readme/", import.meta.url)

/** The README files: the repository's and each package's. */
const readmes = [
  "README.md",
  ...readdirSync(new URL("packages/", root))
    .map((name) => `packages/${name}/README.md`)
    .filter((path) => {
      try {
        readFileSync(new URL(path, root))
        return true
      } catch {
        return false
      }
    })
]

interface Block {
  readonly readme: string
  /** The README line the block's first code line is on. */
  readonly line: number
  readonly code: string
  readonly file: string
}

const blocksOf = (readme: string): ReadonlyArray<Block> => {
  const lines = readFileSync(new URL(readme, root), "utf8").split("\n")
  const blocks: Array<Block> = []
  const slug = readme.replace(/\/?README\.md$/, "").replace(/[^A-Za-z0-9]+/g, "-") || "root"
  for (let index = 0; index < lines.length; index++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[index]!)) continue
    const start = index + 1
    let end = start
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++
    const code = lines.slice(start, end).join("\n")
    const test = /from "(@effect\/vitest|vitest)"/.test(code)
    blocks.push({ readme, line: start + 1, code, file: `${slug}-${blocks.length + 1}${test ? ".test" : ""}.ts` })
    index = end
  }
  return blocks
}

const blocks = readmes.flatMap(blocksOf)

// Written afresh each run, so a block removed from a README leaves nothing behind.
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
for (const block of blocks) writeFileSync(new URL(block.file, out), `${block.code}\n`)
writeFileSync(
  new URL("tsconfig.json", out),
  JSON.stringify({
    extends: "../../../tsconfig.base.json",
    include: ["*.ts"],
    compilerOptions: {
      rootDir: ".",
      noEmit: true,
      composite: false,
      declaration: false,
      declarationMap: false,
      incremental: false,
      // a README shows pieces of a program: what one block declares another may use
      noUnusedLocals: false
    }
  })
)

describe("the READMEs", () => {
  it("hold TypeScript blocks", () => {
    expect(blocks.length).toBeGreaterThan(0)
  })

  it("compile, every TypeScript block, with the project's strict settings", { timeout: 120_000 }, async () => {
    const tsc = new URL("node_modules/typescript/bin/tsc", root).pathname
    const run = await promisify(execFile)(process.execPath, [tsc, "-p", new URL("tsconfig.json", out).pathname], {
      cwd: out.pathname
    }).then(
      () => "",
      (error: { readonly stdout?: string }) => error.stdout ?? String(error)
    )
    // point each diagnostic at its README line
    const located = run.replace(/^(\S+?)\.ts\((\d+),(\d+)\)/gm, (found, file: string, line: string) => {
      const block = blocks.find((candidate) => candidate.file === `${file}.ts`)
      return block === undefined ? found : `${block.readme}:${block.line + Number(line) - 1}`
    })
    expect(located).toBe("")
  })
})

// The test blocks run as tests of this file.
for (const block of blocks.filter((candidate) => candidate.file.endsWith(".test.ts"))) {
  await import(new URL(block.file, out).href)
}
