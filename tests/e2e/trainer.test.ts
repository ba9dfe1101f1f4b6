/**
 * Trainer page in a real browser (headless Chromium, SwiftShader WebGPU): two estimators on CartPole
 * for a bounded number of updates; every return series has points, its later mean exceeds its first,
 * the charts hold exactly the rows the CSV export holds, no console errors. Bad inputs give inline
 * errors and start nothing. A checkpoint saved from the page continues training after a reload.
 * The charts-first layout: a preset fills the form and the URL, the return chart is on the first
 * 900 px, a live λ change is a mark on every chart at the update that first used it, "Export policy"
 * downloads policy.safetensors + policy.json, and the health charts hold the exported rows.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARTIFACTS, screenshot, useBrowserPage } from './harness';

let url: string;
let page: Page;
let errors: string[];
const downloads = mkdtempSync(join(tmpdir(), 'policygrad-dl-'));

/** Small CartPole runs that learn visibly in 16 updates (8 envs × 64 steps, lr 5e-3, one hidden layer of 32). */
const RUN = 'env=cartpole&backend=gpu&numEnvs=8&numSteps=64&totalSteps=8192&lr=0.005&hidden=32&varianceEvery=2&seed=1&estimators=reinforce-rtg,ppo';

useBrowserPage((c) => ({ url, page, errors } = c), {
  setup: async (p) => {
    const cdp = await p.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
  },
});

afterAll(() => {
  rmSync(downloads, { recursive: true, force: true });
});

const T = (...sels: string[]) => ['pg-app', 'pg-trainer-page', ...sels];

async function click(...sels: string[]): Promise<void> {
  await page.evaluate((s) => (window as any).__q(...s).click(), T(...sels));
}

async function status(): Promise<string> {
  return page.evaluate((s) => (window as any).__q(...s)?.dataset.state ?? '', T('#status'));
}

async function fieldErrors(): Promise<Record<string, string>> {
  return page.evaluate((s) => Object.fromEntries(((window as any).__qa(...s) as any[]).filter((f) => f.error).map((f) => [f.name, f.error])), T('pg-field'));
}

async function typeInto(name: string, text: string): Promise<void> {
  await page.evaluate(
    (s, t) => {
      const f = (window as any).__q(...s);
      const input = f.shadowRoot.querySelector('input');
      input.value = t;
      input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    },
    T(`pg-field[name="${name}"]`),
    text,
  );
}

async function selectField(name: string, value: string): Promise<void> {
  await page.evaluate(
    (s, v) => {
      const sel = (window as any).__q(...s).shadowRoot.querySelector('select');
      sel.value = v;
      sel.dispatchEvent(new Event('change', { bubbles: true, composed: true }));
    },
    T(`pg-field[name="${name}"]`),
    value,
  );
}

async function fieldValue(name: string): Promise<string> {
  return page.evaluate((s) => (window as any).__q(...s).value, T(`pg-field[name="${name}"]`));
}

