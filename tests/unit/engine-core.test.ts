/**
 * The engine core both backends use (src/backends/core.ts): the update plan per algorithm, the GPU
 * learner's options derived from it, the learning-rate schedule, snapshot validation, and the named
 * readback layouts of the GPU engine (src/backends/gpu/learn/layout.ts).
 */
import { describe, expect, it } from 'vitest';
import { validateConfig, type Config } from '../../src/core/config';
import { CheckpointError } from '../../src/core/errors';
import { ALGOS, type EngineSnapshot } from '../../src/core/types';
import { assembleStats, lrAt, shuffleStreamOf, updatePlan, validateSnapshot } from '../../src/backends/core';
import { learnerOptionsFor } from '../../src/backends/gpu/learn/learner';
import {
  ENGINE_READBACK, EPISODE_RECORD, EPISODE_STATS_BYTES, LEARN_STATS, readField, STATS_FIELDS, STATS_FLOATS, statIndex, writeField,
} from '../../src/backends/gpu/learn/layout';
import { EPISODE_FLOATS } from '../../src/backends/gpu/dispatch';

const cfg = (c: Partial<Config>): Config => validateConfig(c as Record<string, unknown>);

describe('update plan: one decision per algorithm, for both engines', () => {
  it('PPO: GAE Ψ and λ-return targets, the config epochs / minibatches / normalisation / KL terms', () => {
    const c = cfg({ env: 'cartpole', algo: 'ppo', lambda: 0.9, epochs: 3, minibatches: 2, klCoef: 0.1, targetKl: 0.02 });
    expect(updatePlan(c)).toEqual({
      psiKind: 'gae', loss: 'ppo', epochs: 3, minibatches: 2, normAdv: c.normAdv, klCoef: 0.1, targetKl: 0.02, targetLambda: 0.9, runningBaseline: false,
    });
  });

  it.each([
    ['reinforce', 1],
    ['reinforce-rtg', 1],
    ['reinforce-baseline', 1],
    ['actor-critic', 0],
    ['gae', 0.8],
  ] as const)('%s: one full-batch −Ψ log π step, critic target λ = %s', (algo, targetLambda) => {
    const p = updatePlan(cfg({ env: 'cartpole', algo, lambda: 0.8, klCoef: 0.5, targetKl: 0.01, epochs: 4, minibatches: 4 }));
    expect(p).toMatchObject({ psiKind: algo, loss: 'pg', epochs: 1, minibatches: 1, normAdv: false, klCoef: 0, targetKl: 0, targetLambda });
    expect(p.runningBaseline).toBe(algo === 'reinforce-baseline');
  });

  it.each(ALGOS)('%s: the GPU learner options are the plan', (algo) => {
    const c = cfg({ env: 'pendulum', algo, lambda: 0.7 });
    const p = updatePlan(c);
    const o = learnerOptionsFor(c);
    for (const k of ['psiKind', 'loss', 'epochs', 'minibatches', 'normAdv', 'klCoef', 'targetKl', 'targetLambda'] as const) expect(o[k], k).toBe(p[k]);
  });

  it('learning rate: constant, or CleanRL linear annealing; shuffle streams advance by epochs', () => {
    const c = cfg({ env: 'cartpole', lr: 1e-3, annealLr: true });
    expect(lrAt(c, 0, 10)).toBeCloseTo(1e-3, 12);
    expect(lrAt(c, 9, 10)).toBeCloseTo(1e-4, 12);
    expect(lrAt({ ...c, annealLr: false }, 9, 10)).toBe(1e-3);
    expect(shuffleStreamOf(updatePlan(cfg({ env: 'cartpole', algo: 'ppo', epochs: 4 })), 3)).toBe(12);
  });

  it('stats: NaN episode figures when no episode finished', () => {
    const ls = { policyLoss: 1, valueLoss: 2, entropy: 3, approxKl: 4, clipFrac: 0.5, explainedVariance: 0.25, gradNorm: 6, epochsRun: 1, nonFinite: false };
    const inForce = { lambda: 0.9, entCoef: 0.02, clip: 0.3 };
    const s = assembleStats(2, 64, { sumReturn: 0, sumLength: 0, count: 0, min: 3e38, max: -3e38 }, ls, 1e-3, inForce);
    expect([s.episodicReturn, s.episodicReturnMin, s.episodicReturnMax]).toEqual([NaN, NaN, NaN]);
    const t = assembleStats(2, 64, { sumReturn: 30, sumLength: 12, count: 3, min: 2, max: 20 }, ls, 1e-3, inForce);
    expect([t.episodicReturn, t.episodicLength, t.episodicReturnMin, t.episodicReturnMax, t.episodes, t.lr]).toEqual([10, 4, 2, 20, 3, 1e-3]);
    expect([t.lambda, t.entCoef, t.clip]).toEqual([0.9, 0.02, 0.3]);
  });

  it('snapshot validation names what does not fit', () => {
    const snap: EngineSnapshot = {
      update: 1, envSteps: 8, params: new Float32Array(5), adamM: new Float32Array(5), adamV: new Float32Array(5), adamT: 1,
      state: { envState: new Float32Array(2 * 3), envStep: new Uint32Array(2), epReturn: new Float64Array(2), epLength: new Uint32Array(2) },
      scalars: {},
    };
    expect(validateSnapshot(snap, { paramCount: 5, numEnvs: 2, stateDim: 3 }).envStep).toBe(snap.state.envStep);
    expect(() => validateSnapshot(snap, { paramCount: 6, numEnvs: 2, stateDim: 3 })).toThrow(CheckpointError);
    expect(() => validateSnapshot(snap, { paramCount: 5, numEnvs: 3, stateDim: 3 })).toThrow(/envState must be Float32Array\[9\]/);
    expect(() => validateSnapshot({ ...snap, state: { ...snap.state, epReturn: new Float32Array(2) } }, { paramCount: 5, numEnvs: 2, stateDim: 3 })).toThrow(/epReturn must be Float64Array/);
  });
});

