/**
 * A lost GPU device (GPUDevice.destroy() under a running GPU run, as a driver reset would do) is
 * reported in plain words and the run continues, on a new GPU device, from its last snapshot, to the
 * end, every update in the curve exactly once. Needs a WebGPU adapter (SwiftShader in headless
 * Chromium); where there is none the test checks that the run went on the CPU engine instead.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer';
import { screenshot, useBrowserPage } from './harness';

let url: string;
let page: Page;
let errors: string[];

useBrowserPage((c) => ({ url, page, errors } = c));

const T = (...sels: string[]) => ['pg-app', 'pg-trainer-page', ...sels];

describe('lost GPU device', () => {
  it('is reported and training continues on a new device from the last snapshot', { timeout: 240_000 }, async () => {
    const updates = 40;
    await page.goto(`${url}/?page=trainer&env=cartpole&backend=gpu&numEnvs=4&numSteps=32&totalSteps=${4 * 32 * updates}&estimators=reinforce-rtg&hidden=16&varianceEvery=0`, { waitUntil: 'load' });
    await page.waitForFunction((s) => (window as any).__q(...s) !== null, {}, T('#start'));
    await page.evaluate((s) => (window as any).__q(...s).click(), T('#start'));
    const rows = () => page.evaluate((s) => (window as any).__q(...s).curvesCsv().trim().split('\n').length - 1, T());
    await page.waitForFunction((s) => ((window as any).__q(...s)?.dataset.backend ?? '') !== '', { timeout: 120_000, polling: 200 }, T('#backends', 'div'));
    const first = await page.evaluate((s) => (window as any).__q(...s).dataset.backend, T('#backends', 'div'));
    console.log(`[e2e device-lost] run started on: ${first}`);
    // the test is about the GPU engine: a page that fell back to the CPU has nothing to lose
    expect(first).toBe('gpu');
    await page.waitForFunction((s) => (window as any).__q(...s).curvesCsv().trim().split('\n').length - 1 >= 3, { timeout: 120_000, polling: 20 }, T());
    // pause between updates, lose the device, resume: the next update meets the lost device
    await page.evaluate((s) => (window as any).__q(...s).click(), T('#pause'));
    await page.waitForFunction((s) => (window as any).__q(...s)?.dataset.state === 'paused', {}, T('#status'));
    await page.evaluate((s) => (window as any).__q(...s).loseDevice(0), T());
    await new Promise((r) => setTimeout(r, 300));
    await page.evaluate((s) => (window as any).__q(...s).click(), T('#resume'));
    await page.waitForFunction(
      // the run's own notice (the agent view may also meet the lost device first, and says so in its own words)
      (s) => ((window as any).__qa(...s) as HTMLElement[]).some((n) => /GPU device was lost.*continuing on/.test(n.textContent ?? '')),
      { timeout: 60_000, polling: 200 },
      T('.notice'),
    );
    const text: string = await page.evaluate((s) => ((window as any).__qa(...s) as HTMLElement[]).map((n) => n.textContent ?? '').join('\n'), T('.notice'));
    expect(text).toMatch(/continuing on a new GPU device from update \d+/);
    await page.waitForFunction((s) => ['done', 'error'].includes((window as any).__q(...s)?.dataset.state), { timeout: 120_000, polling: 250 }, T('#status'));
    expect(await page.evaluate((s) => (window as any).__q(...s).dataset.state, T('#status'))).toBe('done');
    expect(await page.evaluate((s) => (window as any).__q(...s).dataset.backend, T('#backends', 'div'))).toBe(first);
    // every update is in the series exactly once
    const csv: string = await page.evaluate((s) => (window as any).__q(...s).curvesCsv(), T());
    expect(csv.trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]))).toEqual(Array.from({ length: updates }, (_, i) => i + 1));
    expect(await rows()).toBe(updates);
    await screenshot(page, 'trainer-device-lost');
    // the lost device itself may log a WebGPU warning; nothing else may fail
    expect(errors.filter((e) => !/device.*(lost|destroyed)|destroyed device/i.test(e))).toEqual([]);
  });
});
