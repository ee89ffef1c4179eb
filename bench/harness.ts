/**
 * Runs contenders side by side in one process: warm-up rounds first, then measured rounds in which every
 * contender runs once, so the machine's noise falls on all of them alike. Each round gives one figure per
 * contender (e.g. µs per request over the round); a contender is summed up by the median and p90 of its figures,
 * and compared to a baseline by the median of its per-round ratios.
 */

/** One way of doing the benchmark's work. */
export interface Contender {
  readonly name: string
  /**
   * What work it does, when a benchmark measures more than one kind (e.g. two request paths): a contender is
   * compared only with the baselines of its own group, found by name there.
   */
  readonly group?: string
  /** Runs one round of `perRound` units of work and returns the round's figure in the benchmark's unit. */
  readonly round: (perRound: number) => Promise<number>
}

/** How long a benchmark runs. `perRound` counts the benchmark's unit of work: requests, operations, seconds… */
export interface Settings {
  readonly rounds: number
  readonly warmupRounds: number
  readonly perRound: number
}

/** One contender's figures. */
export interface Summary {
  readonly name: string
  readonly group?: string
  readonly median: number
  readonly p90: number
  /**
   * Per baseline of its group: the median over rounds of this contender's figure divided by the baseline's in the
   * same round.
   */
  readonly ratios: Readonly<Record<string, number>>
  /** The figure of each measured round, in order. */
  readonly samples: ReadonlyArray<number>
}

/** How to run a benchmark: for how long, and optionally only some of its contenders. */
export interface RunOptions {
  readonly settings: Settings
  /** Names of the contenders to run; all when absent. Baselines left out lose their ratio column. */
  readonly only?: ReadonlyArray<string> | undefined
}

/** What a benchmark hands to the report. */
export interface Comparison {
  readonly settings: Settings
  readonly baselines: ReadonlyArray<string>
  readonly contenders: ReadonlyArray<Summary>
  /** What the table cannot show: the size a server grew to, answers that were not counted, target verdicts… */
  readonly notes?: ReadonlyArray<string>
}

/** A benchmark: its name on the command line, what it measures, and how to run it. */
export interface Benchmark {
  readonly name: string
  /** One line: what is measured, and how. */
  readonly title: string
  /** The unit of a figure, e.g. `µs/req`. */
  readonly unit: string
  /** For a unit of µs per something: the rate per second that the table shows next to the median, e.g. `req/s`. */
  readonly rate?: string
  /** What `perRound` counts, e.g. `requests`. */
  readonly perRoundUnit: string
  readonly settings: { readonly full: Settings; readonly smoke: Settings }
  /** Sets up, runs `compare`, tears down. */
  readonly run: (options: RunOptions) => Promise<Comparison>
}

/** How a contender is named in a table: its group first, if it has one. */
export const label = (contender: { readonly name: string; readonly group?: string }): string =>
  contender.group === undefined ? contender.name : `${contender.group} · ${contender.name}`

/** Runs the contenders interleaved round by round and sums them up; each baseline must name a contender. */
export const compare = async (
  all: ReadonlyArray<Contender>,
  { only, settings }: RunOptions,
  allBaselines: ReadonlyArray<string>
): Promise<Comparison> => {
  const names = all.map((contender) => contender.name)
  const unknown = [...allBaselines, ...(only ?? [])].filter((name) => !names.includes(name))
  if (unknown.length > 0) throw new Error(`no contender named ${unknown.join(", ")}; contenders: ${names.join(", ")}`)
  const contenders = only === undefined ? all : all.filter((contender) => only.includes(contender.name))
  const baselines = allBaselines.filter((baseline) => only === undefined || only.includes(baseline))
  const samples = contenders.map((): Array<number> => [])
  for (let round = 0; round < settings.warmupRounds + settings.rounds; round++) {
    const figures = await runRound(contenders, round, settings.perRound)
    if (round < settings.warmupRounds) continue
    for (const [index, figure] of figures.entries()) samples[index]!.push(figure)
  }
  const samplesOf = (name: string, group: string | undefined) =>
    samples[contenders.findIndex((contender) => contender.name === name && contender.group === group)]
  return {
    settings,
    baselines,
    contenders: contenders.map((contender, index) => {
      const own = samples[index]!
      const ratios = baselines.flatMap((baseline) => {
        const theirs = samplesOf(baseline, contender.group)
        return theirs === undefined ? [] : [[baseline, pairedRatio(own, theirs)] as const]
      })
      return {
        name: contender.name,
        ...(contender.group === undefined ? {} : { group: contender.group }),
        median: median(own),
        p90: quantile(own, 0.9),
        ratios: Object.fromEntries(ratios),
        samples: own
      }
    })
  }
}

/** Runs every contender once, starting one further along each round so that none always follows the same one. */
const runRound = async (
  contenders: ReadonlyArray<Contender>,
  round: number,
  perRound: number
): Promise<ReadonlyArray<number>> => {
  const figures: Array<number> = []
  for (let step = 0; step < contenders.length; step++) {
    const index = (round + step) % contenders.length
    figures[index] = await contenders[index]!.round(perRound)
  }
  return figures
}

/** Runs `operation` `count` times one after the other and returns the mean time of one run, in µs. */
export const microsPerRun = async (count: number, operation: () => Promise<unknown>): Promise<number> => {
  const start = performance.now()
  for (let run = 0; run < count; run++) await operation()
  return ((performance.now() - start) * 1000) / count
}

/** The `q` quantile with linear interpolation between the closest ranks. */
export const quantile = (values: ReadonlyArray<number>, q: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const position = (sorted.length - 1) * q
  const below = Math.floor(position)
  const above = Math.ceil(position)
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below)
}

/** The median, which one noisy round cannot drag the way it drags a mean. */
export const median = (values: ReadonlyArray<number>): number => quantile(values, 0.5)

/** Ratios are taken round by round, where both figures met the same machine noise. */
const pairedRatio = (values: ReadonlyArray<number>, baseline: ReadonlyArray<number>): number =>
  median(values.map((value, round) => value / baseline[round]!))
