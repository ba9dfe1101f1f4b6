/**
 * The agent view's pictures (src/ui/agent/draw.ts) against hand-derived geometry: where the cart, the
 * pole's tip, the track limits, the pendulum rod and its torque arc, the corridor agent and the
 * bandit/two-state markers must be for given observations and states; the limit-order fills against
 * the env's own step function; `paint` replays the shapes on a recording context.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/config';
import { Purpose, uniform4 } from '../../src/core/rng';
import type { EnvName, StepResult, Trajectory } from '../../src/core/types';
import { createCpuEngine } from '../../src/backends/cpu/engine';
import { makeEnv } from '../../src/envs';
import {
  CORRIDOR_GEOMETRY, LIMITORDER_GEOMETRY, PENDULUM_GEOMETRY, SCENE_W, cartpoleGeometry, episodeStart, frameOf, limitOrderStep, paint, priceY, scene, stepSeconds,
  type Ctx2D, type Shape,
} from '../../src/ui/agent/draw';

/** A one-step (or few-step) trajectory with the given rows (no engine: the geometry alone). */
function fake(envName: EnvName, rows: { obs: number[]; state?: number[]; action: number[]; reward?: number; terminated?: boolean }[]): Trajectory {
  const env = makeEnv(envName);
  const T = rows.length;
  const cat = (f: (r: (typeof rows)[number]) => number[], w: number) => Float32Array.from(rows.flatMap((r) => { const v = f(r); return v.length ? v : new Array(w).fill(0); }));
  return {
    envName, env: 0, T, obsDim: env.obsDim, actDim: env.actDim, stateDim: env.stateDim, k0: 0, gamma: 0.99, lambda: 0.95,
    obs: cat((r) => r.obs, env.obsDim),
    actions: cat((r) => r.action, env.actDim),
    states: cat((r) => r.state ?? [], env.stateDim),
    dist: { kind: 'categorical', n: 2, probs: new Float32Array(2 * T) },
    logProb: new Float32Array(T), values: new Float32Array(T), nextValues: new Float32Array(T),
    rewards: Float32Array.from(rows.map((r) => r.reward ?? 0)),
    terminated: Uint8Array.from(rows.map((r) => (r.terminated ? 1 : 0))),
    truncated: new Uint8Array(T),
    advantages: new Float32Array(T),
  };
}

const byId = (shapes: Shape[], id: string) => {
  const s = shapes.find((x) => x.id === id);
  if (!s) throw new Error(`no shape ${id}`);
  return s as Extract<Shape, { kind: typeof s.kind }> & Record<string, number>;
};

