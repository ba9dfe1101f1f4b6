/**
 * Without WebGPU (Chromium launched with --disable-features=WebGPU and without
 * --enable-unsafe-webgpu): the page says so in plain words, a GPU request runs on the CPU engine and
 * still produces a curve; the benchmark measures the CPU engine only.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer';
import { screenshot, useBrowserPage } from './harness';

let url: string;
let page: Page;
let errors: string[];

useBrowserPage((c) => ({ url, page, errors } = c), { webgpu: false });

const T = (...sels: string[]) => ['pg-app', 'pg-trainer-page', ...sels];

describe('no WebGPU', () => {
  it('shows a plain message and trains on the CPU engine', async () => {
    await page.goto(`${url}/?page=trainer&env=cartpole&backend=gpu&numEnvs=4&numSteps=64&totalSteps=1536&estimators=reinforce-rtg&seed=3`, { waitUntil: 'load' });
    const adapter = await page.evaluate(async () => {
      const gpu = (navigator as any).gpu;
      if (!gpu) return 'no navigator.gpu';
      return (await gpu.requestAdapter()) === null ? 'no adapter' : 'adapter';
    });
    expect(['no navigator.gpu', 'no adapter']).toContain(adapter);
    await page.waitForFunction((s) => (window as any).__q(...s) !== null, {}, T('#no-webgpu'));
    const msg = await page.evaluate((s) => (window as any).__q(...s).textContent, T('#no-webgpu'));
    expect(msg).toMatch(/WebGPU is not available here: .*The CPU engine runs instead\./);
    const visible = await page.evaluate((s) => {
      const r = (window as any).__q(...s).getBoundingClientRect();
      return r.width > 0 && r.height > 0;
    }, T('#no-webgpu'));
    expect(visible).toBe(true);

    await page.evaluate((s) => (window as any).__q(...s).click(), T('#start'));
    await page.waitForFunction((s) => ['done', 'error'].includes((window as any).__q(...s)?.dataset.state), { timeout: 60_000, polling: 250 }, T('#status'));
    const backend = await page.evaluate((s) => (window as any).__q(...s)?.dataset.backend, T('#backends', 'div'));
    expect(backend).toBe('cpu');
    const n = await page.evaluate((s) => (window as any).__q(...s).pointCount(0), T('#chart-return'));
    expect(n).toBe(6);
    expect(errors).toEqual([]);
    await screenshot(page, 'trainer-no-webgpu');
  });

  it('benchmark measures the CPU engine and says the GPU points are skipped', async () => {
    await page.goto(`${url}/?page=bench&env=cartpole&algo=reinforce&envCounts=4,16&updates=1&numSteps=16`, { waitUntil: 'load' });
    const B = ['pg-app', 'pg-bench-page'];
    await page.waitForFunction((s) => (window as any).__q(...s) !== null, {}, [...B, '#run']);
    await page.evaluate((s) => (window as any).__q(...s).click(), [...B, '#run']);
    await page.waitForFunction((s) => (window as any).__q(...s)?.dataset.state === 'done', { timeout: 60_000, polling: 250 }, [...B, '#bstatus']);
    const data = await page.evaluate((s) => (window as any).__q(...s).plotData, [...B, '#chart-bench']);
    expect(data[0]).toEqual([4, 16]);
    expect(data[1]).toEqual([null, null]);
    for (const v of data[2]) expect(v).toBeGreaterThan(0);
    const notes = await page.evaluate((s) => ((window as any).__qa(...s) as HTMLElement[]).map((d) => d.textContent ?? ''), [...B, '.notice']);
    expect(notes.some((t) => t.includes('GPU points skipped'))).toBe(true);
    expect(errors).toEqual([]);
    await screenshot(page, 'bench-no-webgpu');
  });
});
