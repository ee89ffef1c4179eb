/**
 * Servers under load run in a child process, so that serving never takes turns with the measured client on one
 * event loop. The child listens on 127.0.0.1, port 0, and reports the port it got over the IPC channel.
 */
import { fork } from "node:child_process"
import { once } from "node:events"
import { fileURLToPath } from "node:url"

/** A server running in a child process. */
export interface ChildServer {
  readonly port: number
  readonly stop: () => Promise<void>
}

/** Forks the module at `moduleUrl` (which calls `announcePort`) and waits for its port. */
export const forkServer = async (moduleUrl: URL, args: ReadonlyArray<string> = []): Promise<ChildServer> => {
  // No inherited flags: a parent run under `--cpu-prof` or `--expose-gc` must not change the server.
  const child = fork(fileURLToPath(moduleUrl), args, { execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] })
  const port = await new Promise<number>((resolve, reject) => {
    const exited = (code: number | null) => reject(new Error(`server ${moduleUrl} exited with ${code}`))
    child.once("exit", exited)
    child.once("message", (message) => {
      child.off("exit", exited)
      resolve((message as { readonly port: number }).port)
    })
  })
  return {
    port,
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = once(child, "exit")
      child.disconnect()
      await exited
    }
  }
}

/** In the child: reports the port to the parent, and ends when the parent goes away, even when it crashed. */
export const announcePort = (port: number): void => {
  process.on("disconnect", () => process.exit(0))
  process.send!({ port })
}
