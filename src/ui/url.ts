/**
 * Page state in the URL query, so a view is shareable and survives a reload:
 *   ?page=trainer&env=cartpole&numEnvs=8&estimators=ppo,gae …
 * Config fields use their config.ts names; each page adds a few keys of its own. Values are
 * kept as text here and validated by the page through config.ts (never trusted, never rendered
 * as HTML).
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
