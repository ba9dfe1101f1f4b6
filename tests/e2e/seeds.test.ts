/**
 * Many seeds on the trainer page (headless Chromium, CPU engine, the bandit: one-step episodes, so
 * every update has returns): 2 estimators × 3 seeds. The return chart's data (not its pixels) hold,
 * per estimator, the mean across seeds and a ±1 standard-error band that equal a computation from the
 * per-seed rows of the exported CSV; "each seed" adds one curve per seed equal to its rows; the
 * health charts plot the mean; the seeds field is in the URL and a bad value is an inline error.
 * On WebGPU an estimator's seeds train as one batch (one rollout dispatch for all of them) and each
 * seed's rows are exactly those of that seed trained alone on the page.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer';
import { screenshot, useBrowserPage } from './harness';

let url: string;
let page: Page;
let errors: string[];

useBrowserPage((c) => ({ url, page, errors } = c));

const T = (...sels: string[]) => ['pg-app', 'pg-trainer-page', ...sels];
const state = () => page.evaluate((s) => (window as any).__q(...s)?.dataset.state ?? '', T('#status'));

/** 8 envs × 4 steps, 8 updates per run; no live estimator comparison (not under test here). */
const RUN = 'env=bandit&backend=cpu&numEnvs=8&numSteps=4&totalSteps=256&seed=1&varianceEvery=0&estimators=reinforce,ppo&seeds=3';

/** The page's CSV export as rows of named columns. */
async function csvRows(): Promise<Record<string, string>[]> {
  const csv: string = await page.evaluate((s) => (window as any).__q(...s).curvesCsv(), T());
  const [head, ...lines] = csv.trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

/** mean and standard error (sample sd / √n) of the finite values: the independent computation. */
function meanSe(v: number[]): { mean: number; se: number; n: number } {
  const xs = v.filter((x) => Number.isFinite(x));
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const se = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) / n) : NaN;
  return { mean, se, n };
}

async function chart(id: string) {
  return page.evaluate((s) => {
    const c = (window as any).__q(...s);
    return { data: c.plotData, labels: c.series.map((x: any) => x.label), bands: c.bands, heading: c.heading };
  }, T(id));
}

/** Start the page's run at `query` and wait until it is done; the exported rows. */
async function trainOnPage(query: string): Promise<{ rows: Record<string, string>[]; texts: string[] }> {
  await page.goto(`${url}/?page=trainer&${query}`, { waitUntil: 'load' });
  await page.waitForFunction((s) => (window as any).__q(...s) !== null, {}, T('#start'));
  await page.evaluate((s) => (window as any).__q(...s).click(), T('#start'));
  await page.waitForFunction((s) => ['done', 'error'].includes((window as any).__q(...s)?.dataset.state), { timeout: 150_000, polling: 250 }, T('#status'));
  expect(await state()).toBe('done');
  // every run trained on the WebGPU engine (headless Chromium: SwiftShader), not the CPU fallback
  const engines = await page.evaluate((s) => ((window as any).__qa(...s) as HTMLElement[]).map((d) => d.dataset.backend), T('#backends', 'div'));
  expect(engines.length).toBeGreaterThan(0);
  for (const b of engines) expect(b).toBe('gpu');
  const texts: string[] = await page.evaluate((s) => ((window as any).__qa(...s) as HTMLElement[]).map((d) => d.textContent ?? ''), T('#backends', 'div'));
  return { rows: await csvRows(), texts };
}

