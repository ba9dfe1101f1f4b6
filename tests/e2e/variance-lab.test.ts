/**
 * Variance lab in a real browser, on twostate: the reference gradient shown equals the exact ∇J at
 * the frozen policy shown (checked here by an independent 2×2 Bellman solve); moving λ changes the
 * GAE histogram but no other estimator's (same rollouts); the bias²/variance curve over λ is not flat;
 * "▶ accumulate" plays the frames n = 1, 2, 4, … envs per group: the spread shrinks, the mean stays,
 * the last frame is the static histogram.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer';
import { screenshot, useBrowserPage } from './harness';

let url: string;
let page: Page;
let errors: string[];

useBrowserPage((c) => ({ url, page, errors } = c));

const V = (...sels: string[]) => ['pg-app', 'pg-variance-page', ...sels];

/** J of twostate with π(1|s) = σ(θ[s][1] − θ[s][0]), slip 0.1, end w.p. 0.25 per step, discount γ. */
function twostateJ(th: number[], gamma: number): number {
  const pi = [0, 1].map((s) => 1 / (1 + Math.exp(-(th[2 * s + 1] - th[2 * s]))));
  const r = [[1, 0], [0, 2]];
  const rp = [0, 1].map((s) => (1 - pi[s]) * r[s][0] + pi[s] * r[s][1]);
  const p1 = [0, 1].map((s) => pi[s] * 0.9 + (1 - pi[s]) * 0.1);
  const c = gamma * 0.75;
  const a00 = 1 - c * (1 - p1[0]), a01 = -c * p1[0], a10 = -c * (1 - p1[1]), a11 = 1 - c * p1[1];
  return (rp[0] * a11 - a01 * rp[1]) / (a00 * a11 - a01 * a10);
}

async function histos(): Promise<Record<string, number[]>> {
  return page.evaluate(
    (s) => Object.fromEntries(((window as any).__qa(...s) as any[]).map((h) => [h.dataset.kind, h.counts])),
    V('pg-histogram'),
  );
}

async function setLambda(v: string): Promise<void> {
  await page.evaluate(
    (s, val) => {
      const el = (window as any).__q(...s) as HTMLInputElement;
      el.value = val;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    },
    V('#lambda-slider'),
    v,
  );
  await page.waitForFunction((s, val) => ((window as any).__q(...s)?.heading ?? '').includes(`λ = ${Number(val)})`), { timeout: 30_000 }, V('pg-histogram[data-kind="gae"]'), v);
}

