/**
 * Tiny-MDP lab in a real browser: the exact gradient shown equals the analytic bandit gradient
 * ∂J/∂z₁ = p(1−p)(p₁−p₀) for the slider setting, the microscope rows multiply out
 * (γ^t · score · Ψ = product, and the rows sum to the trajectory estimate), and the mean of many
 * samples lands near the exact gradient. Independent references: the closed form of the bandit and,
 * for twostate, the 2×2 Bellman solve done here in the test; for the corridor the hand-solved
 * J(p) = −(4 − 2p)/(p(1 − p)) and its maximum 2 − √2; for the seed's bandit J = p, dJ/dθ = p(1 − p).
 * The error chart's log axes read as magnitudes (1, 10, 100, 1k; 0.01, 1e-4), never "0".
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer';
import { screenshot, useBrowserPage } from './harness';

let url: string;
let page: Page;
let errors: string[];

useBrowserPage((c) => ({ url, page, errors } = c), { width: 1440 });

async function tinyValues(sel: string): Promise<number[]> {
  return page.evaluate((s) => JSON.parse((window as any).__q('pg-app', 'pg-tiny-page', s)?.dataset.values ?? '[]'), sel);
}

/** The tick labels the error chart draws on its x (0) and y (1) axes, once it has drawn them. */
async function errorAxes(): Promise<[string[], string[]]> {
  await page.waitForFunction(() => ((window as any).__q('pg-app', 'pg-tiny-page', '#chart-error')?.axisLabels(1) ?? []).length > 0);
  return page.evaluate((): [string[], string[]] => {
    const c = (window as any).__q('pg-app', 'pg-tiny-page', '#chart-error');
    return [c.axisLabels(0), c.axisLabels(1)];
  });
}

