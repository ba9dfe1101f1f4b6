/**
 * e2e harness: build the app once with Vite's JS API (into a temp dir, reused while the sources are
 * unchanged), serve it from a tiny node:http static server on a free localhost port (a secure
 * context, so WebGPU can exist), and launch the system Chromium with puppeteer.
 */
import { afterAll, beforeAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import puppeteer, { type Browser, type Page } from 'puppeteer';

export const ROOT = resolve(import.meta.dirname, '../..');
export const ARTIFACTS = join(ROOT, 'artifacts');

/** Hash of everything the build reads (sources, shaders, index.html, config), by path + mtime + size. */
function sourceStamp(): string {
  const h = createHash('sha256');
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else h.update(`${p}:${st.mtimeMs}:${st.size}\n`);
    }
  };
  for (const d of ['src', 'shaders']) if (existsSync(join(ROOT, d))) walk(join(ROOT, d));
  for (const f of ['index.html', 'vite.config.ts', 'package.json']) {
    const st = statSync(join(ROOT, f));
    h.update(`${f}:${st.mtimeMs}:${st.size}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Build the app (once per source state; concurrent test files wait on a lock directory) and
 * return the output directory.
 */
export async function buildApp(): Promise<string> {
  const base = join(tmpdir(), 'policygrad-e2e');
  mkdirSync(base, { recursive: true });
  const stamp = sourceStamp();
  const out = join(base, `app-${stamp}`);
  const lock = join(base, `lock-${stamp}`);
  for (;;) {
    if (existsSync(join(out, 'index.html'))) return out;
    try {
      mkdirSync(lock);
      break;
    } catch {
      // another test file is building the same sources; a lock older than 5 min is stale
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* gone meanwhile */
      }
      await sleep(250);
    }
  }
  try {
    if (existsSync(join(out, 'index.html'))) return out;
    const tmp = `${out}.tmp-${process.pid}`;
    const { build } = await import('vite');
    await build({
      root: ROOT,
      configFile: join(ROOT, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: tmp, emptyOutDir: true, minify: false, sourcemap: false },
    });
    renameSync(tmp, out);
    // drop builds of older sources (an hour old: no running suite still serves them)
    for (const d of readdirSync(base)) {
      const p = join(base, d);
      if (p !== out && d.startsWith('app-') && Date.now() - statSync(p).mtimeMs > 3_600_000) rmSync(p, { recursive: true, force: true });
    }
    return out;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

/** Serve `dir` on 127.0.0.1 at a free port; returns the base URL (http://localhost:PORT). */
export async function serve(dir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = resolve(dir, `.${path}`);
    if (!file.startsWith(dir + sep) && file !== dir) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://localhost:${port}`, server };
}

export const CHROMIUM = '/usr/bin/chromium';

/** Launch headless Chromium with a fresh profile. `webgpu: false` leaves WebGPU off. */
export async function launch(opts: { webgpu?: boolean } = {}): Promise<{ browser: Browser; profile: string }> {
  const profile = mkdtempSync(join(tmpdir(), 'policygrad-chrome-'));
  const args = [
    '--headless=new',
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    `--user-data-dir=${profile}`,
  ];
  if (opts.webgpu !== false) args.push('--enable-unsafe-webgpu');
  else args.push('--disable-features=WebGPU');
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args, protocolTimeout: 180_000 });
  return { browser, profile };
}

export async function close(b: { browser: Browser; profile: string } | undefined): Promise<void> {
  if (!b) return;
  await b.browser.close();
  rmSync(b.profile, { recursive: true, force: true });
}

/** Collects console errors and page errors of a page (the tests assert there are none). */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const p = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: p as `${string}.png`, fullPage: true });
  return p;
}

/**
 * Evaluate in the page with a deep query through shadow roots: `q(sel…)` finds the first element
 * matching the last selector inside the shadow roots of the previous ones.
 */
export const DEEP = `
  window.__q = (...sels) => {
    let node = document;
    for (const s of sels) {
      const root = node.shadowRoot ?? node;
      node = root.querySelector(s);
      if (!node) return null;
    }
    return node;
  };
  window.__qa = (...sels) => {
    const last = sels.pop();
    const host = sels.length ? window.__q(...sels) : document;
    if (!host) return [];
    return Array.from((host.shadowRoot ?? host).querySelectorAll(last));
  };
`;

export { writeFileSync };

/** One built app, served on localhost, one headless Chromium and one page, for a whole test file. */
export interface BrowserPage {
  url: string;
  page: Page;
  /** console and page errors seen so far (tests assert there are none) */
  errors: string[];
}

/**
 * Register beforeAll/afterAll that build and serve the app, launch Chromium (WebGPU on unless
 * `webgpu: false`) and open a page with the deep-query helpers; `ready` receives them.
 */
export function useBrowserPage(ready: (c: BrowserPage) => void, opts: { webgpu?: boolean; width?: number; setup?: (page: Page) => Promise<void> } = {}): void {
  let server: Server | undefined;
  let b: Awaited<ReturnType<typeof launch>> | undefined;
  beforeAll(async () => {
    const dir = await buildApp();
    const served = await serve(dir);
    server = served.server;
    b = await launch({ webgpu: opts.webgpu });
    const page = await b.browser.newPage();
    await page.setViewport({ width: opts.width ?? 1400, height: 1000 });
    await page.evaluateOnNewDocument(DEEP);
    const errors = watchErrors(page);
    await opts.setup?.(page);
    ready({ url: served.url, page, errors });
  });
  afterAll(async () => {
    await close(b);
    server?.close();
  });
}
