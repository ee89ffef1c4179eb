/**
 * The files `serve` reads and writes, each problem told as wrong usage (exit 2) naming the flag and the path.
 *
 * The demo key file is owned by one live server at a time: beside it, `FILE.lock` holds the owner's process id,
 * created exclusively before the server listens (so an unwritable place is told before a port is taken). A lock
 * whose process is gone is stale and taken over. The key itself is written once the server listens, whole (a
 * temporary file renamed over it), and removed with the lock when the server stops: its key dies with it.
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import { Effect, Either, type Scope } from "effect"
import { type CliFailure, usage } from "./command.js"

const reasonOf = (error: PlatformError): string => {
  if (error._tag === "BadArgument") return error.message
  switch (error.reason) {
    case "NotFound":
      return "no such file or folder"
    case "PermissionDenied":
      return "permission denied"
    default: {
      const code = error.cause instanceof Error && "code" in error.cause ? error.cause.code : undefined
      return typeof code === "string" ? code : error.reason
    }
  }
}

const isAlreadyExists = (error: PlatformError): boolean =>
  error._tag === "SystemError" && error.reason === "AlreadyExists"

/** The text of `--config FILE`. */
export const readConfig = (path: string): Effect.Effect<string, CliFailure, FileSystem.FileSystem> =>
  Effect.flatMap(FileSystem.FileSystem, (fs) =>
    fs
      .readFileString(path)
      .pipe(Effect.mapError((error) => usage(`--config ${path}: cannot read it: ${reasonOf(error)}`)))
  )

const cannotWrite = (path: string) => (error: PlatformError) =>
  usage(`--key-file ${path}: cannot write it: ${reasonOf(error)}`)

/** Whether a process runs: signal 0 sends nothing, and EPERM means it runs as another user. */
const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return error instanceof Error && "code" in error && error.code === "EPERM"
  }
}

/**
 * Claims the key file at `path` for this process until the scope closes; refused while the server that holds it
 * runs, whatever port either listens on.
 */
export const claimKeyFile = (path: string): Effect.Effect<void, CliFailure, FileSystem.FileSystem | Scope.Scope> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const lock = `${path}.lock`
    const create = fs.writeFileString(lock, `${process.pid}\n`, { flag: "wx" })
    const created = yield* Effect.either(create)
    if (Either.isLeft(created)) {
      if (!isAlreadyExists(created.left)) return yield* cannotWrite(path)(created.left)
      const owner = Number(yield* fs.readFileString(lock).pipe(Effect.orElseSucceed(() => "")))
      if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) {
        return yield* usage(
          `--key-file ${path} belongs to the server running as process ${owner}: stop it, or pass another --key-file`
        )
      }
      yield* fs.remove(lock).pipe(Effect.ignore)
      yield* create.pipe(
        Effect.mapError((error) =>
          isAlreadyExists(error)
            ? usage(`--key-file ${path} was claimed by another server just now`)
            : cannotWrite(path)(error)
        )
      )
    }
    yield* Effect.addFinalizer(() => fs.remove(lock).pipe(Effect.ignore))
  })

/** Writes the claimed key file whole, readable by its owner alone, and removes it when the scope closes. */
export const writeKeyFile = (
  path: string,
  contents: string
): Effect.Effect<void, CliFailure, FileSystem.FileSystem | Scope.Scope> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const temporary = `${path}.${process.pid}.tmp`
    yield* fs.remove(temporary).pipe(Effect.ignore)
    yield* fs.writeFileString(temporary, contents, { mode: 0o600, flag: "wx" }).pipe(Effect.mapError(cannotWrite(path)))
    yield* fs.rename(temporary, path).pipe(
      Effect.tapError(() => fs.remove(temporary).pipe(Effect.ignore)),
      Effect.mapError(cannotWrite(path))
    )
    yield* Effect.addFinalizer(() => fs.remove(path).pipe(Effect.ignore))
  })
