/**
 * Page state in the URL query, so a view is shareable and survives a reload:
 *   ?page=trainer&env=cartpole&numEnvs=8&estimators=ppo,gae …
 * Config fields use their config.ts names; each page adds a few keys of its own. Values are
 * kept as text here and validated by the page through config.ts (never trusted, never rendered
 * as HTML). The trainer writes its whole configuration (`pageParams`), not only what differs from
 * its defaults, so a shared link means the same run even after the defaults or presets change.
 */
export const PAGES = ['trainer', 'variance', 'tiny', 'bench'] as const;
export type Page = (typeof PAGES)[number];

export interface UrlState {
  page: Page;
  /** every other query key, as text */
  params: Record<string, string>;
}

export function readUrl(search: string = location.search): UrlState {
  const q = new URLSearchParams(search);
  const p = q.get('page') ?? 'trainer';
  const page = (PAGES as readonly string[]).includes(p) ? (p as Page) : 'trainer';
  const params: Record<string, string> = {};
  for (const [k, v] of q) if (k !== 'page') params[k] = v;
  return { page, params };
}

export function urlFor(state: UrlState): string {
  const q = new URLSearchParams();
  q.set('page', state.page);
  for (const [k, v] of Object.entries(state.params)) q.set(k, v);
  return `${location.pathname}?${q.toString()}`;
}

/** Replace the current history entry (form edits) or push a new one (page changes). */
export function writeUrl(state: UrlState, push = false): void {
  const url = urlFor(state);
  if (url === `${location.pathname}${location.search}`) return;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

/** A page's params in its own key order: every key of `keys` that `texts` has (the whole configuration). */
export function pageParams(texts: Record<string, string | undefined>, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) if (texts[k] !== undefined) out[k] = texts[k];
  return out;
}

/** The URL keys a page does not know (reported to the user, never applied). */
export function unknownParams(params: Record<string, string>, keys: readonly string[]): string[] {
  return Object.keys(params).filter((k) => !keys.includes(k));
}
