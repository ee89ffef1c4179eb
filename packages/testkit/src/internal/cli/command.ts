/**
 * A small command line. Each command declares its flags once, in a table that drives
 * the parsing, the problem a bad command line is told, and the help. A flag is `--name VALUE` or `--name=VALUE`;
 * a value that begins with `-` must be written `--name=-1`, so that a forgotten value never swallows the next flag.
 * Help is plain text: no colours, whatever the terminal.
 */
import { Console, Data, Effect, Either, Option } from "effect"

/**
 * Why a command ends without success, and what to print on stderr: exit 2 for wrong usage (a flag, a configuration,
 * a port in use), 1 for a failure of the work itself.
 */
export class CliFailure extends Data.TaggedError("CliFailure")<{
  readonly exitCode: 1 | 2
  readonly text: string
}> {}

/** Wrong usage: exit 2. */
export const usage = (text: string): CliFailure => new CliFailure({ exitCode: 2, text })

/** How one value reads: its name in the help (`PORT`) and its decoding, which names the problem on failure. */
export interface Value<A> {
  readonly placeholder: string
  readonly decode: (text: string) => Either.Either<A, string>
}

/** Any text but the empty one. */
export const text = (placeholder: string): Value<string> => ({
  placeholder,
  decode: (given) => (given === "" ? Either.left("must not be empty") : Either.right(given))
})

/** A whole number in `min..max`, written in decimal. */
export const integer = (placeholder: string, min: number, max: number): Value<number> => ({
  placeholder,
  decode: (given) => {
    const value = Number(given)
    return /^-?\d+$/.test(given) && value >= min && value <= max
      ? Either.right(value)
      : Either.left(`expected an integer from ${min} to ${max}, got ${JSON.stringify(given)}`)
  }
})

/** A flag: what the help says of it, and how the values given on the command line read. */
export interface Flag<A> {
  /** The value's name in the help; none for a switch, which takes no value. */
  readonly placeholder: string | undefined
  readonly description: string
  /** The default the help shows, if the flag has one. */
  readonly shownDefault: string | undefined
  /** The values of every occurrence, in order: none, one, or several for a repeatable flag. */
  readonly read: (given: ReadonlyArray<string>) => Either.Either<A, string>
}

const once = <A>(value: Value<A>, given: ReadonlyArray<string>, absent: () => Either.Either<A, string>) => {
  if (given.length > 1) return Either.left("given more than once")
  const [first] = given
  return first === undefined ? absent() : value.decode(first)
}

/** A flag that may be left out: `undefined` then. */
export const optional = <A>(value: Value<A>, description: string): Flag<A | undefined> => ({
  placeholder: value.placeholder,
  description,
  shownDefault: undefined,
  read: (given) => once<A | undefined>(value, given, () => Either.right(undefined))
})

/** A flag with a default, shown in the help. */
export const withDefault = <A>(value: Value<A>, description: string, fallback: A): Flag<A> => ({
  placeholder: value.placeholder,
  description,
  shownDefault: String(fallback),
  read: (given) => once(value, given, () => Either.right(fallback))
})

/** A flag that must be given. */
export const required = <A>(value: Value<A>, description: string): Flag<A> => ({
  placeholder: value.placeholder,
  description: `${description} (required)`,
  shownDefault: undefined,
  read: (given) => once(value, given, () => Either.left("required"))
})

/** A flag that may be given any number of times: every value, in order. */
export const repeated = <A>(value: Value<A>, description: string): Flag<ReadonlyArray<A>> => ({
  placeholder: `${value.placeholder}…`,
  description: `${description} (repeatable)`,
  shownDefault: undefined,
  read: (given) => Either.all(given.map(value.decode))
})

/** A switch: true when given. */
export const toggle = (description: string): Flag<boolean> => ({
  placeholder: undefined,
  description,
  shownDefault: undefined,
  read: (given) => (given.length > 1 ? Either.left("given more than once") : Either.right(given.length === 1))
})

/** The values a table of flags reads into. */
export type Values<F extends Readonly<Record<string, Flag<unknown>>>> = {
  readonly [K in keyof F]: F[K] extends Flag<infer A> ? A : never
}

/** A command as the program dispatches it: its name and summary for the program's help, and its run. */
export interface Command<R> {
  readonly name: string
  readonly summary: string
  /** Runs the command with the arguments after its name; `program` is the executable's name, for messages. */
  readonly run: (program: string, args: ReadonlyArray<string>) => Effect.Effect<void, CliFailure, R>
}

/** What a command declares: its name, a summary line, its flags, notes for the help, and what it does. */
export interface Spec<F extends Readonly<Record<string, Flag<unknown>>>, R> {
  readonly name: string
  readonly summary: string
  readonly flags: F
  /** Paragraphs after the flags in the help, such as the exit codes. */
  readonly notes?: ReadonlyArray<string> | undefined
  readonly run: (values: Values<F>) => Effect.Effect<void, CliFailure, R>
}

const HELP = "help"

const column = (rows: ReadonlyArray<readonly [string, string]>): string => {
  const width = Math.max(...rows.map(([left]) => left.length))
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join("\n")
}

const flagHelp = (flags: Readonly<Record<string, Flag<unknown>>>): string =>
  column([
    ...Object.entries(flags).map(([name, flag]): readonly [string, string] => [
      flag.placeholder === undefined ? `--${name}` : `--${name} ${flag.placeholder}`,
      flag.shownDefault === undefined ? flag.description : `${flag.description} (default ${flag.shownDefault})`
    ]),
    ["--help, -h", "this help"]
  ])