/** A log-axis label back to its number: "1k" → 1000, "1e-4" → 0.0001 (NaN if it is not one). */
function tickValue(s: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e-\d+)?)([kMGT]?)$/.exec(s);
  return m ? Number(m[1]) * ({ '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 } as Record<string, number>)[m[2]] : NaN;
}

/**
 * Labels of a log axis: every one a power of ten > 0 as a number, ascending (uPlot may skip decades
 * when they are crowded, so consecutive labels are 10^k apart, k ≥ 1).
 */
function expectDecades(labels: string[]): void {
  expect(labels.length).toBeGreaterThanOrEqual(2);
  const v = labels.map(tickValue);
  for (const x of v) {
    expect(x).toBeGreaterThan(0);
    expect(Math.log10(x)).toBeCloseTo(Math.round(Math.log10(x)), 9);
  }
  for (let i = 1; i < v.length; i++) expect(Math.round(Math.log10(v[i] / v[i - 1]))).toBeGreaterThanOrEqual(1);
}

describe('tiny-MDP lab', () => {
  it('bandit: exact gradient equals p(1−p)(r₁−r₀) for the slider setting', async () => {
    await page.goto(`${url}/?page=tiny&env=bandit&p0=0.3&n=400`, { waitUntil: 'load' });
    await page.waitForFunction(() => (window as any).__q('pg-app', 'pg-tiny-page', '#exact-grad') !== null);
    let g = await tinyValues('#exact-grad');
    const analytic = (p: number) => p * (1 - p) * (0.8 - 0.2);
    expect(g[1]).toBeCloseTo(analytic(0.3), 6);
    expect(g[0]).toBeCloseTo(-analytic(0.3), 6);
    // Move the slider: the shown gradient follows.
    await page.evaluate(() => {
      const el = (window as any).__q('pg-app', 'pg-tiny-page', '#p0') as HTMLInputElement;
      el.value = '0.7';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.waitForFunction(() => (window as any).__q('pg-app', 'pg-tiny-page', '#p0-value')?.textContent === '0.7');
    g = await tinyValues('#exact-grad');
    expect(g[1]).toBeCloseTo(analytic(0.7), 6);
    // The URL holds the setting (shareable).
    expect(new URL(page.url()).searchParams.get('p0')).toBe('0.7');
    // Mean of 400 sampled estimates is within 4 standard errors of the exact value:
    // per-trajectory ĝ₁ = (a − p)·r, Var ≤ E[r²] ≤ 1 → SE ≤ 1/√400 = 0.05.
    const m = await tinyValues('#mean-grad');
    expect(Math.abs(m[1] - analytic(0.7))).toBeLessThan(0.2);
    // the estimate converges: the error of the mean over 400 samples is below that of 1 sample
    const conv = await page.evaluate(() => (window as any).__q('pg-app', 'pg-tiny-page', 'pg-chart').plotData);
    expect(conv[0][0]).toBe(1);
    expect(conv[0][conv[0].length - 1]).toBe(400);
    expect(conv[1][conv[1].length - 1]).toBeLessThan(conv[1][0] / 3);
    // the log axes read as magnitudes: n from 1 to 400 on 1 … 1k
    const [xTicks, yTicks] = await errorAxes();
    expect(xTicks).toEqual(['1', '10', '100', '1k']);
    expectDecades(yTicks);
    await screenshot(page, 'tiny-bandit');
  });

  it('twostate: exact gradient matches a Bellman solve; the microscope rows multiply out', async () => {
    await page.goto(`${url}/?page=tiny&env=twostate&p0=0.4&p1=0.6&gamma=0.9&psi=reinforce-rtg&n=30&traj=3`, { waitUntil: 'load' });
    await page.waitForFunction(() => (window as any).__qa('pg-app', 'pg-tiny-page', 'pg-microscope', 'tr.step').length > 0);
    // Independent reference: V = r_π + γ P_π V (continue w.p. 1−q), J = V(s0); ∇J by central differences.
    const J = (x0: number, x1: number) => {
      const pi = [1 / (1 + Math.exp(-x0)), 1 / (1 + Math.exp(-x1))]; // π(1|s)
      const g = 0.9, slip = 0.1, q = 0.25;
      const r = [[1, 0], [0, 2]];
      const rp = [0, 1].map((s) => (1 - pi[s]) * r[s][0] + pi[s] * r[s][1]);
      // P(s'=1 | s) = π(1|s)(1−slip) + π(0|s)·slip
      const p1 = [0, 1].map((s) => pi[s] * (1 - slip) + (1 - pi[s]) * slip);
      const c = g * (1 - q);
      // (I − c P) V = rp, 2×2
      const a00 = 1 - c * (1 - p1[0]), a01 = -c * p1[0], a10 = -c * (1 - p1[1]), a11 = 1 - c * p1[1];
      const det = a00 * a11 - a01 * a10;
      return (rp[0] * a11 - a01 * rp[1]) / det;
    };
    const x0 = Math.log(0.4 / 0.6), x1 = Math.log(0.6 / 0.4), h = 1e-5;
    const d0 = (J(x0 + h, x1) - J(x0 - h, x1)) / (2 * h);
    const d1 = (J(x0, x1 + h) - J(x0, x1 - h)) / (2 * h);
    const g = await tinyValues('#exact-grad');
    // θ = [θ[s0][0], θ[s0][1], θ[s1][0], θ[s1][1]]; ∂J/∂θ[s][1] = dJ/dx_s and ∂J/∂θ[s][0] = −dJ/dx_s
    expect(g[1]).toBeCloseTo(d0, 5);
    expect(g[3]).toBeCloseTo(d1, 5);
    expect(g[0]).toBeCloseTo(-d0, 5);
    const jShown = await page.evaluate(() => Number((window as any).__q('pg-app', 'pg-tiny-page', '#j-now').dataset.value));
    expect(jShown).toBeCloseTo(J(x0, x1), 8);

    const rows = await page.evaluate(() =>
      ((window as any).__qa('pg-app', 'pg-tiny-page', 'pg-microscope', 'tr.step') as HTMLElement[]).map((tr) => ({
        ...Object.fromEntries(Object.entries(tr.dataset).map(([k, v]) => [k, Number(v)])),
        cells: Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? ''),
      })),
    );
    expect(rows.length).toBeGreaterThan(0);
    let sum1 = 0;
    for (const r of rows as any[]) {
      // exact product
      expect(r.prod0).toBeCloseTo(r.disc * r.score0 * r.psi, 12);
      expect(r.prod1).toBeCloseTo(r.disc * r.score1 * r.psi, 12);
      // what the user reads multiplies out too (4 decimals shown)
      const shown = r.cells.map(Number);
      expect(Math.abs(shown[5] * shown[7] * shown[8] - shown[10])).toBeLessThan(2e-3 * (1 + Math.abs(shown[8])));
      // the score row sums to 0 (softmax) and Ψ = reward-to-go is ≥ 0 here
      expect(r.score0 + r.score1).toBeCloseTo(0, 12);
      sum1 += r.prod1;
    }
    // the trajectory list shows the same trajectory's return R(τ) = Σ γ^t r_t
    const ret = await page.evaluate(() => Number((window as any).__q('pg-app', 'pg-tiny-page', 'button.traj[data-index="3"]').dataset.return));
    const sumR = (rows as any[]).reduce((a, r) => a + r.disc * Number(r.cells[3]), 0);
    expect(ret).toBeCloseTo(sumR, 10);
    // the footer's trajectory estimate is the sum of the rows (for the policy row of s0 or s1)
    const foot = await page.evaluate(() => (window as any).__q('pg-app', 'pg-tiny-page', 'pg-microscope', 'tfoot')?.textContent ?? '');
    expect(foot).toContain('ĝ(τ)');
    expect(Number.isFinite(sum1)).toBe(true);
    await screenshot(page, 'tiny-twostate');
  });

  it('the error chart’s y axis reaches below 10⁻³ and reads e.g. 1e-15, 1e-10, 1e-5, 1 (uPlot alone printed "0, 0, 0, 1")', async () => {
    await page.goto(`${url}/?page=tiny&env=bandit&p0=0.3&n=50`, { waitUntil: 'load' });
    const [xTicks, yTicks] = await errorAxes();
    expect(xTicks).toEqual(['1', '10', '100']);
    expect(yTicks).not.toContain('0');
    expectDecades(yTicks);
    // this setting's errors reach below 10⁻³ (at one n the mean hits ∇J up to rounding, ~1e-17),
    // where uPlot's own labels (Intl, 3 decimals) all read "0"
    const errs: number[] = await page.evaluate(() => (window as any).__q('pg-app', 'pg-tiny-page', '#chart-error').plotData[1]);
    expect(Math.min(...errs)).toBeLessThan(1e-3);
    expect(tickValue(yTicks[0])).toBeLessThan(1e-3);
    expect(tickValue(yTicks[yTicks.length - 1])).toBeGreaterThanOrEqual(0.1);
  });

  it('corridor: exact J is the hand-solved −(4 − 2p)/(p(1 − p)); its chart marks the best p = 2 − √2', async () => {
    await page.goto(`${url}/?page=tiny&env=corridor&p0=0.4&n=200&psi=reinforce-rtg`, { waitUntil: 'load' });
    await page.waitForFunction(() => (window as any).__q('pg-app', 'pg-tiny-page', '#chart-jp') !== null);
    // V(S) = −1 + pV(1) + (1−p)V(S), V(1) = −1 + pV(S) + (1−p)V(2), V(2) = −1 + (1−p)V(1)  (γ = 1)
    const J = (p: number) => -(4 - 2 * p) / (p * (1 - p));
    const jShown = await page.evaluate(() => Number((window as any).__q('pg-app', 'pg-tiny-page', '#j-now').dataset.value));
    expect(jShown).toBeCloseTo(J(0.4), 9);
    // ∂J/∂z_right = dJ/dp · dp/dz = J'(p) p(1 − p), by central differences of the hand formula
    const h = 1e-6;
    const g = await tinyValues('#exact-grad');
    expect(g[1]).toBeCloseTo(((J(0.4 + h) - J(0.4 - h)) / (2 * h)) * 0.4 * 0.6, 5);
    expect(g[0]).toBeCloseTo(-g[1], 9);
    // J'(p) = 0 ⇔ p² − 4p + 2 = 0 ⇔ p = 2 − √2
    const best = await page.evaluate(() => Number((window as any).__q('pg-app', 'pg-tiny-page', '#best-p').dataset.value));
    expect(best).toBeCloseTo(2 - Math.SQRT2, 6);
    const chart = await page.evaluate(() => {
      const c = (window as any).__q('pg-app', 'pg-tiny-page', '#chart-jp');
      return { markers: c.markers, data: c.plotData };
    });
    const mark = chart.markers.find((m: { label: string }) => m.label.startsWith('best p'));
    expect(mark.x).toBeCloseTo(2 - Math.SQRT2, 6);
    expect(mark.label).toBe('best p = 0.5858');
    expect(chart.markers.find((m: { label: string }) => m.label === '').x).toBe(0.4); // the current p
    // the curve drawn is J(p) on the slider's range, cut where J < 3 J* (J* = −(6 + 4√2), the best J)
    const Jstar = J(2 - Math.SQRT2);
    expect(Jstar).toBeCloseTo(-(6 + 4 * Math.SQRT2), 9);
    chart.data[0].forEach((p: number, k: number) => {
      if (J(p) >= 3 * Jstar) expect(chart.data[1][k]).toBeCloseTo(J(p), 8);
      else expect(chart.data[1][k]).toBeNull();
    });
    expect(chart.data[1].filter((v: number | null) => v !== null).length).toBeGreaterThan(60);
    // the trajectory list shows positions S, 1, 2 (one policy row sees them all)
    const first = await page.evaluate(() => (window as any).__q('pg-app', 'pg-tiny-page', 'button.traj[data-index="0"]').textContent);
    expect(first).toMatch(/^\s*#0\s+S·a[01]\(-1\)/);
    await screenshot(page, 'tiny-corridor');
    // a corridor n beyond its limit: an inline error naming the range, the last result stays
    await page.goto(`${url}/?page=tiny&env=corridor&p0=0.4&n=5000`, { waitUntil: 'load' });
    await page.waitForFunction(() => (window as any).__qa('pg-app', 'pg-tiny-page', 'pg-field').some((f: any) => f.name === 'n' && f.error));
    const nErr = await page.evaluate(() => ((window as any).__qa('pg-app', 'pg-tiny-page', 'pg-field') as any[]).find((f) => f.name === 'n').error);
    expect(nErr).toBe('invalid n: "5000" (allowed: an integer 1 ≤ n ≤ 1000)');
  });

  it("the seed's bandit: J = p = σ(θ), dJ/dθ = p(1 − p); no interior optimum", async () => {
    await page.goto(`${url}/?page=tiny&env=scalar-bandit&p0=0.3&n=100`, { waitUntil: 'load' });
    await page.waitForFunction(() => (window as any).__q('pg-app', 'pg-tiny-page', '#chart-jp') !== null);
    const jShown = await page.evaluate(() => Number((window as any).__q('pg-app', 'pg-tiny-page', '#j-now').dataset.value));
    expect(jShown).toBeCloseTo(0.3, 12);
    const g = await tinyValues('#exact-grad');
    expect(g[1]).toBeCloseTo(0.3 * 0.7, 12);
    // the readout shows the one parameter θ (z₀ is pinned)
    const heads = await page.evaluate(() => ((window as any).__qa('pg-app', 'pg-tiny-page', '#readout th') as HTMLElement[]).map((e) => e.textContent));
    expect(heads).toEqual(['component', 'θ']);
    const markers = await page.evaluate(() => (window as any).__q('pg-app', 'pg-tiny-page', '#chart-jp').markers.map((m: { label: string }) => m.label));
    expect(markers).toEqual(['']); // the current p only
    expect(errors).toEqual([]);
  });

  it('bad input gives an inline error and keeps the last result', async () => {
    await page.goto(`${url}/?page=tiny&env=bandit&p0=0.3&gamma=2&n=abc`, { waitUntil: 'load' });
    await page.waitForFunction(() => (window as any).__qa('pg-app', 'pg-tiny-page', 'pg-field').length > 0);
    const errs = await page.evaluate(() =>
      ((window as any).__qa('pg-app', 'pg-tiny-page', 'pg-field') as any[]).map((f) => [f.name, f.error]).filter(([, e]) => e),
    );
    const byName = Object.fromEntries(errs);
    expect(byName.gamma).toMatch(/invalid gamma: 2 \(allowed: a number 0 ≤ gamma ≤ 1\)/);
    expect(byName.n).toMatch(/invalid n: "abc"/);
    expect(errors).toEqual([]);
  });
});
