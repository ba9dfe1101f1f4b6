/**
 * Nothing trained is lost in the browser: the worker writes each run's checkpoint to IndexedDB every
 * 10 updates and when the run ends; after a reload the page lists it, restores it into the form, and
 * Start continues from the saved update.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer';
import { useBrowserPage } from './harness';

let url: string;
let page: Page;
let errors: string[];

useBrowserPage((c) => ({ url, page, errors } = c));

const T = (...sels: string[]) => ['pg-app', 'pg-trainer-page', ...sels];
const state = () => page.evaluate((s) => (window as any).__q(...s)?.dataset.state ?? '', T('#status'));
const updatesInCsv = async (): Promise<number[]> => {
  const csv: string = await page.evaluate((s) => (window as any).__q(...s).curvesCsv(), T());
  return csv.trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
};

describe('autosaved checkpoints (IndexedDB)', () => {
  it('a finished run is autosaved; after a reload it is restored and training continues from it', { timeout: 180_000 }, async () => {
    const per = 4 * 32;
    await page.goto(`${url}/?page=trainer&env=cartpole&backend=cpu&numEnvs=4&numSteps=32&totalSteps=${per * 12}&estimators=ppo&hidden=16&varianceEvery=0&seed=5`, { waitUntil: 'load' });
    await page.waitForFunction((s) => (window as any).__q(...s) !== null, {}, T('#start'));
    await page.evaluate((s) => (window as any).__q(...s).click(), T('#start'));
    await page.waitForFunction((s) => ['done', 'error'].includes((window as any).__q(...s)?.dataset.state), { timeout: 120_000, polling: 250 }, T('#status'));
    expect(await state()).toBe('done');
    // what IndexedDB holds: the checkpoint of update 12 (written when the run ended)
    const stored = await page.evaluate(
      () =>
        new Promise<{ update: number; ckUpdate: number; env: string; algo: string }>((resolve, reject) => {
          const req = indexedDB.open('policygrad');
          req.onerror = () => reject(req.error);
          req.onsuccess = () => {
            const get = req.result.transaction('checkpoints').objectStore('checkpoints').get('cartpole-ppo-s5');
            get.onsuccess = () => resolve({ update: get.result.update, ckUpdate: JSON.parse(get.result.text).update, env: get.result.env, algo: get.result.algo });
            get.onerror = () => reject(get.error);
          };
        }),
    );
    expect(stored).toEqual({ update: 12, ckUpdate: 12, env: 'cartpole', algo: 'ppo' });

    // a new visit: the page offers it, restores it, and Start continues at update 13
    await page.goto(`${url}/?page=trainer&backend=cpu`, { waitUntil: 'load' });
    await page.waitForFunction((s) => (window as any).__q(...s) !== null, { timeout: 20_000 }, T('#restore-ck'));
    const option: string = await page.evaluate((s) => (window as any).__q(...s).selectedOptions[0].textContent, T('#autosaved'));
    expect(option).toMatch(/^cartpole ppo seed 5 u12 /);
    await page.evaluate((s) => (window as any).__q(...s).click(), T('#restore-ck'));
    await page.waitForFunction((s) => ((window as any).__q(...s)?.textContent ?? '').includes('Loaded checkpoint'), {}, T('#message'));
    expect(await page.evaluate((s) => (window as any).__q(...s).textContent, T('#message'))).toContain('update 12');
    await page.evaluate(
      (s, v) => {
        const f = (window as any).__q(...s);
        const input = f.shadowRoot.querySelector('input');
        input.value = v;
        input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
      },
      T('pg-field[name="totalSteps"]'),
      String(per * 14),
    );
    await page.evaluate((s) => (window as any).__q(...s).click(), T('#start'));
    await page.waitForFunction((s) => ['done', 'error'].includes((window as any).__q(...s)?.dataset.state), { timeout: 60_000, polling: 250 }, T('#status'));
    expect(await state()).toBe('done');
    expect(await updatesInCsv()).toEqual([13, 14]);
    expect(errors).toEqual([]);
  });
});
