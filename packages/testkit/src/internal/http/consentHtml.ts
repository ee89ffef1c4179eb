/**
 * The consent page's HTML: self-contained (no script, no external asset, one inline style sheet), every value
 * from the request or the state escaped, and headers that keep it out of caches and frames.
 */

/** Text safe in HTML content and in a quoted attribute. */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`)

/**
 * No script may run, nothing loads from elsewhere, no site may frame the page (a click on Approve must be the
 * owner's). No `form-action`: browsers apply it to the redirect after the post, which goes to the app.
 */
export const headers: Readonly<Record<string, string>> = {
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff"
}

const STYLE = `
body { font-family: system-ui, sans-serif; background: #f4f5f7; color: #1d1d1f; margin: 0; }
main { max-width: 34rem; margin: 2rem auto; background: #fff; border-radius: 8px; padding: 1.5rem 2rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1rem; margin-top: 1.5rem; }
fieldset { border: 1px solid #d2d2d7; border-radius: 6px; } label { display: block; margin: 0.4rem 0; }
code { font-size: 0.95em; } .actions { display: flex; gap: 0.5rem; margin-top: 1.5rem; }
button { font: inherit; padding: 0.5rem 1rem; border-radius: 6px; border: 1px solid #888; background: #fff; }
button[value=approve] { background: #0b57d0; border-color: #0b57d0; color: #fff; }
.note { color: #6e6e73; font-size: 0.85rem; margin-top: 1.5rem; }`

const document = (title: string, body: string): string =>
  `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">` +
  `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>` +
  `<style>${STYLE}</style></head><body><main>${body}</main></body></html>`

/** A refusal the owner reads: no redirect goes out with it. */
export const refusal = (problem: string): string =>
  document("Consent refused", `<h1>Consent refused</h1><p>${escapeHtml(problem)}</p>`)

/** What the consent form shows. */
export interface ConsentView {
  readonly clientId: string
  readonly appId: string | undefined
  /** The scopes the consent would grant; undefined when they cannot be known yet (no car registered). */
  readonly scopes: ReadonlyArray<string> | undefined
  readonly validFrom: number | undefined
  readonly validUntil: number | undefined
  /** The first registered cars; the first is chosen. */
  readonly vins: ReadonlyArray<string>
  /** How many more cars are registered than `vins` lists. */
  readonly moreVins: number
  readonly token: string
}

const instant = (millis: number | undefined, otherwise: string) =>
  millis === undefined
    ? otherwise
    : `<time datetime="${new Date(millis).toISOString()}">${escapeHtml(new Date(millis).toISOString())}</time>`

/** The owner panel's consent form: the app, the data, the validity, the car, and the three answers. */
export const consentForm = (view: ConsentView): string => {
  const app = `<strong>${escapeHtml(view.clientId)}</strong>${view.appId === undefined ? "" : ` (app <code>${escapeHtml(view.appId)}</code>)`}`
  const scopes =
    view.scopes === undefined
      ? "<p>The app's default data.</p>"
      : `<ul>${view.scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join("")}</ul>`
  const cars = view.vins
    .map(
      (vin, i) =>
        `<label><input type="radio" name="vin" value="${escapeHtml(vin)}"${i === 0 ? " checked" : ""}> <code>${escapeHtml(vin)}</code></label>`
    )
    .join("")
  const more = view.moreVins === 0 ? "" : `<p>${view.moreVins} more registered: type the VIN below.</p>`
  return document(
    "Grant access to your car",
    `<h1>Grant access to your car</h1><p>${app} asks for access to your car's data.</p>` +
      `<h2>Data</h2>${scopes}` +
      `<h2>Validity</h2><p>From ${instant(view.validFrom, "now")} until ${instant(view.validUntil, "you withdraw it")}.</p>` +
      `<form method="post" action="/oauth/new">` +
      `<input type="hidden" name="consent_token" value="${escapeHtml(view.token)}">` +
      `<fieldset><legend>Your car</legend>${cars}${more}` +
      `<label>${view.vins.length === 0 ? "VIN" : "Or another car's VIN"} ` +
      `<input type="text" name="other_vin" autocomplete="off" spellcheck="false"${view.vins.length === 0 ? " required" : ""}></label>` +
      `</fieldset><div class="actions">` +
      `<button type="submit" name="decision" value="approve">Approve</button>` +
      `<button type="submit" name="decision" value="pending">Approve later</button>` +
      `<button type="submit" name="decision" value="deny" formnovalidate>Deny</button>` +
      `</div></form><p class="note">A fake of High Mobility's owner panel: <code>hm-oauth-testkit</code>.</p>`
  )
}
