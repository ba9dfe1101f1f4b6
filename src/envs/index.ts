/**
 * The environment registry: `ENVS` (the default-parameter env of each name), `makeEnv(name, overrides)`
 * for a variant with other constants, and `tabularModelOf(env)` for the tiny envs' exact models.
 */
import { ConfigError, formatValue } from '../core/errors';
import { ENV_NAMES, type EnvDef, type EnvName } from '../core/types';
import { bandit, banditModel, makeBandit, type BanditParams } from './bandit';
import { cartpole, makeCartPole } from './cartpole';
import { corridor, corridorModel, makeCorridor, type CorridorParams } from './corridor';
import { limitorder, makeLimitOrder } from './limitorder';
import { makePendulum, pendulum } from './pendulum';
import type { TabularModel } from './tabular';
import { makeTwoState, twostate, twoStateModel, type TwoStateParams } from './twostate';

export type { Outcome, TabularModel, TabularEnvName } from './tabular';
export { checkModel } from './tabular';
export { banditModel, corridorModel, twoStateModel };
export { angleNormalize } from './pendulum';
export { fillProbability } from './limitorder';

/** Every environment with its default (Gymnasium's where applicable) parameters. */
export const ENVS: Readonly<Record<EnvName, EnvDef>> = Object.freeze({
  bandit,
  twostate,
  corridor,
  cartpole,
  pendulum,
  limitorder,
});

const FACTORIES: Record<EnvName, (o: Record<string, number>) => EnvDef> = {
  bandit: makeBandit,
  twostate: makeTwoState,
  corridor: makeCorridor,
  cartpole: makeCartPole,
  pendulum: makePendulum,
  limitorder: makeLimitOrder,
};

/**
 * The env called `name`; with `overrides`, a fresh env whose params are the defaults with those
 * replaced. Throws `ConfigError` for an unknown name, an unknown parameter or a non-finite value.
 */
export function makeEnv(name: string, overrides?: Readonly<Record<string, number>>): EnvDef {
  if (!(ENV_NAMES as readonly string[]).includes(name)) throw new ConfigError('env', name, `one of ${ENV_NAMES.join(', ')}`);
  const n = name as EnvName;
  if (!overrides || Object.keys(overrides).length === 0) return ENVS[n];
  const known = Object.keys(ENVS[n].params);
  for (const [k, v] of Object.entries(overrides)) {
    if (!known.includes(k)) {
      throw new ConfigError(`${n}.${k}`, v, `a parameter of ${n} (${known.join(', ')})`, `unknown ${n} parameter ${formatValue(k)} (known: ${known.join(', ')})`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`${n}.${k}`, v, 'a finite number');
  }
  return FACTORIES[n]({ ...overrides });
}

/** The exact tabular model of a tiny env (built from its params), or undefined for the others. */
export function tabularModelOf(env: EnvDef): TabularModel | undefined {
  switch (env.name) {
    case 'bandit':
      return banditModel(env.params as BanditParams);
    case 'twostate':
      return twoStateModel(env.params as TwoStateParams);
    case 'corridor':
      return corridorModel(env.params as CorridorParams);
    default:
      return undefined;
  }
}
