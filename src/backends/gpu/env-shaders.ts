/**
 * The WGSL twins of the environments (shaders/envs/<name>.wgsl) and how a kernel is composed with one:
 *   code = rng.wgsl + math.wgsl + envs/common.wgsl + envs/<name>.wgsl (+ the kernel's own file)
 * and the env's parameters become pipeline constants: `override <env>_<param>: f32` for every key of
 * `EnvDef.params` (so a `makeEnv(name, overrides)` variant runs unchanged on the GPU). A parameter
 * present on one side only is an error (drift between the TS env and its twin).
 */
import rngCode from '../../../shaders/rng.wgsl?raw';
import mathCode from '../../../shaders/math.wgsl?raw';
import commonCode from '../../../shaders/envs/common.wgsl?raw';
import banditCode from '../../../shaders/envs/bandit.wgsl?raw';
import twostateCode from '../../../shaders/envs/twostate.wgsl?raw';
import corridorCode from '../../../shaders/envs/corridor.wgsl?raw';
import cartpoleCode from '../../../shaders/envs/cartpole.wgsl?raw';
import pendulumCode from '../../../shaders/envs/pendulum.wgsl?raw';
import limitorderCode from '../../../shaders/envs/limitorder.wgsl?raw';
import type { EnvDef, EnvName } from '../../core/types';
import { parseWgslOverrides } from './dispatch';

export const ENV_WGSL: Readonly<Record<EnvName, string>> = {
  bandit: banditCode,
  twostate: twostateCode,
  corridor: corridorCode,
  cartpole: cartpoleCode,
  pendulum: pendulumCode,
  limitorder: limitorderCode,
};

/** rng + math + the env interface: what every env-composed kernel starts with. */
export const ENV_PRELUDE = rngCode + '\n' + mathCode + '\n' + commonCode + '\n';

export interface EnvModule {
  /** prelude + the env's twin; append the kernel's WGSL */
  code: string;
  /** `<env>_<param>` → value for every parameter */
  constants: Record<string, number>;
}

/** The override names of an env's twin that carry its parameters. */
export function envOverrideNames(name: EnvName): string[] {
  return parseWgslOverrides(ENV_WGSL[name]).filter((n) => n.startsWith(`${name}_`));
}

export function envModule(env: EnvDef<any>): EnvModule {
  const declared = new Set(envOverrideNames(env.name));
  const constants: Record<string, number> = {};
  for (const [k, v] of Object.entries(env.params as Record<string, number>)) {
    const id = `${env.name}_${k}`;
    if (!declared.has(id)) throw new Error(`shaders/envs/${env.name}.wgsl has no override ${id} for the parameter ${k}`);
    constants[id] = v;
    declared.delete(id);
  }
  if (declared.size) throw new Error(`shaders/envs/${env.name}.wgsl declares ${[...declared].join(', ')} but ${env.name}'s params lack them`);
  return { code: ENV_PRELUDE + ENV_WGSL[env.name] + '\n', constants };
}
