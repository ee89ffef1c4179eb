/** The scopes a request asks for: all granted ones if it names none, undefined if it names one not granted. */
export const requestedScopes = (
  granted: ReadonlyArray<string>,
  requested: string | undefined
): ReadonlyArray<string> | undefined => {
  if (requested === undefined) return granted
  const names = requested.split(" ").filter((name) => name !== "")
  return names.every((name) => granted.includes(name)) ? names : undefined
}