describe('trainer page: several seeds', () => {
  it('WebGPU: 2 seeds batched; each seed\'s rows are those of the seed trained alone', { timeout: 240_000 }, async () => {
    const GPU_RUN = 'env=cartpole&backend=gpu&numEnvs=16&numSteps=16&totalSteps=1024&hidden=16&epochs=2&minibatches=2&varianceEvery=0&estimators=ppo';
    const b = await trainOnPage(`${GPU_RUN}&seed=1&seeds=2`);
    // the two seeds shared one engine batch (one rollout dispatch for both)
    expect(b.texts.length).toBe(2);
    for (const t of b.texts) expect(t).toContain('2 seeds batched in one rollout');
    const a = await trainOnPage(`${GPU_RUN}&seed=2&seeds=1`);
    expect(a.texts[0]).not.toContain('batched');
    const batched = b.rows;
    const alone = a.rows;
    const { wallS: _w, sps: _s, seed: _seed, ...cols } = batched[0];
    const pick = (r: Record<string, string>) => Object.keys(cols).map((k) => r[k]);
    const seed2 = batched.filter((r) => r.seed === '2');
    expect(seed2.length).toBe(4);
    expect(alone.length).toBe(4);
    // the same run up to float rounding: the rollout kernel variant is timed per env count (32 envs in the
    // batch, 16 alone) and may differ, which moves log π in the last bits; counts and returns are exact
    seed2.forEach((r, k) => {
      const want = pick(alone[k]);
      pick(r).forEach((v, j) => {
        if (v === want[j]) return;
        const x = Number(v);
        const y = Number(want[j]);
        expect(Math.abs(x - y), `${Object.keys(cols)[j]} at row ${k}: ${v} vs ${want[j]}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(y)));
      });
    });
    for (const k of ['update', 'envSteps', 'episodes', 'episodicReturn', 'episodicLength']) expect(seed2.map((r) => r[k])).toEqual(alone.map((r) => r[k]));
    // and seed 1 is a different run
    expect(batched.filter((r) => r.seed === '1').map(pick)).not.toEqual(seed2.map(pick));
    expect(errors).toEqual([]);
  });


  it('2 estimators × 3 seeds: the mean line and the ±1 SE band are those of the exported per-seed rows', { timeout: 180_000 }, async () => {
    await page.goto(`${url}/?page=trainer&${RUN}`, { waitUntil: 'load' });
    await page.waitForFunction((s) => (window as any).__q(...s) !== null, {}, T('#start'));
    expect(new URL(page.url()).searchParams.get('seeds')).toBe('3');
    await page.evaluate((s) => (window as any).__q(...s).click(), T('#start'));
    await page.waitForFunction((s) => ['done', 'error'].includes((window as any).__q(...s)?.dataset.state), { timeout: 150_000, polling: 250 }, T('#status'));
    expect(await state()).toBe('done');
    const status: string = await page.evaluate((s) => (window as any).__q(...s).textContent, T('#status'));
    for (const a of ['reinforce', 'ppo']) for (const seed of [1, 2, 3]) expect(status).toContain(`${a} seed ${seed}: update 8 of 8`);
    // nothing lost: every seed's final checkpoint is autosaved under its own key (they once overwrote each other)
    const saved = await page.evaluate(
      () =>
        new Promise<{ key: string; seed: number; update: number; ckSeed: number }[]>((resolve, reject) => {
          const req = indexedDB.open('policygrad');
          req.onerror = () => reject(req.error);
          req.onsuccess = () => {
            const all = req.result.transaction('checkpoints').objectStore('checkpoints').getAll();
            all.onsuccess = () => resolve(all.result.map((r: any) => ({ key: r.key, seed: r.seed, update: r.update, ckSeed: JSON.parse(r.text).config.seed })));
            all.onerror = () => reject(all.error);
          };
        }),
    );
    for (const a of ['reinforce', 'ppo']) {
      for (const seed of [1, 2, 3]) expect(saved).toContainEqual({ key: `bandit-${a}-s${seed}`, seed, update: 8, ckSeed: seed });
    }

    const rows = await csvRows();
    expect(Object.keys(rows[0]).slice(0, 3)).toEqual(['estimator', 'seed', 'update']);
    expect(rows.length).toBe(2 * 3 * 8);
    const seedsOf = (a: string) => [...new Set(rows.filter((r) => r.estimator === a).map((r) => r.seed))];
    expect(seedsOf('reinforce')).toEqual(['1', '2', '3']);
    expect(seedsOf('ppo')).toEqual(['1', '2', '3']);
    // different seeds really trained differently
    const at = (a: string, seed: string, k: string) => rows.filter((r) => r.estimator === a && r.seed === seed).map((r) => r[k]);
    expect(at('ppo', '1', 'episodicReturn')).not.toEqual(at('ppo', '2', 'episodicReturn'));

    const ret = await chart('#chart-return');
    expect(ret.labels).toEqual(['reinforce (mean of 3 seeds)', 'ppo (mean of 3 seeds)']);
    expect(ret.heading).toContain('±1 standard error across seeds');
    const xs: number[] = ret.data[0];
    expect(xs).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((u) => u * 32));
    ['reinforce', 'ppo'].forEach((a, i) => {
      expect(ret.bands[i].series).toBe(i);
      xs.forEach((x, k) => {
        const vals = rows.filter((r) => r.estimator === a && Number(r.envSteps) === x).map((r) => (r.episodicReturn === '' ? NaN : Number(r.episodicReturn)));
        expect(vals.length).toBe(3);
        const { mean, se, n } = meanSe(vals);
        expect(n).toBe(3); // the bandit: every update finishes episodes in every seed
        expect(ret.data[i + 1][k]).toBeCloseTo(mean, 12);
        expect(ret.bands[i].lo[k]).toBeCloseTo(mean - se, 12);
        expect(ret.bands[i].hi[k]).toBeCloseTo(mean + se, 12);
      });
    });

    // a health chart: the mean across seeds per estimator
    const ent = await chart('#chart-entropy');
    expect(ent.labels).toEqual(['reinforce (mean across seeds)', 'ppo (mean across seeds)']);
    ['reinforce', 'ppo'].forEach((a, i) => {
      xs.forEach((x, k) => {
        const vals = rows.filter((r) => r.estimator === a && Number(r.envSteps) === x).map((r) => Number(r.entropy));
        expect(ent.data[i + 1][k]).toBeCloseTo(meanSe(vals).mean, 12);
      });
    });

    // "each seed": one dashed curve per seed after the means, equal to that seed's rows
    await page.evaluate((s) => {
      const box = (window as any).__q(...s);
      box.checked = true;
      box.dispatchEvent(new Event('change', { bubbles: true, composed: true }));
    }, T('#show-seeds', 'input'));
    await page.waitForFunction((s) => (window as any).__q(...s).series.length === 8, { timeout: 10_000 }, T('#chart-return'));
    const all = await chart('#chart-return');
    expect(all.labels.slice(2)).toEqual(['reinforce seed 1', 'reinforce seed 2', 'reinforce seed 3', 'ppo seed 1', 'ppo seed 2', 'ppo seed 3']);
    ['reinforce', 'ppo'].forEach((a, g) => {
      ['1', '2', '3'].forEach((seed, j) => {
        expect(all.data[3 + g * 3 + j]).toEqual(at(a, seed, 'episodicReturn').map((v) => (v === '' ? null : Number(v))));
      });
    });

    await screenshot(page, 'trainer-seeds');

    // a bad seeds value: an inline error naming the field and the allowed forms; Start starts nothing
    await page.evaluate((s) => {
      const input = (window as any).__q(...s).shadowRoot.querySelector('input');
      input.value = '1,1';
      input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    }, T('pg-field[name="seeds"]'));
    const err: string = await page.evaluate((s) => (window as any).__q(...s).error, T('pg-field[name="seeds"]'));
    expect(err).toMatch(/^invalid seeds: "1,1" \(allowed: a count N of 1–256 .*distinct integers/);
    await page.evaluate((s) => (window as any).__q(...s).click(), T('#start'));
    expect(await state()).toBe('done');
    expect(await page.evaluate((s) => (window as any).__q(...s).textContent, T('#message'))).toContain('Fix the highlighted fields');
    expect(errors).toEqual([]);
  });
});