describe('GPU readbacks have named layouts', () => {
  it('learner statistics: one slot of STATS_FLOATS f32 in STATS_FIELDS order', () => {
    expect(STATS_FLOATS).toBe(8);
    expect(LEARN_STATS.size).toBe(STATS_FLOATS * 4);
    STATS_FIELDS.forEach((f, k) => expect(statIndex(f)).toBe(k));
    expect(statIndex('gradNorm')).toBe(5);
  });

  it('engine staging: episode statistics (32 B) then target sums (16 B); per-env episode records of EPISODE_FLOATS', () => {
    expect(EPISODE_STATS_BYTES).toBe(32);
    expect(ENGINE_READBACK.size).toBe(48);
    expect(EPISODE_RECORD.size).toBe(EPISODE_FLOATS * 4);
    const raw = new Float32Array([10, 20, 2, 0, -1, 7, 0, 0, 33, 11, 0, 0]);
    const got = ['sumReturn', 'sumLength', 'count', 'min', 'max', 'targetSum', 'validCount'].map((n) => readField(ENGINE_READBACK, raw, n));
    expect(got).toEqual([10, 20, 2, -1, 7, 33, 11]);
    const ep = new Float32Array(2 * EPISODE_FLOATS);
    writeField(EPISODE_RECORD, ep, 'runningReturn', 1.5, EPISODE_RECORD.size);
    writeField(EPISODE_RECORD, ep, 'max', -3e38, EPISODE_RECORD.size);
    expect(ep[EPISODE_FLOATS]).toBe(1.5);
    expect(ep[EPISODE_FLOATS + 5]).toBe(Math.fround(-3e38));
    expect(readField(EPISODE_RECORD, ep.subarray(EPISODE_FLOATS), 'runningReturn')).toBe(1.5);
  });
});
