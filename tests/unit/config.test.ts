/** The one validation layer: the field table, string parsing, and a property test that it never throws anything but ConfigError. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allowedText, configFromStrings, defaultConfig, FIELD_NAMES, FIELDS, parseField, validateConfig } from '../../src/core/config';
import { ConfigError } from '../../src/core/errors';

describe('config schema', () => {
  it('defaults validate and match CleanRL PPO defaults', () => {
    const c = validateConfig({});
    expect(c).toEqual(defaultConfig());
    expect([c.gamma, c.lambda, c.lr, c.clip, c.entCoef, c.vfCoef, c.maxGradNorm, c.epochs, c.minibatches, c.adamEps]).toEqual([0.99, 0.95, 2.5e-4, 0.2, 0.01, 0.5, 0.5, 4, 4, 1e-5]);
  });

  it.each([
    [{ lambda: '2' }, 'lambda', /0 ≤ lambda ≤ 1/],
    [{ gamma: '-0.1' }, 'gamma', /0 ≤ gamma ≤ 1/],
    [{ lr: '0' }, 'lr', /0 < lr ≤ 1/],
    [{ lr: 'NaN' }, 'lr', /0 < lr/],
    [{ lr: 'Infinity' }, 'lr', /0 < lr/],
    [{ numEnvs: '0' }, 'numEnvs', /integer 1 ≤ numEnvs/],
    [{ numEnvs: '-3' }, 'numEnvs', /integer/],
    [{ numEnvs: '2.5' }, 'numEnvs', /integer/],
    [{ totalSteps: '0' }, 'totalSteps', /1 ≤ totalSteps/],
    [{ clip: '0' }, 'clip', /0 < clip/],
    [{ hidden: '' }, 'hidden', /comma-separated integers/],
    [{ hidden: '64,0' }, 'hidden', /each 1–1024/],
    [{ hidden: 'a,b' }, 'hidden', /comma-separated/],
    [{ env: 'mountaincar' }, 'env', /one of bandit, twostate/],
    [{ algo: 'dqn' }, 'algo', /one of reinforce/],
    [{ backend: 'tpu' }, 'backend', /one of cpu, gpu/],
    [{ annealLr: 'maybe' }, 'annealLr', /true or false/],
    [{ minibatches: '100', numEnvs: '2', numSteps: '8' }, 'minibatches', /≤ envs × num-steps = 16/],
  ])('%j → ConfigError naming %s and the allowed range', (input, field, allowed) => {
    let err: unknown;
    try {
      configFromStrings(input as Record<string, string>);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const ce = err as ConfigError;
    expect(ce.field).toBe(field);
    expect(ce.message).toMatch(allowed);
    expect(ce.message).toContain(field);
  });

  it('rejects unknown keys in config objects and strings', () => {
    expect(() => validateConfig({ learningRate: 1 })).toThrow(/unknown field "learningRate"/);
    expect(() => configFromStrings({ '<script>': '1' })).toThrow(ConfigError);
  });

  it('every field documents an allowed range and a default that validates', () => {
    for (const k of FIELD_NAMES) {
      expect(allowedText(k).length).toBeGreaterThan(5);
      expect(FIELDS[k].doc.length).toBeGreaterThan(3);
    }
  });

  it('property: any string for any field either parses to a valid config or gives a ConfigError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIELD_NAMES), fc.oneof(fc.string(), fc.double().map(String), fc.integer().map(String), fc.constantFrom('1e309', '-0', ' 4 ', '0x10', '1,2,3', 'true')), (name, text) => {
        try {
          const c = configFromStrings({ [name]: text });
          // what parsed is what validation accepts
          expect(validateConfig(c as unknown as Record<string, unknown>)).toEqual(c);
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          expect(e.field).toBe(name === 'minibatches' ? 'minibatches' : name);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('property: any JSON value as a config object is accepted or rejected with a ConfigError', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...FIELD_NAMES, 'junk'), fc.jsonValue()), (obj) => {
        try {
          validateConfig(obj as Record<string, unknown>);
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('parseField reads numbers, lists and booleans as people type them', () => {
    expect(parseField('lr', ' 3e-4 ')).toBe(3e-4);
    expect(parseField('hidden', '32, 16')).toEqual([32, 16]);
    expect(parseField('normAdv', 'false')).toBe(false);
    expect(() => parseField('lr', '0x10')).toThrow(ConfigError);
  });
});
