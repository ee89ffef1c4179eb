/**
 * HTTP-date (RFC 9110 §5.6.7): the preferred IMF-fixdate and the two obsolete forms a recipient must still
 * accept, and nothing else. `Date.parse` would read `"abc 2099"` or `"Retry 12"` as dates.
 */
import { Option } from "effect"

const days = "(Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
const longDays = "(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
const monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
const months = `(${monthNames.join("|")})`
const time = "(\\d{2}):(\\d{2}):(\\d{2})"

/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const imfFixdate = new RegExp(`^${days}, (\\d{2}) ${months} (\\d{4}) ${time} GMT$`)
/** `Sunday, 06-Nov-94 08:49:37 GMT` */
const rfc850Date = new RegExp(`^${longDays}, (\\d{2})-${months}-(\\d{2}) ${time} GMT$`)
/** `Sun Nov  6 08:49:37 1994` */
const asctimeDate = new RegExp(`^${days} ${months} ([ \\d]\\d) ${time} (\\d{4})$`)

interface Parts {
  readonly year: number
  readonly month: string
  readonly day: string
  readonly hour: string
  readonly minute: string
  readonly second: string
}

/** RFC 9110: a two-digit year more than 50 years in the future is the most recent past year ending in those digits. */
const fullYear = (twoDigits: number, nowMillis: number): number => {
  const thisYear = new Date(nowMillis).getUTCFullYear()
  const year = Math.floor(thisYear / 100) * 100 + twoDigits
  return year > thisYear + 50 ? year - 100 : year
}

const parts = (value: string, nowMillis: number): Parts | undefined => {
  let match = imfFixdate.exec(value)
  if (match !== null) {
    const [, , day, month, year, hour, minute, second] = match
    return { year: Number(year), month: month!, day: day!, hour: hour!, minute: minute!, second: second! }
  }
  match = rfc850Date.exec(value)
  if (match !== null) {
    const [, , day, month, year, hour, minute, second] = match
    return {
      year: fullYear(Number(year), nowMillis),
      month: month!,
      day: day!,
      hour: hour!,
      minute: minute!,
      second: second!
    }
  }
  match = asctimeDate.exec(value)
  if (match !== null) {
    const [, , month, day, hour, minute, second, year] = match
    return { year: Number(year), month: month!, day: day!.trim(), hour: hour!, minute: minute!, second: second! }
  }
  return undefined
}

/** The instant of an HTTP-date in milliseconds since the epoch, if `value` is one and names a real time. */
export const parseHttpDate = (value: string, nowMillis: number): Option.Option<number> => {
  const found = parts(value, nowMillis)
  if (found === undefined) return Option.none()
  const month = monthNames.indexOf(found.month)
  const [day, hour, minute, second] = [found.day, found.hour, found.minute, found.second].map(Number) as [
    number,
    number,
    number,
    number
  ]
  // the grammar allows a leap second (60): it counts as the first second of the next minute
  if (hour > 23 || minute > 59 || second > 60) return Option.none()
  // setUTCFullYear, unlike Date.UTC, takes years below 100 as they are
  const dayStart = new Date(0).setUTCFullYear(found.year, month, day)
  // 31 Feb would roll over into March: not a date
  if (new Date(dayStart).getUTCDate() !== day) return Option.none()
  return Option.some(dayStart + ((hour * 60 + minute) * 60 + second) * 1000)
}