/** The page's CSV export as rows of named columns, per estimator. */
async function csvRows(): Promise<Record<string, string>[]> {
  const csv: string = await page.evaluate((s) => (window as any).__q(...s).curvesCsv(), T());
  const [head, ...lines] = csv.trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

function mean(a: number[]): number {
  return a.reduce((x, y) => x + y, 0) / a.length;
}

describe('trainer page', () => {
  it('trains two estimators on CartPole; curves rise and the charts hold the rows', async () => {
    await page.goto(`${url}/?page=trainer&${RUN}`, { waitUntil: 'load' });
    await page.waitForFunction((s) => (window as any).__q(...s) !== null, {}, T('#start'));
    await click('#start');
    await page.waitForFunction((s) => ['done', 'error'].includes((window as any).__q(...s)?.dataset.state), { timeout: 150_000, polling: 250 }, T('#status'));
    expect(await status()).toBe('done');
    const backends = await page.evaluate((s) => ((window as any).__qa(...s) as HTMLElement[]).map((d) => d.textContent), T('#backends', 'div'));
    console.log('[e2e trainer] backends used:', backends);
    // both runs really trained on the WebGPU engine (headless Chromium here: SwiftShader), not the CPU fallback
    const engines = await page.evaluate((s) => ((window as any).__qa(...s) as HTMLElement[]).map((d) => d.dataset.backend), T('#backends', 'div'));
    expect(engines).toEqual(['gpu', 'gpu']);
    for (const b of backends) expect(b).toMatch(/GPU — /);

    const csv: string = await page.evaluate((s) => (window as any).__q(...s).curvesCsv(), T());
    const lines = csv.trim().split('\n');
    const head = lines[0].split(',');
    const col = (name: string) => head.indexOf(name);
    const byAlgo: Record<string, { steps: number[]; ret: number[] }> = {};
    for (const l of lines.slice(1)) {
      const c = l.split(',');
      const r = (byAlgo[c[0]] ??= { steps: [], ret: [] });
      if (c[col('episodicReturn')] !== '') {
        r.steps.push(Number(c[col('envSteps')]));
        r.ret.push(Number(c[col('episodicReturn')]));
      }
    }
    expect(Object.keys(byAlgo).sort()).toEqual(['ppo', 'reinforce-rtg']);

    const chart = await page.evaluate((s) => {
      const c = (window as any).__q(...s);
      return { data: c.plotData, labels: c.series.map((x: any) => x.label), canvas: !!c.shadowRoot.querySelector('canvas'), bands: c.bands };
    }, T('#chart-return'));
    expect(chart.canvas).toBe(true);
    expect(chart.labels).toEqual(['reinforce-rtg', 'ppo']);
    chart.labels.forEach((algo: string, i: number) => {
      const xs: number[] = chart.data[0];
      const ys: (number | null)[] = chart.data[i + 1];
      const pts = xs.map((x, k) => [x, ys[k]]).filter(([, y]) => y !== null) as [number, number][];
      // the chart holds exactly the exported rows
      expect(pts.map((p) => p[0])).toEqual(byAlgo[algo].steps);
      expect(pts.map((p) => p[1])).toEqual(byAlgo[algo].ret);
      expect(pts.length).toBeGreaterThanOrEqual(12);
      // the min–max band holds every mean, and equals the exported min / max columns
      const band = chart.bands[i];
      expect(band.series).toBe(i);
      xs.forEach((_x, k) => {
        if (ys[k] === null) return;
        expect(band.lo[k]).toBeLessThanOrEqual(ys[k] as number);
        expect(band.hi[k]).toBeGreaterThanOrEqual(ys[k] as number);
      });
      const lo = lines.slice(1).map((l) => l.split(',')).filter((c) => c[0] === algo && c[col('episodicReturnMin')] !== '').map((c) => Number(c[col('episodicReturnMin')]));
      expect(band.lo.filter((v: number | null) => v !== null)).toEqual(lo);
      const third = Math.floor(pts.length / 3);
      const first = mean(pts.slice(0, third).map((p) => p[1]));
      const last = mean(pts.slice(-third).map((p) => p[1]));
      console.log(`[e2e trainer] ${algo}: first-third mean return ${first.toFixed(1)}, last-third ${last.toFixed(1)}`);
      expect(last).toBeGreaterThan(first);
    });
    // variance and SNR measured every 2 updates: 8 positive points per run, on a log axis
    const v = await page.evaluate((s) => (window as any).__q(...s).pointCount(0) + ',' + (window as any).__q(...s).pointCount(1), T('#chart-variance'));
    expect(v).toBe('8,8');
    const sps = await page.evaluate((s) => (window as any).__q(...s).pointCount(1), T('#chart-sps'));
    expect(sps).toBe(16);
    expect(errors).toEqual([]);
    await screenshot(page, 'trainer');
  }, 240_000);

  it('saves a checkpoint and continues from it after a reload', async () => {
    await page.evaluate((s) => {
      const sel = (window as any).__q(...s) as HTMLSelectElement;
      sel.value = '1';
      sel.dispatchEvent(new Event('change'));
    }, T('#ck-run'));
    await click('#save-ck');
    let file = '';
    for (let i = 0; i < 100 && !file; i++) {
      await new Promise((r) => setTimeout(r, 100));
      file = readdirSync(downloads).find((f) => f.endsWith('.json') && f.includes('ppo')) ?? '';
    }
    expect(file).toMatch(/^policygrad-cartpole-ppo-u16\.json$/);
    const ck = JSON.parse(readFileSync(join(downloads, file), 'utf8'));
    expect(ck.format).toBe('policygrad-checkpoint');
    expect(ck.update).toBe(16);

    await page.goto(`${url}/?page=trainer`, { waitUntil: 'load' });
    await page.waitForFunction((s) => (window as any).__q(...s) !== null, {}, T('#load-ck'));
    const input = await page.evaluateHandle((s) => (window as any).__q(...s), T('#load-ck'));
    await (input as any).uploadFile(join(downloads, file));
    await page.waitForFunction((s) => ((window as any).__q(...s)?.textContent ?? '').includes('Loaded checkpoint'), {}, T('#message'));
    // the form took the checkpoint's settings; extend the run by 2 updates, on the CPU engine
    // (a checkpoint written by either engine continues on the other)
    await typeInto('totalSteps', String(8 * 64 * 18));
    await page.evaluate((s) => {
      const sel = (window as any).__q(...s).shadowRoot.querySelector('select');
      sel.value = 'cpu';
      sel.dispatchEvent(new Event('change', { bubbles: true, composed: true }));
    }, T('pg-field[name="backend"]'));
    await click('#start');
    await page.waitForFunction((s) => ['done', 'error'].includes((window as any).__q(...s)?.dataset.state), { timeout: 60_000, polling: 250 }, T('#status'));
    const csv: string = await page.evaluate((s) => (window as any).__q(...s).curvesCsv(), T());
    const updates = csv.trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
    expect(updates).toEqual([17, 18]);
    expect(errors).toEqual([]);
  });

  it('pauses, resumes and resets', async () => {
    // long enough (200 quick CPU updates) that the pause lands mid-run on a fast machine
    const updates = 200;
    await page.goto(`${url}/?page=trainer&env=cartpole&backend=cpu&numEnvs=4&numSteps=32&totalSteps=${4 * 32 * updates}&estimators=reinforce&hidden=16&varianceEvery=0`, { waitUntil: 'load' });
    await page.waitForFunction((s) => (window as any).__q(...s) !== null, {}, T('#start'));
    await click('#start');
    const rows = () => page.evaluate((s) => (window as any).__q(...s).curvesCsv().trim().split('\n').length - 1, T());
    await page.waitForFunction((s) => (window as any).__q(...s).curvesCsv().trim().split('\n').length > 3, { timeout: 30_000 }, T());
    await click('#pause');
    await page.waitForFunction((s) => (window as any).__q(...s)?.dataset.state === 'paused', {}, T('#status'));
    await new Promise((r) => setTimeout(r, 300)); // rows already posted may still arrive
    const n1 = await rows();
    await new Promise((r) => setTimeout(r, 800));
    expect(await rows()).toBe(n1);
    expect(n1).toBeLessThan(updates);
    await click('#resume');
    await page.waitForFunction((s) => (window as any).__q(...s)?.dataset.state === 'done', { timeout: 60_000, polling: 200 }, T('#status'));
    expect(await rows()).toBe(updates);
    await click('#reset');
    await page.waitForFunction((s) => (window as any).__q(...s)?.dataset.state === 'idle', {}, T('#status'));
    expect(await rows()).toBe(0);
    expect(await page.evaluate((s) => (window as any).__q(...s).pointCount(0), T('#chart-return'))).toBe(0);
    expect(errors).toEqual([]);
  });

  it('bad inputs give inline errors and start nothing', async () => {
    await page.goto(`${url}/?page=trainer&numEnvs=-4&seed=1&preset=nope&annealLR=true`, { waitUntil: 'load' });
    await page.waitForFunction((s) => (window as any).__q(...s) !== null, {}, T('#start'));
    // a preset the page does not know, a key it does not know: said plainly, never applied
    const presetError = await page.evaluate((s) => (window as any).__q(...s)?.textContent ?? '', T('#preset-error'));
    expect(presetError).toMatch(/^invalid preset: "nope" \(allowed: cartpole-ppo, /);
    const notes = await page.evaluate((s) => ((window as any).__qa(...s) as HTMLElement[]).map((n) => n.textContent ?? ''), T('.notice'));
    expect(notes.some((t) => t.startsWith('Ignored unknown URL settings: "annealLR"'))).toBe(true);
    expect(new URL(page.url()).searchParams.has('annealLR')).toBe(false);
    await typeInto('lambda', '2');
    await typeInto('lr', 'fast');
    const errs = await fieldErrors();
    expect(errs.numEnvs).toBe('invalid numEnvs: -4 (allowed: an integer 1 ≤ numEnvs ≤ 65536)');
    expect(errs.lambda).toBe('invalid lambda: 2 (allowed: a number 0 ≤ lambda ≤ 1)');
    expect(errs.lr).toBe('invalid lr: "fast" (allowed: a number 0 < lr ≤ 1)');
    // the URL keeps what was typed (shareable, reloadable), rendered back as text
    expect(new URL(page.url()).searchParams.get('lr')).toBe('fast');
    await click('#start');
    await new Promise((r) => setTimeout(r, 500));
    expect(await status()).toBe('idle');
    const msg = await page.evaluate((s) => (window as any).__q(...s)?.textContent ?? '', T('#message'));
    expect(msg).toContain('nothing was started');
    // HTML in the URL is shown as text, never parsed
    await page.goto(`${url}/?page=trainer&seed=${encodeURIComponent('<img src=x onerror=alert(1)>')}`, { waitUntil: 'load' });
    await page.waitForFunction((s) => (window as any).__q(...s) !== null, {}, T('#start'));
    const e2 = await fieldErrors();
    expect(e2.seed).toContain('"<img src=x onerror=alert(1)>"');
    const imgs = await page.evaluate((s) => ((window as any).__qa(...s) as any[]).filter((f) => f.shadowRoot.querySelector('img')).length, T('pg-field'));
    expect(imgs).toBe(0);
    // a corrupt checkpoint file: inline message, nothing starts
    const bad = join(downloads, 'broken.json');
    writeFileSync(bad, '{"format":"policygrad-checkpoint","version":1,"config":{');
    const input = await page.evaluateHandle((s) => (window as any).__q(...s), T('#load-ck'));
    await (input as any).uploadFile(bad);
    await page.waitForFunction((s) => ((window as any).__q(...s)?.textContent ?? '').includes('Could not load'), {}, T('#message'));
    expect(await status()).toBe('idle');
    await screenshot(page, 'trainer-bad-input');
    expect(errors).toEqual([]);
  });

  it('charts first: a preset fills the form and the URL, a live λ change marks every chart, the policy exports', async () => {
    await page.setViewport({ width: 1400, height: 900 });
    await page.goto(`${url}/?page=trainer`, { waitUntil: 'load' });
    await page.waitForFunction((s) => (window as any).__q(...s) !== null, {}, T('#start'));
    // the defaults are the first preset (CartPole PPO, thousands of envs on WebGPU), written whole into the URL
    await page.waitForFunction(() => new URL(location.href).searchParams.get('preset') !== null);
    let q = new URL(page.url()).searchParams;
    expect(q.get('preset')).toBe('cartpole-ppo');
    expect(q.get('env')).toBe('cartpole');
    expect(Number(q.get('numEnvs'))).toBeGreaterThanOrEqual(1024);
    for (const k of ['gamma', 'lambda', 'lr', 'clip', 'entCoef', 'epochs', 'minibatches', 'hidden', 'varianceEvery', 'estimators']) expect(q.has(k)).toBe(true);
    // the return chart opens the page: wholly inside the first 900 px at 1400 × 900
    const rect = await page.evaluate((s) => {
      const r = (window as any).__q(...s).getBoundingClientRect();
      return { top: r.top + scrollY, bottom: r.bottom + scrollY, width: r.width };
    }, T('#chart-return'));
    expect(rect.bottom).toBeLessThanOrEqual(900);
    expect(rect.width).toBeGreaterThan(600);
    // human labels from config.ts, the advanced fields folded away
    const labels: Record<string, string> = await page.evaluate((s) => Object.fromEntries(((window as any).__qa(...s) as any[]).map((f) => [f.name, f.label])), T('pg-field'));
    expect(labels.gamma).toBe('γ discount');
    expect(labels.lr).toBe('lr (Adam)');
    expect(await page.evaluate((s) => (window as any).__q(...s).open, T('#advanced'))).toBe(false);

    // another preset fills the form and the URL
    await page.evaluate((s) => {
      const sel = (window as any).__q(...s) as HTMLSelectElement;
      sel.value = 'pendulum-ppo';
      sel.dispatchEvent(new Event('change'));
    }, T('#preset'));
    expect(await fieldValue('env')).toBe('pendulum');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('env') === 'pendulum');
    const pendulumEnvs = await fieldValue('numEnvs');
    // an edited field survives a change of env; the others take the new env's preset
    await typeInto('seed', '7');
    await selectField('env', 'cartpole');
    expect(await fieldValue('seed')).toBe('7');
    expect(await fieldValue('numEnvs')).not.toBe(pendulumEnvs);
    q = new URL(page.url()).searchParams;
    expect([q.get('env'), q.get('preset'), q.get('seed'), q.get('numEnvs')]).toEqual(['cartpole', 'cartpole-ppo', '7', await fieldValue('numEnvs')]);

    // a short run (8 envs × 32 steps, 24 updates), the live comparison every 2 updates
    await typeInto('numEnvs', '8');
    await typeInto('numSteps', '32');
    await typeInto('totalSteps', String(8 * 32 * 24));
    await typeInto('epochs', '2');
    await typeInto('hidden', '16');
    await typeInto('varianceEvery', '2');
    await click('#start');
    await page.waitForFunction((s) => (window as any).__q(...s).curvesCsv().trim().split('\n').length > 4, { timeout: 120_000, polling: 100 }, T());
    await click('#pause');
    await page.waitForFunction((s) => (window as any).__q(...s)?.dataset.state === 'paused', {}, T('#status'));
    // mid-run, at 1400 × 900: what the README shows
    await page.screenshot({ path: join(ARTIFACTS, 'trainer-midrun.png') as `${string}.png` });
    // λ changes while the run is paused: it applies from the next update
    const lambda0 = Number(await fieldValue('lambda'));
    await typeInto('lambda', '0.5');
    await page.waitForFunction((s) => !(window as any).__q(...s).disabled, {}, T('#apply-live'));
    await click('#apply-live');
    await page.waitForFunction((s) => (window as any).__q(...s).marks.length > 0, { timeout: 20_000 }, T('#chart-return'));
    await click('#resume');
    await page.waitForFunction((s) => ['done', 'error'].includes((window as any).__q(...s)?.dataset.state), { timeout: 150_000, polling: 250 }, T('#status'));
    expect(await status()).toBe('done');
    expect(await page.evaluate((s) => (window as any).__q(...s).textContent, T('#status'))).toContain('ppo: update 24 of 24');

    const rows = await csvRows();
    expect(rows.length).toBe(24);
    // the first update with λ = 0.5: the mark sits at its env steps, on every chart of the page
    const first = rows.find((r) => Number(r.lambda) === 0.5)!;
    expect(first).toBeDefined();
    const u = Number(first.update);
    expect(Number(rows[u - 2].lambda)).toBeCloseTo(lambda0, 12);
    expect(rows.slice(u - 1).every((r) => Number(r.lambda) === 0.5)).toBe(true);
    const marks = await page.evaluate((s) => ((window as any).__qa(...s) as any[]).map((c) => ({ id: c.id, marks: c.marks, drawn: c.marksDrawn })), T('pg-chart'));
    expect(marks.length).toBeGreaterThanOrEqual(14);
    for (const c of marks) expect(c.marks).toEqual([{ x: Number(first.envSteps), label: 'λ 0.5' }]);
    // the plugin drew it on the return chart (inside the x range)
    expect(marks.find((c) => c.id === 'chart-return')!.drawn).toBe(1);

    // the health charts hold the exported rows, metric by metric
    for (const k of ['policyLoss', 'valueLoss', 'entropy', 'approxKl', 'clipFrac', 'explainedVariance', 'gradNorm', 'lr', 'epochsRun', 'sps']) {
      const data = await page.evaluate((s) => (window as any).__q(...s)?.plotData ?? null, T(`#chart-${k}`));
      expect(data, k).not.toBeNull();
      const want = rows.map((r) => (r[k] === '' ? null : Number(r[k])));
      expect(data[0], k).toEqual(rows.map((r) => Number(r.envSteps)));
      expect(data[1], k).toEqual(want.map((v) => (v !== null && (k === 'sps' || k === 'gradNorm') && v <= 0 ? null : v)));
    }
    expect(rows.every((r) => Number(r.epochsRun) >= 1 && Number(r.epochsRun) <= 2)).toBe(true);
    // all five estimators compared on every second update
    const est = await page.evaluate((s) => {
      const c = (window as any).__q(...s);
      return { labels: c.series.map((x: any) => x.label), counts: c.series.map((_: any, i: number) => c.pointCount(i)) };
    }, T('#chart-est-cosine'));
    expect(est.labels).toEqual(['reinforce', 'reinforce-rtg', 'reinforce-baseline', 'actor-critic', 'gae']);
    expect(est.counts).toEqual([12, 12, 12, 12, 12]);

    // "Export policy": the run's checkpoint → policy.safetensors + policy.json, downloaded
    await click('#export-policy');
    await page.waitForFunction((s) => (window as any).__q(...s).lastExport.length === 2, { timeout: 20_000 }, T());
    let files: string[] = [];
    for (let i = 0; i < 100 && files.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      files = readdirSync(downloads).filter((f) => f === 'policy.safetensors' || f === 'policy.json');
    }
    expect(files.sort()).toEqual(['policy.json', 'policy.safetensors']);
    const st = readFileSync(join(downloads, 'policy.safetensors'));
    const n = Number(st.readBigUInt64LE(0));
    const header = JSON.parse(st.subarray(8, 8 + n).toString('utf8'));
    // hidden 16: actor 4 → 16 → 2 (CartPole), weights [out, in]
    expect(header['actor.0.weight'].shape).toEqual([16, 4]);
    expect(header['actor.1.weight'].shape).toEqual([2, 16]);
    const manifest = JSON.parse(readFileSync(join(downloads, 'policy.json'), 'utf8'));
    expect(JSON.stringify(manifest)).toContain('cartpole');
    expect(errors).toEqual([]);
    await screenshot(page, 'trainer-charts-first');
  }, 300_000);
});
