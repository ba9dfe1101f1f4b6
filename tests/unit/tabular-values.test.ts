/**
 * setTabularValues (src/policy/layout.ts): V^π written into a tabular critic's table is what the
 * critic's forward pass reads back, and nothing else in θ moves.
 */
import { describe, expect, it } from 'vitest';
import { createWorkspace, criticForward, actorForward, netLayout, setTabularValues } from '../../src/policy';

describe('setTabularValues', () => {
  it('writes V(s) where criticForward reads it and leaves the actor alone', () => {
    const L = netLayout({ obsDim: 3, hidden: [], activation: 'tanh', head: { kind: 'tabular', nStates: 3, n: 2 } });
    const th = Float32Array.from([1, 2, 3, 4, 5, 6, -1, -2, -3]);
    setTabularValues(L, th, [0.5, 1.5, -2.5]);
    expect([...th]).toEqual([1, 2, 3, 4, 5, 6, 0.5, 1.5, -2.5]);
    const obs = Float32Array.from([0, 0, 1, 1, 0, 0, 0, 1, 0]); // rows 2, 0, 1
    const ws = createWorkspace(L, 3);
    const v = new Float32Array(3);
    const z = new Float32Array(6);
    criticForward(L, th, obs, 3, ws, v);
    actorForward(L, th, obs, 3, ws, z);
    expect([...v]).toEqual([-2.5, 0.5, 1.5]);
    expect([...z]).toEqual([5, 6, 1, 2, 3, 4]);
  });

  it('refuses an MLP layout, a wrong number of values and a short θ', () => {
    const mlp = netLayout({ obsDim: 2, hidden: [3], activation: 'tanh', head: { kind: 'softmax', n: 2 } });
    expect(() => setTabularValues(mlp, new Float32Array(mlp.total), [0, 0])).toThrow(/no value table/);
    const L = netLayout({ obsDim: 2, hidden: [], activation: 'tanh', head: { kind: 'tabular', nStates: 2, n: 2 } });
    expect(() => setTabularValues(L, new Float32Array(L.total), [1])).toThrow(/1 values for 2 table rows/);
    expect(() => setTabularValues(L, new Float32Array(4), [1, 2])).toThrow(/θ has 4 entries/);
  });
});
