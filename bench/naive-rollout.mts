/**
 * The straightforward baseline the CPU engine is compared with in the README: the same CartPole
 * rollout (same env functions, same network, same RNG keys) written the obvious way — one env at a
 * time, per-env state arrays, B = 1 forward passes, fresh arrays per step.
 *
 *   npx tsx bench/naive-rollout.mts [envs=64,1024,4096]
 */
import { validateConfig } from '../src/core/config';
import { Purpose, uniform4 } from '../src/core/rng';
import { createCpuEngine } from '../src/backends/cpu/engine';
import { makeEnv } from '../src/envs';
import { netLayout, netSpecFor } from '../src/policy/layout';
import { initParams } from '../src/policy/init';
import { actorForward, createWorkspace, criticForward } from '../src/policy/mlp';
import { categoricalLogProb, categoricalSample } from '../src/policy/heads';

function naiveCollect(N: number, T: number, seed: number) {
  const config = validateConfig({ numEnvs: N, numSteps: T, seed });
  const env = makeEnv('cartpole');
  const layout = netLayout(netSpecFor(env, config));
  const theta = initParams(layout, seed);
  const ws = createWorkspace(layout, 1);
  const states = Array.from({ length: N }, (_, e) => {
    const s = new Float32Array(env.stateDim);
    env.reset(s, 0, uniform4(seed, Purpose.Reset, e, 0, 0));
    return s;
  });
  const k = new Array<number>(N).fill(0);
  const traj: { obs: Float32Array; a: number; logp: number; r: number; v: number; done: boolean }[] = [];
  return () => {
    traj.length = 0;
    for (let t = 0; t < T; t++) {
      for (let e = 0; e < N; e++) {
        const obs = new Float32Array(env.obsDim);
        env.observe(states[e], 0, obs, 0);
        const v = new Float32Array(1);
        criticForward(layout, theta, obs, 1, ws, v);
        const z = new Float32Array(layout.headOutDim);
        actorForward(layout, theta, obs, 1, ws, z);
        const a = categoricalSample(z, 0, 2, uniform4(seed, Purpose.Action, e, k[e], 0)[0]);
        const out = { reward: 0, terminated: false, truncated: false };
        env.step(states[e], 0, [a], 0, uniform4(seed, Purpose.Env, e, k[e], 0), out);
        const next = new Float32Array(env.obsDim);
        env.observe(states[e], 0, next, 0);
        const nv = new Float32Array(1);
        criticForward(layout, theta, next, 1, ws, nv);
        traj.push({ obs, a, logp: categoricalLogProb(z, 0, 2, a), r: out.reward, v: v[0], done: out.terminated || out.truncated });
        k[e]++;
        if (out.terminated || out.truncated) env.reset(states[e], 0, uniform4(seed, Purpose.Reset, e, k[e], 0));
      }
    }
  };
}

async function time(fn: () => unknown | Promise<unknown>, steps: number): Promise<number> {
  await fn();
  let reps = 0;
  const t0 = performance.now();
  while (reps < 2 || performance.now() - t0 < 2000) {
    await fn();
    reps++;
  }
  return (reps * steps) / ((performance.now() - t0) / 1000);
}

const envCounts = (process.argv[2] ?? '64,1024,4096').split(',').map(Number);
console.log('envs  naive steps/s  engine steps/s  engine/naive   (CartPole rollout, 64-64 tanh, 128 steps)');
for (const N of envCounts) {
  const T = 128;
  const naive = await time(naiveCollect(N, T, 1), N * T);
  const engine = createCpuEngine(validateConfig({ numEnvs: N, numSteps: T, seed: 1 }));
  const fast = await time(() => engine.collect(), N * T);
  console.log(`${String(N).padStart(4)}  ${Math.round(naive).toString().padStart(13)}  ${Math.round(fast).toString().padStart(14)}  ${(fast / naive).toFixed(2).padStart(11)}×`);
}
