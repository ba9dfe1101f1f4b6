/**
 * The agent view (<pg-agent>) on the trainer page in a real browser: a short CartPole run delivers
 * the first envs' trajectories through the worker (Engine.trajectory); the record is consistent
 * (π sums to 1, log π(a|s) is the log of the taken action's probability, CartPole pays 1 a step) and
 * the playback controls move the frame as they say — step, step back, ⏮, scrub, play / pause at a
 * speed, zoom, select another env — with the numbers shown at each frame equal to the trajectory's.
 * A run on the page's WebGPU engine delivers a record just as consistent.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer';
import { screenshot, useBrowserPage } from './harness';

let url: string;
let page: Page;
let errors: string[];

useBrowserPage((c) => ({ url, page, errors } = c));

const PAGE = ['pg-app', 'pg-trainer-page'];
const AGENT = [...PAGE, 'pg-agent'];
const T = 64;
const RUN = `env=cartpole&backend=cpu&numEnvs=4&numSteps=${T}&totalSteps=${4 * T * 5}&hidden=16&varianceEvery=0&seed=3&estimators=ppo`;

const q = (...sels: string[]) => [...AGENT, ...sels];

async function click(...sels: string[]): Promise<void> {
  await page.evaluate((s) => (window as any).__q(...s).click(), q(...sels));
}

async function setControl(id: string, value: string, event: 'input' | 'change'): Promise<void> {
  await page.evaluate(
    (s, v, ev) => {
      const el = (window as any).__q(...s);
      el.value = v;
      el.dispatchEvent(new Event(ev, { bubbles: true, composed: true }));
    },
    q(id),
    value,
    event,
  );
}

/** The element's state (data-*, frame) and the numbers its readout shows. */
async function shown() {
  return page.evaluate((s) => {
    const el = (window as any).__q(...s);
    const r = el.shadowRoot;
    const val = (id: string) => r.querySelector(id)?.getAttribute('data-value');
    return {
      frame: el.frame as number,
      data: { ...el.dataset } as Record<string, string>,
      clock: r.querySelector('#agent-clock').textContent.trim() as string,
      timeline: Number(r.querySelector('#agent-timeline').value),
      value: Number(val('#agent-value')),
      reward: Number(val('#agent-reward')),
      adv: Number(val('#agent-adv')),
      logp: Number(val('#agent-logp')),
      action: Number(val('#agent-action')),
      pi: Array.from(r.querySelectorAll('tr.pi span[data-value]')).map((x: any) => Number(x.getAttribute('data-value'))),
      taken: Array.from(r.querySelectorAll('tr.pi')).findIndex((x: any) => x.hasAttribute('data-taken')),
      canvasWidth: r.querySelector('#agent-canvas').style.width as string,
    };
  }, AGENT);
}

/** The trajectory of env `env` as the element holds it, as plain arrays. */
async function trajectory(env: number) {
  return page.evaluate(
    (s, e) => {
      const t = (window as any).__q(...s).trajectories.find((x: any) => x.env === e);
      return {
        T: t.T,
        values: Array.from(t.values as Float32Array),
        rewards: Array.from(t.rewards as Float32Array),
        advantages: Array.from(t.advantages as Float32Array),
        logProb: Array.from(t.logProb as Float32Array),
        actions: Array.from(t.actions as Float32Array),
        probs: Array.from(t.dist.probs as Float32Array),
        terminated: Array.from(t.terminated as Uint8Array),
      };
    },
    AGENT,
    env,
  );
}

type Traj = Awaited<ReturnType<typeof trajectory>>;

function expectFrame(s: Awaited<ReturnType<typeof shown>>, tr: Traj, t: number): void {
  expect(s.frame).toBe(t);
  expect(s.data.frame).toBe(String(t));
  expect(s.timeline).toBe(t);
  expect(s.clock).toBe(`t = ${(t * 0.02).toFixed(2)} s`);
  expect(s.value).toBe(tr.values[t]);
  expect(s.reward).toBe(tr.rewards[t]);
  expect(s.adv).toBe(tr.advantages[t]);
  expect(s.logp).toBe(tr.logProb[t]);
  expect(s.action).toBe(tr.actions[t]);
  expect(s.pi).toEqual([tr.probs[2 * t], tr.probs[2 * t + 1]]);
  expect(s.taken).toBe(tr.actions[t]);
}

/** Start the run the page was opened with, wait until it is done and its last batch of 4 trajectories has arrived. */
async function trainAndAwaitTrajectories(timeout: number): Promise<void> {
  await page.waitForFunction((s) => (window as any).__q(...s) !== null, {}, [...PAGE, '#start']);
  await page.evaluate((s) => (window as any).__q(...s).click(), [...PAGE, '#start']);
  await page.waitForFunction((s) => (window as any).__q(...s)?.dataset.state === 'done', { timeout, polling: 250 }, [...PAGE, '#status']);
  await page.waitForFunction(
    (p, a) => (window as any).__q(...p).pendingTraj?.size === 0 && (window as any).__q(...a)?.trajectories.length === 4,
    { timeout: 30_000, polling: 100 },
    PAGE,
    AGENT,
  );
}

