/** A token handed out by a chaos node: to which grant, the token's digest, and the node's clock around the call. */
export interface Handout {
  readonly grantId: string
  readonly digest: string
  readonly before: number
  readonly after: number
  /** Whether the clock was moved during the call. */
  readonly moved: boolean
}

export declare const digest: (value: string) => string
export declare const line: (grantId: string, value: string, before: number, after: number, moved: boolean) => string
export declare const parse: (text: string) => ReadonlyArray<Handout>