describe('agent pictures', () => {
  it('cartpole: cart at x, pole tip at angle θ (θ > 0 leans right), limits at ±2.4, push arrow', () => {
    const g = cartpoleGeometry();
    expect(g.scale).toBeCloseTo(SCENE_W / 6, 12); // the track spans ±1.25·2.4 = ±3 world units
    const shapes = scene(fake('cartpole', [{ obs: [1.2, 0, 0.1, 0], action: [1] }]), 0);
    const cart = byId(shapes, 'cart');
    expect(cart.x + cart.w / 2).toBeCloseTo(160 + 1.2 * (320 / 6), 4);
    const pole = byId(shapes, 'pole');
    const L = 1.0 * (320 / 6); // 2 × half-length 0.5, in px
    expect(pole.x2 - pole.x1).toBeCloseTo(L * Math.sin(0.1), 4);
    expect(pole.y1 - pole.y2).toBeCloseTo(L * Math.cos(0.1), 4);
    expect(pole.x2).toBeGreaterThan(pole.x1);
    expect(byId(shapes, 'limit-left').x1).toBeCloseTo(160 - 2.4 * (320 / 6), 4);
    expect(byId(shapes, 'limit-right').x1).toBeCloseTo(160 + 2.4 * (320 / 6), 4);
    const push = byId(shapes, 'push');
    expect(push.x2).toBeGreaterThan(push.x1); // action 1 pushes right
    const left = byId(scene(fake('cartpole', [{ obs: [0, 0, -0.2, 0], action: [0] }]), 0), 'push');
    expect(left.x2).toBeLessThan(left.x1);
  });

  it('pendulum: rod at θ from cos/sin (0 = up), torque arc clipped to ±2 with the sign of u', () => {
    const g = PENDULUM_GEOMETRY;
    const at = (theta: number, u: number) => scene(fake('pendulum', [{ obs: [Math.cos(theta), Math.sin(theta), 0], action: [u] }]), 0);
    const up = byId(at(0, 0), 'rod');
    expect([up.x2, up.y2].map((v) => Math.round(v * 1e4) / 1e4)).toEqual([g.x, g.y - g.len]);
    const right = byId(at(Math.PI / 2, 0), 'rod');
    expect(right.x2).toBeCloseTo(g.x + g.len, 4);
    expect(right.y2).toBeCloseTo(g.y, 4);
    const down = byId(at(3, 0), 'rod');
    expect(down.y2).toBeGreaterThan(g.y); // |θ| > π/2 hangs below the pivot
    const big = byId(at(0, 3), 'torque');
    expect(big.a1 - big.a0).toBeCloseTo(0.75 * Math.PI, 6); // u = 3 clipped to the max torque 2
    const neg = byId(at(0, -1), 'torque');
    expect(neg.a1 - neg.a0).toBeCloseTo(-0.375 * Math.PI, 6);
    expect(neg.a0).toBeCloseTo(-Math.PI / 2, 6); // starts at the rod (canvas angle of "up")
  });

  it('corridor, bandit, twostate: the agent, the switched cell, the goal, the pulled arm, the current state', () => {
    const c = scene(fake('corridor', [{ obs: [1], state: [2, 5], action: [1] }]), 0);
    expect(byId(c, 'agent').x).toBe(CORRIDOR_GEOMETRY.x0 + 2.5 * CORRIDOR_GEOMETRY.w);
    expect(byId(c, 'switched').x).toBe(CORRIDOR_GEOMETRY.x0 + CORRIDOR_GEOMETRY.w);
    expect(byId(c, 'goal').x).toBe(CORRIDOR_GEOMETRY.x0 + 3 * CORRIDOR_GEOMETRY.w);
    expect((byId(c, 'pressed') as unknown as { text: string }).text).toMatch(/right/);
    const b = scene(fake('bandit', [{ obs: [1], state: [0], action: [1], reward: 1, terminated: true }]), 0);
    expect(byId(b, 'arm-1').stroke).not.toBe(byId(b, 'arm-0').stroke);
    expect((byId(b, 'payout') as unknown as { text: string }).text).toBe('reward 1');
    const s = scene(fake('twostate', [{ obs: [0, 1], state: [1, 3], action: [0] }]), 0);
    expect(byId(s, 'current').x).toBeGreaterThan(byId(s, 'state-0').x);
    const arrow = byId(s, 'action');
    expect(arrow.x2).toBeLessThan(arrow.x1); // from s1 towards s0
  });

  it('limitorder: fills, order and price path agree with the env stepped from the recorded states', async () => {
    const config = validateConfig({ env: 'limitorder', numEnvs: 2, numSteps: 24, seed: 6, hidden: [8], backend: 'cpu' });
    const engine = createCpuEngine(config);
    await engine.collect();
    const tr = await engine.trajectory(1);
    const env = makeEnv('limitorder');
    const out: StepResult = { reward: 0, terminated: false, truncated: false };
    let fills = 0;
    let misses = 0;
    for (let t = 0; t < tr.T; t++) {
      const s = tr.states.slice(t * 3, t * 3 + 3);
      const q = s[0];
      env.step(s, 0, tr.actions, 2 * t, uniform4(config.seed, Purpose.Env, 1, tr.k0 + t, 0), out);
      expect(Math.fround(out.reward)).toBe(tr.rewards[t]);
      const st = limitOrderStep(frameOf(tr, t));
      expect(st.filled).toBe(s[0] < q);
      if (st.filled) fills++;
      else misses++;
      expect(st.q).toBeCloseTo(q, 6);
      expect(st.size).toBeCloseTo(Math.min(Math.max(tr.actions[2 * t], 0), 1) * q, 6);
    }
    expect(fills).toBeGreaterThan(0);
    expect(misses).toBeGreaterThan(0);
    // the price path holds one point per step of the episode so far
    const t = tr.T - 1;
    const path = byId(scene(tr, t), 'price') as unknown as { points: number[] };
    expect(path.points.length).toBe(2 * (t - episodeStart(tr, t) + 1));
    const last = limitOrderStep(frameOf(tr, t));
    expect(path.points[path.points.length - 1]).toBeCloseTo(priceY(last.mid), 6);
    expect(priceY(1)).toBe(LIMITORDER_GEOMETRY.yMid);
  });

  it('episode starts, clocks, and paint on a recording context', () => {
    const tr = fake('corridor', [0, 1, 2, 3, 4].map((i) => ({ obs: [1], state: [0, i], action: [1], terminated: i === 1 })));
    expect([0, 1, 2, 3, 4].map((t) => episodeStart(tr, t))).toEqual([0, 0, 2, 2, 2]);
    expect(stepSeconds('cartpole')).toBe(0.02);
    expect(stepSeconds('pendulum')).toBe(0.05);
    expect(stepSeconds('limitorder')).toBeNull();
    const calls: string[] = [];
    const rec = new Proxy({} as Record<string, unknown>, {
      get: (o, k: string) => (k in o ? o[k] : (...a: number[]) => calls.push(`${k}(${a.map((x) => (typeof x === 'number' ? Math.round(x) : x)).join(',')})`)),
      set: (o, k: string, v) => ((o[k] = v), true),
    }) as unknown as Ctx2D;
    const shapes = scene(fake('cartpole', [{ obs: [0, 0, 0, 0], action: [1] }]), 0);
    paint(rec, shapes, 2);
    expect(calls[0]).toBe('save()');
    expect(calls).toContain('scale(2,2)');
    const pole = byId(shapes, 'pole');
    expect(calls).toContain(`moveTo(${Math.round(pole.x1)},${Math.round(pole.y1)})`);
    expect(calls).toContain(`lineTo(${Math.round(pole.x2)},${Math.round(pole.y2)})`);
    const cart = byId(shapes, 'cart');
    expect(calls).toContain(`fillRect(${Math.round(cart.x)},${Math.round(cart.y)},${cart.w},${cart.h})`);
    expect(calls[calls.length - 1]).toBe('restore()');
  });
});