describe('agent view', () => {
  it('plays back the trajectories the worker records; every control moves the frame as it says', async () => {
    await page.goto(`${url}/?page=trainer&${RUN}`, { waitUntil: 'load' });
    await trainAndAwaitTrajectories(90_000);
    const tr = await trajectory(0);
    expect(tr.T).toBe(T);
    // the record itself: CartPole pays 1 a step; π(·|s) sums to 1; log π(a|s) = log π(a|s) of the taken action
    expect(tr.rewards.every((r) => r === 1)).toBe(true);
    for (let t = 0; t < T; t++) {
      expect(tr.probs[2 * t] + tr.probs[2 * t + 1]).toBeCloseTo(1, 5);
      expect(Math.log(tr.probs[2 * t + tr.actions[t]])).toBeCloseTo(tr.logProb[t], 4);
    }
    expect(tr.terminated.some((x) => x === 1)).toBe(true);

    let s = await shown();
    expect(s.data.steps).toBe(String(T));
    expect(s.data.selected).toBe('0');
    expect(s.data.playing).toBe('false');
    expectFrame(s, tr, 0);

    for (let i = 0; i < 3; i++) await click('#agent-step');
    expectFrame(await shown(), tr, 3);
    await click('#agent-back');
    expectFrame(await shown(), tr, 2);
    await click('#agent-first');
    expectFrame(await shown(), tr, 0);
    await setControl('#agent-timeline', '40', 'input');
    expectFrame(await shown(), tr, 40);
    // the step the episode ended on says so
    const end = tr.terminated.indexOf(1);
    await setControl('#agent-timeline', String(end), 'input');
    expect(await page.evaluate((s) => (window as any).__q(...s).shadowRoot.querySelector('#agent-done').textContent, AGENT)).toContain('terminated');

    // play at 0.25×: CartPole's τ = 0.02 s ⇒ 12.5 steps a second; pause holds the frame
    await click('#agent-first');
    await setControl('#agent-speed', '0.25', 'change');
    s = await shown();
    expect(s.data.speed).toBe('0.25');
    const t0 = Date.now();
    await click('#agent-play');
    expect((await shown()).data.playing).toBe('true');
    await new Promise((r) => setTimeout(r, 1200));
    await click('#agent-play');
    const wall = (Date.now() - t0) / 1000;
    s = await shown();
    expect(s.data.playing).toBe('false');
    expect(s.frame).toBeGreaterThanOrEqual(3);
    expect(s.frame).toBeLessThanOrEqual(Math.ceil(12.5 * wall) + 1);
    const paused = s.frame;
    await new Promise((r) => setTimeout(r, 400));
    expectFrame(await shown(), tr, paused);

    // at 2× it runs to the last step and stops there
    await setControl('#agent-speed', '2', 'change');
    await click('#agent-play');
    await page.waitForFunction((a) => (window as any).__q(...a).dataset.playing === 'false', { timeout: 10_000, polling: 50 }, AGENT);
    expectFrame(await shown(), tr, T - 1);

    // zoom scales the canvas
    expect(s.canvasWidth).toBe('320px');
    await setControl('#agent-zoom', '2', 'change');
    s = await shown();
    expect(s.data.zoom).toBe('2');
    expect(s.canvasWidth).toBe('640px');

    // another env from the grid: the readout follows its trajectory
    await click('canvas.thumb[data-env="2"]');
    const tr2 = await trajectory(2);
    s = await shown();
    expect(s.data.selected).toBe('2');
    await click('#agent-first');
    await click('#agent-step');
    expectFrame(await shown(), tr2, 1);
    await screenshot(page, 'agent-view');
    expect(errors).toEqual([]);
  });

  it('on the WebGPU engine in the page: the worker reads the trajectory back from the device', async () => {
    const steps = 32;
    await page.goto(`${url}/?page=trainer&env=cartpole&backend=gpu&numEnvs=4&numSteps=${steps}&totalSteps=${4 * steps * 2}&hidden=16&varianceEvery=0&seed=5&estimators=ppo`, { waitUntil: 'load' });
    await trainAndAwaitTrajectories(120_000);
    expect(await page.evaluate((s) => (window as any).__q(...s)?.dataset.backend, [...PAGE, '#backends [data-backend]'])).toBe('gpu');
    for (const env of [0, 3]) {
      const tr = await trajectory(env);
      expect(tr.T).toBe(steps);
      expect(tr.rewards.every((r) => r === 1)).toBe(true);
      for (let t = 0; t < steps; t++) {
        expect(tr.probs[2 * t] + tr.probs[2 * t + 1]).toBeCloseTo(1, 5);
        // log π(a|s) recorded by the rollout kernel = log of the host-side π of the collecting θ
        expect(Math.log(tr.probs[2 * t + tr.actions[t]])).toBeCloseTo(tr.logProb[t], 4);
      }
    }
    await click('#agent-step');
    expectFrame(await shown(), await trajectory(0), 1);
    expect(errors).toEqual([]);
  });
});
