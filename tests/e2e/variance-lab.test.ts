/**
 * Variance lab in a real browser, on twostate: the reference gradient shown equals the exact ∇J at
 * the frozen policy shown (checked here by an independent 2×2 Bellman solve); moving λ changes the
 * GAE histogram but no other estimator's (same rollouts); the bias²/variance curve over λ is not flat.
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
});