describe('variance lab', () => {
  it('twostate: reference = exact ∇J; λ moves only the GAE histogram; bias/variance vs λ', async () => {
    await page.goto(`${url}/?page=variance&env=twostate&gamma=0.9&lambda=0.2&numEnvs=256&varianceGroups=16&warmup=3`, { waitUntil: 'load' });
    await page.waitForFunction((s) => (window as any).__q(...s) !== null, {}, V('#sample'));
    await page.evaluate((s) => (window as any).__q(...s).click(), V('#sample'));
    await page.waitForFunction((s) => (window as any).__q(...s)?.dataset.state === 'ready', { timeout: 120_000, polling: 200 }, V('#vstatus'));

    const ref = await page.evaluate((s) => {
      const p = (window as any).__q(...s);
      return { actor: JSON.parse(p.dataset.actor), reference: JSON.parse(p.dataset.reference) };
    }, V('#reference'));
    expect(ref.actor).toHaveLength(4);
    const h = 1e-5;
    for (let j = 0; j < 4; j++) {
      const p = [...ref.actor];
      const m = [...ref.actor];
      p[j] += h;
      m[j] -= h;
      expect(ref.reference[j]).toBeCloseTo((twostateJ(p, 0.9) - twostateJ(m, 0.9)) / (2 * h), 5);
    }

    const before = await histos();
    expect(Object.keys(before).sort()).toEqual(['actor-critic', 'gae', 'reinforce', 'reinforce-baseline', 'reinforce-rtg']);
    for (const c of Object.values(before)) expect(c.reduce((a, b) => a + b, 0)).toBe(16);
    const sweep0 = await page.evaluate((s) => (window as any).__q(...s).plotData, V('#chart-sweep'));
    await setLambda('0.95');
    const after = await histos();
    const proj = await page.evaluate((s) => ((window as any).__q(...s) as any).stats.estimators.map((e: any) => [e.kind, Array.from(e.projections)]), V());
    expect(proj.length).toBe(5);
    // GAE changed, the others did not (same rollouts, common random numbers)
    expect(after.gae).not.toEqual(before.gae);
    for (const k of ['reinforce', 'reinforce-rtg', 'reinforce-baseline', 'actor-critic']) expect(after[k]).toEqual(before[k]);
    // the λ sweep: 11 points; bias² and variance vary with λ; GAE(λ=0) has the actor-critic's variance
    const [lams, bias2, vari] = sweep0 as number[][];
    expect(lams).toHaveLength(11);
    expect(new Set(bias2.map((x) => x.toPrecision(6))).size).toBeGreaterThan(5);
    expect(new Set(vari.map((x) => x.toPrecision(6))).size).toBeGreaterThan(5);
    const markers = await page.evaluate((s) => (window as any).__q(...s).markers.map((m: any) => m.x), V('#chart-sweep'));
    expect(markers).toEqual([0.95]);
    // bad λ: inline error, the shown results stay
    await page.evaluate((s) => {
      const input = (window as any).__q(...s).shadowRoot.querySelector('input');
      input.value = '2';
      input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    }, V('pg-field[name="lambda"]'));
    const err = await page.evaluate((s) => (window as any).__q(...s).error, V('pg-field[name="lambda"]'));
    expect(err).toBe('invalid lambda: 2 (allowed: a number 0 ≤ lambda ≤ 1)');
    expect((await histos()).gae).toEqual(after.gae);
    expect(errors).toEqual([]);
    await screenshot(page, 'variance-lab');
  });

  it('twostate: ▶ accumulate plays n = 1 … 32 envs per group; the spread shrinks ~1/√n, the mean stays, the last frame is the static view', async () => {
    await page.goto(`${url}/?page=variance&env=twostate&gamma=0.9&lambda=0.5&numEnvs=512&varianceGroups=16&warmup=2`, { waitUntil: 'load' });
    await page.waitForFunction((s) => (window as any).__q(...s) !== null, {}, V('#sample'));
    await page.evaluate((s) => (window as any).__q(...s).click(), V('#sample'));
    await page.waitForFunction((s) => (window as any).__q(...s)?.dataset.state === 'ready', { timeout: 120_000, polling: 200 }, V('#vstatus'));
    type H = { kind: string; n: string | undefined; values: number[]; counts: number[]; lo: number; hi: number; caption: string };
    const read = (): Promise<H[]> =>
      page.evaluate(
        (s) => ((window as any).__qa(...s) as any[]).map((h) => ({ kind: h.dataset.kind, n: h.dataset.n, values: [...h.values], counts: [...h.counts], lo: h.lo, hi: h.hi, caption: h.caption })),
        V('pg-histogram'),
      );
    const stat = await read();
    expect(stat.map((h) => h.values.length)).toEqual([16, 16, 16, 16, 16]);

    await page.evaluate((s) => (window as any).__q(...s).click(), V('#accumulate'));
    const ns = [1, 2, 4, 8, 16, 32];
    const seen: H[][] = [];
    for (const n of ns) {
      await page.waitForFunction((s, nn) => (window as any).__q(...s)?.dataset.n === String(nn), { timeout: 60_000, polling: 50 }, V('#frame-readout'), n);
      const hs = await read();
      for (const h of hs) expect(h.n).toBe(String(n));
      seen.push(hs);
    }
    await page.waitForFunction((s) => (window as any).__q(...s)?.dataset.state === 'ready', { timeout: 10_000 }, V('#frame-readout'));
    expect(await page.evaluate((s) => (window as any).__q(...s).textContent.trim(), V('#frame-readout'))).toBe('n = 32 envs per group (of 32)');
    const frames = await page.evaluate((s) => (window as any).__q(...s).frames.frames.map((f: any) => ({ n: f.n, traceCov: f.traceCov, meanU: f.meanU })), V());
    expect(frames.map((f: any) => f.n)).toEqual(ns);

    const sd = (v: number[]) => {
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
    };
    stat.forEach((st, k) => {
      const kind = st.kind;
      // one fixed x-range over all frames; each frame's counts are its values binned on it
      for (const hs of seen) {
        expect([hs[k].lo, hs[k].hi]).toEqual([seen[0][k].lo, seen[0][k].hi]);
        const w = (hs[k].hi - hs[k].lo) / 24;
        const c = new Array(24).fill(0);
        for (const v of hs[k].values) c[Math.min(23, Math.max(0, Math.floor((v - hs[k].lo) / w)))]++;
        expect(hs[k].counts, kind).toEqual(c);
      }
      // the last frame is the static histogram (same G groups, all their envs)
      expect(seen[5][k].values, kind).toEqual(st.values);
      // the spread of the G = 16 shown groups: 1 env vs 32 envs, √32 ≈ 5.7× narrower in theory
      expect(sd(seen[0][k].values), kind).toBeGreaterThan(2 * sd(seen[5][k].values));
      // tr Cov over numEnvs / n groups: ∝ 1/n, so it falls at every 4× step (n → 4n); the mean does not move
      for (let i = 0; i + 2 < ns.length; i++) expect(frames[i + 2].traceCov[kind], `${kind} n=${ns[i]}`).toBeLessThan(frames[i].traceCov[kind] / 2);
      for (const f of frames) expect(f.meanU[kind]).toBeCloseTo(frames[0].meanU[kind], 9);
      expect(seen[0][k].caption).toContain(`n = 1: mean·u = `);
    });
    // the slider picks a frame (and pauses)
    await page.evaluate((s) => {
      const el = (window as any).__q(...s) as HTMLInputElement;
      el.value = '0';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, V('#frame-slider'));
    await page.waitForFunction((s) => (window as any).__q(...s)?.dataset.n === '1', { timeout: 5_000 }, V('#frame-readout'));
    expect((await read()).map((h) => h.values)).toEqual(seen[0].map((h) => h.values));
    expect(errors).toEqual([]);
    await screenshot(page, 'variance-accumulate');

    // unequal groups (200 envs, G = 16): one visible message naming the field; the static view stays
    await page.goto(`${url}/?page=variance&env=twostate&numEnvs=200&varianceGroups=16&warmup=0`, { waitUntil: 'load' });
    await page.waitForFunction((s) => (window as any).__q(...s) !== null, {}, V('#sample'));
    await page.evaluate((s) => (window as any).__q(...s).click(), V('#sample'));
    await page.waitForFunction((s) => (window as any).__q(...s)?.dataset.state === 'ready', { timeout: 120_000, polling: 200 }, V('#vstatus'));
    const before = (await read()).map((h) => h.values);
    await page.evaluate((s) => (window as any).__q(...s).click(), V('#accumulate'));
    await page.waitForFunction((s) => (window as any).__q(...s) !== null, { timeout: 30_000 }, V('#frames-message'));
    expect(await page.evaluate((s) => (window as any).__q(...s).textContent.trim(), V('#frames-message'))).toBe('the accumulation frames need equal groups: env count 200 is not a multiple of groups G = 16');
    expect((await read()).map((h) => h.values)).toEqual(before);
  });

  it('twostate: cosine vs samples, read from the chart: every estimator’s cosine to ∇J and pairwise cosine rise with n', async () => {
    await page.goto(`${url}/?page=variance&env=twostate&gamma=1&varianceGroups=16&warmup=3`, { waitUntil: 'load' });
    await page.waitForFunction((s) => (window as any).__q(...s) !== null, {}, V('#cosine'));
    // a bad list: one inline error naming the field, nothing sent
    const setList = (v: string) => page.evaluate((s, val) => {
      const input = (window as any).__q(...s).shadowRoot.querySelector('input');
      input.value = val;
      input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    }, V('pg-field[name="samplesList"]'), v);
    await setList('0,64');
    expect(await page.evaluate((s) => (window as any).__q(...s).error, V('pg-field[name="samplesList"]'))).toBe('invalid samples list: "0,64" (allowed: a comma-separated list of 1–12 integers 1 ≤ n ≤ 16777216)');
    await setList('16,64,256,1024');
    await page.evaluate((s) => (window as any).__q(...s).click(), V('#cosine'));
    await page.waitForFunction((s) => (window as any).__q(...s)?.dataset.state === 'ready', { timeout: 180_000, polling: 250 }, V('#cstatus'));
    const { data, labels } = await page.evaluate((s) => {
      const c = (window as any).__q(...s);
      return { data: c.plotData as (number | null)[][], labels: c.series.map((x: any) => x.label) as string[] };
    }, V('#chart-cosine'));
    const kinds = ['reinforce', 'reinforce-rtg', 'reinforce-baseline', 'actor-critic', 'gae'];
    expect(labels).toEqual([...kinds.map((k) => `${k}: cos to ∇J`), ...kinds.map((k) => `${k}: pairwise`)]);
    // x: the mean state-action pairs per estimate, ≈ n (whole first episodes of 4 steps on average)
    const [x, ...ys] = data;
    expect(x).toHaveLength(4);
    [16, 64, 256, 1024].forEach((n, i) => expect(Math.abs((x[i] as number) / n - 1)).toBeLessThan(i === 0 ? 0.35 : 0.12));
    for (const y of ys) for (const v of y) if (v !== null) expect(Math.abs(v)).toBeLessThanOrEqual(1 + 1e-9);
    kinds.forEach((k, j) => {
      for (const y of [ys[j], ys[j + kinds.length]]) {
        const [first, last] = [y[0] ?? -1, y[3] as number];
        expect(last, `${k}: ${y}`).toBeGreaterThan(first);
      }
    });
    // the Monte-Carlo estimators are unbiased: at n = 1024 they point along ∇J
    for (const k of ['reinforce-rtg', 'reinforce-baseline']) expect(ys[kinds.indexOf(k)][3] as number, k).toBeGreaterThan(0.9);
    expect(errors).toEqual([]);
    await screenshot(page, 'variance-cosine');
  });
});
