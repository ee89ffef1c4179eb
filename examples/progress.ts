/**
 * A progress bar on one line: redrawn in place on a terminal; on anything else (a pipe, a CI log) written once, when
 * the work ends, so that a log holds no carriage returns.
 */
import { Effect } from "effect"

const width = 30

/** A count with thousands separators. */
export const count = (n: number) => n.toLocaleString("en-US")

/** A bar for the work `label` names, written with `write`. */
export const make = (label: string, write: (text: string) => void) => {
  const tty = process.stdout.isTTY === true
  let done = 0
  let total = 0
  const line = (note: string) => {
    const filled = total === 0 ? 0 : Math.round((width * done) / total)
    return `  ${label.padEnd(24)} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${count(done)}/${count(total)}${note}`
  }
  // on a terminal the bar is redrawn by returning to the start of its line; `ESC[2K` clears what was there
  const redraw = () => process.stdout.write(`\r\x1b[2K${line("")}`)
  return {
    /** The work has come this far. */
    update: (doneNow: number, totalNow: number) =>
      Effect.sync(() => {
        done = doneNow
        total = totalNow
        if (tty) redraw()
      }),
    /** A line printed above the bar. */
    above: (text: string) =>
      Effect.sync(() => {
        if (tty) process.stdout.write("\r\x1b[2K")
        write(`${text}\n`)
        if (tty) redraw()
      }),
    /** The bar's last state, with `note` after it. */
    end: (note = "") =>
      Effect.sync(() => {
        if (tty) process.stdout.write("\r\x1b[2K")
        write(`${line(note)}\n`)
      })
  }
}