/** What the arguments give each flag, and every problem with them; `help` when `--help` is among them. */
const tokenize = (
  flags: Readonly<Record<string, Flag<unknown>>>,
  args: ReadonlyArray<string>
): typeof HELP | { readonly given: ReadonlyMap<string, ReadonlyArray<string>>; readonly problems: Array<string> } => {
  const given = new Map<string, Array<string>>()
  const problems: Array<string> = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--help" || arg === "-h") return HELP
    if (!arg.startsWith("-")) {
      problems.push(`unexpected argument ${JSON.stringify(arg)}`)
      continue
    }
    const equals = arg.indexOf("=")
    const name = arg.startsWith("--") ? arg.slice(2, equals === -1 ? undefined : equals) : ""
    const inline = equals === -1 ? undefined : arg.slice(equals + 1)
    const flag = name !== "" && Object.hasOwn(flags, name) ? flags[name] : undefined
    if (flag === undefined) {
      problems.push(`unknown flag ${equals === -1 ? arg : arg.slice(0, equals)}`)
      // what follows an unknown flag is most likely its value, not an argument of its own
      if (inline === undefined && args[i + 1]?.startsWith("-") === false) i++
      continue
    }
    let value = inline
    if (flag.placeholder === undefined) {
      if (value !== undefined) problems.push(`--${name} takes no value`)
      value = ""
    } else if (value === undefined) {
      // the next argument, unless it is a flag: a forgotten value must not swallow the flag after it
      const next = args[i + 1]
      if (next === undefined || next.startsWith("-")) {
        problems.push(`--${name} needs a value (${flag.placeholder}; write --${name}=-1 for one that begins with -)`)
        // a negative number was meant as the value: one problem is enough
        if (next !== undefined && /^-\d/.test(next)) i++
        continue
      }
      value = next
      i++
    }
    given.set(name, [...(given.get(name) ?? []), value])
  }
  return { given, problems }
}

/**
 * Reads every flag of the table. The one place the values' type meets the table's: each key's value is what that
 * key's flag read, which is what `Values<F>` says of it.
 */
const readFlags = <F extends Readonly<Record<string, Flag<unknown>>>>(
  flags: F,
  given: ReadonlyMap<string, ReadonlyArray<string>>
): Either.Either<Values<F>, ReadonlyArray<string>> => {
  const values: Record<string, unknown> = {}
  const problems: Array<string> = []
  for (const [name, flag] of Object.entries(flags)) {
    Either.match(flag.read(given.get(name) ?? []), {
      onLeft: (problem) => problems.push(`--${name}: ${problem}`),
      onRight: (value) => {
        values[name] = value
      }
    })
  }
  return problems.length === 0 ? Either.right(values as Values<F>) : Either.left(problems)
}

/** A command from its declaration: `--help` prints its help on stdout; a bad command line fails with exit 2. */
export const make = <F extends Readonly<Record<string, Flag<unknown>>>, R>(spec: Spec<F, R>): Command<R> => {
  const help = (program: string) =>
    [
      `Usage: ${program} ${spec.name} [FLAGS]`,
      `${spec.summary.charAt(0).toUpperCase()}${spec.summary.slice(1)}.`,
      `Flags:\n${flagHelp(spec.flags)}`,
      ...(spec.notes ?? [])
    ].join("\n\n")
  const refuse = (program: string, problems: ReadonlyArray<string>) =>
    usage(
      [
        ...problems.map((problem) => `${program} ${spec.name}: ${problem}`),
        `(${program} ${spec.name} --help lists the flags)`
      ].join("\n")
    )
  return {
    name: spec.name,
    summary: spec.summary,
    run: (program, args) => {
      const tokens = tokenize(spec.flags, args)
      if (tokens === HELP) return Console.log(help(program))
      const read = readFlags(spec.flags, tokens.given)
      const problems = [...tokens.problems, ...Either.getLeft(read).pipe(Option.getOrElse(() => []))]
      if (problems.length > 0 || Either.isLeft(read)) return Effect.fail(refuse(program, problems))
      return Effect.mapError(
        spec.run(read.right),
        (failure) => new CliFailure({ exitCode: failure.exitCode, text: `${program} ${spec.name}: ${failure.text}` })
      )
    }
  }
}

/**
 * The program: runs the command named first. With no command it prints the help on stderr and exits 2; `--help`
 * prints it on stdout.
 */
export const program = <R>(options: {
  readonly name: string
  readonly summary: string
  readonly commands: ReadonlyArray<Command<R>>
}): ((args: ReadonlyArray<string>) => Effect.Effect<void, CliFailure, R>) => {
  const help = [
    `Usage: ${options.name} COMMAND [FLAGS]`,
    `${options.summary}.`,
    `Commands:\n${column(options.commands.map((command) => [command.name, command.summary]))}`,
    `${options.name} COMMAND --help lists a command's flags.`
  ].join("\n\n")
  return (args) => {
    const [first, ...rest] = args
    if (first === undefined) return Effect.fail(usage(help))
    if (first === "--help" || first === "-h") return Console.log(help)
    const command = options.commands.find((candidate) => candidate.name === first)
    if (command === undefined) {
      const names = options.commands.map((candidate) => candidate.name).join(", ")
      return Effect.fail(usage(`${options.name}: unknown command ${JSON.stringify(first)} (commands: ${names})`))
    }
    return command.run(options.name, rest)
  }
}
