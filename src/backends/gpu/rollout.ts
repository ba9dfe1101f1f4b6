/**
 * The rollout side of the GPU engine: the fused rollout kernel (shaders/rollout.wgsl composed with the
 * env's twin), its first-reset entry point, the per-update episode-statistics reduction, and the
 * buffers they own. Everything stays on the device; `encode*` methods record into the caller's
 * command encoder (one submit per update is the engine's business).
 *
 * Kernel variants (ROLLOUT_VARIANTS, option `variant`): the net code appended to rollout.wgsl —
 * 'unrolled' (`unrolledNetWgsl`: straight-line actor and critic for the network's shapes, weights read
 * at constant indices, activations in named vec4 values), 'subgroup' (`subgroupNetWgsl`: loops over
 * output blocks, each weight block loaded once per subgroup and broadcast to its lanes; needs
 * subgroups of 4+ lanes) or 'loop' (block loops over a private activation array).
 * `rolloutVariantsFor(layout, rolloutTraits(device))` lists those offered, best guess first (the
 * default); every offered one is safe to time. On lavapipe (8-wide) 'subgroup' runs the 64-64 CartPole
 * rollout ≈ 2.2× faster than 'loop'; 'unrolled' is not offered there: compiled afresh it takes minutes
 * to gigabytes (UNROLL_MAX_BLOCKS_LLVMPIPE). On SwiftShader 'loop' wins from 32-wide layers on and
 * 'unrolled' is offered only for tiny nets (64-64 crashes that driver's compiler).
 * The whole rollout is one dispatch unless `stepsPerDispatch` splits it (t_begin / t_end chunks; kept
 * for drivers with a dispatch watchdog, and exercised by the parity tests).
 *
 * Seeds (`seeds`, one θ buffer each): S seed slots run in the same dispatches, slot b = workgroup_id.z
 * with its own θ, RNG seed and N envs; each buffer below holds S blocks (slotStrides: 256-byte aligned,
 * so `slotBuffers(b)` can bind slot b's [T][N] blocks for that seed's learner). One seed: one block.
 *
 * Buffer contract per slot (time-major [T][N], index t·N + e; see dispatch.ts `rolloutSizes`):
 *   obs [T][N][obsDim] f32 · actions [T][N][actDim] f32 (discrete: the index as a float)
 *   traj: one buffer with four f32 planes [T][N] at 256-byte aligned offsets, exposed as bindings
 *         logp, values, rewards, nextValues (GPUBufferBinding: {buffer, offset, size})
 *   flags [T][N] u32 (bit0 terminated, bit1 truncated)
 *   envState [N][stateDim] f32, stepCount [N] u32, episode [N] vec4 (running return, Σ finished
 *   returns, Σ finished lengths, finished count) — persist between rollouts
 *   stats: vec4 (Σ returns, Σ lengths, count, 0) of the episodes that finished in the last rollout
 *   params: θ (f32, layout.ts), owned by the engine and shared with the learner.
 */
import rolloutCode from '../../../shaders/rollout.wgsl?raw';
import statsCode from '../../../shaders/episode_stats.wgsl?raw';
import packCode from '../../../shaders/pack_weights.wgsl?raw';
import { ConfigError } from '../../core/errors';
import type { Config } from '../../core/config';
import type { EnvDef } from '../../core/types';
import type { NetLayout } from '../../policy/layout';
import {
  BINDING_OFFSET_ALIGN, StructLayout, TRAJ_PLANES, UniformWriter, alignTo, ceilDiv, packTable, packedLayout, rolloutSizes, sharedLoadLanes,
  type PackedLayout, type RolloutSizes, type TrajPlane,
} from './dispatch';
import { envModule } from './env-shaders';
import type { PipelineCache } from './pipeline-cache';
import { Program, type NamedBinding } from './program';

/** The widest layer the kernel's private activation vectors hold (MAX_WIDTH in rollout.wgsl). */
export const ROLLOUT_MAX_WIDTH = 256;
/** Dense layers per net the kernel supports (MAX_LAYERS in rollout.wgsl: 4 hidden + output). */
export const ROLLOUT_MAX_LAYERS = 5;
/** Most actor outputs (logits / means) the kernel holds (MAX_HEAD in rollout.wgsl). */
export const ROLLOUT_MAX_HEAD = 16;

/** The uniform struct of rollout.wgsl (pinned to the WGSL declaration by tests/unit/gpu-dispatch.test.ts). */
export const ROLLOUT_PARAMS = new StructLayout([
  ['num_envs', 'u32'],
  ['num_steps', 'u32'],
  ['t_begin', 'u32'],
  ['t_end', 'u32'],
  ['traj_stride', 'u32'],
  ['reset_stats', 'u32'],
  ['obs_block', 'u32'],
  ['act_block', 'u32'],
  ['traj_block', 'u32'],
  ['flags_block', 'u32'],
  ['zero', 'u32'],
  ['pad1', 'u32'],
]);
export const STATS_PARAMS = new StructLayout([['num_envs', 'u32']]);
export const PACK_PARAMS = new StructLayout([
  ['total', 'u32'],
  ['theta_len', 'u32'],
  ['theta_len16', 'u32'],
  ['num_layers', 'u32'],
]);

const ROLLOUT_BINDINGS: readonly NamedBinding[] = [
  { name: 'ro', kind: 'uniform' },
  { name: 'packed', kind: 'read-only-storage' },
  { name: 'envState', kind: 'storage' },
  { name: 'stepCount', kind: 'storage' },
  { name: 'episode', kind: 'storage' },
  { name: 'obs', kind: 'storage' },
  { name: 'actions', kind: 'storage' },
  { name: 'traj', kind: 'storage' },
  { name: 'flags', kind: 'storage' },
  { name: 'seeds', kind: 'read-only-storage' },
];

/**
 * The override constants that shape rollout.wgsl for a network (pure; unit-tested):
 * HEAD_KIND, ACTIVATION, NUM_LAYERS, DIM_l (obsDim, hidden…, head outputs), AW_l / CW_l (first
 * packed 4×4 block of W_l of the actor / critic, dispatch.ts `packedLayout`), HEAD_OUT,
 * LOG_STD_OFFSET, CRITIC_OFFSET, N_STATES (θ offsets, read from the verbatim θ copy).
 * Throws ConfigError on `hidden` when a layer is wider than ROLLOUT_MAX_WIDTH.
 */
export function rolloutConstants(layout: NetLayout): Record<string, number> {
  const spec = layout.spec;
  const head = spec.head;
  const c: Record<string, number> = {
    HEAD_KIND: head.kind === 'softmax' ? 0 : head.kind === 'gaussian' ? 1 : 2,
    ACTIVATION: spec.activation === 'tanh' ? 0 : 1,
    NUM_LAYERS: layout.actorLayers.length,
    HEAD_OUT: layout.headOutDim,
    LOG_STD_OFFSET: Math.max(layout.logStdOffset, 0),
    CRITIC_OFFSET: layout.criticOffset,
    N_STATES: head.kind === 'tabular' ? head.nStates : 1,
  };
  if (layout.maxWidth > ROLLOUT_MAX_WIDTH) {
    throw new ConfigError('hidden', spec.hidden, `widths ≤ ${ROLLOUT_MAX_WIDTH} on the GPU backend`, `invalid hidden: [${spec.hidden.join(',')}] has a layer wider than ${ROLLOUT_MAX_WIDTH}, the GPU rollout kernel's limit (use the cpu backend or narrower layers)`);
  }
  if (layout.actorLayers.length > ROLLOUT_MAX_LAYERS) throw new ConfigError('hidden', spec.hidden, `at most ${ROLLOUT_MAX_LAYERS - 1} hidden layers`);
  if (layout.headOutDim > ROLLOUT_MAX_HEAD) throw new Error(`GPU rollout: ${layout.headOutDim} actor outputs > ${ROLLOUT_MAX_HEAD}`);
  const packed = packedLayout(layout);
  const actor = packed.layers.filter((l) => l.net === 0);
  const critic = packed.layers.filter((l) => l.net === 1);
  const dims = layout.actorLayers.length ? [layout.actorLayers[0].inDim, ...layout.actorLayers.map((l) => l.outDim)] : [spec.obsDim];
  for (let l = 0; l <= ROLLOUT_MAX_LAYERS; l++) c[`DIM_${l}`] = dims[l] ?? 0;
  for (let l = 0; l < ROLLOUT_MAX_LAYERS; l++) {
    c[`AW_${l}`] = actor[l]?.wBlock ?? 0;
    c[`CW_${l}`] = critic[l]?.wBlock ?? 0;
  }
  return c;
}

/**
 * The kernel variants (the net evaluation; the rest of the kernel is shared):
 *  - 'unrolled': the actor and critic as straight-line WGSL generated for the network's shapes
 *    (`unrolledNetWgsl`): activations in named vec4 values, every weight block read at a constant index
 *    of `packed` (dynamically uniform: one scalar load broadcast to the SIMD lanes), no private array;
 *  - 'loop': loops over the 4×4 blocks with the activations in a dynamically indexed private array
 *    (any width up to ROLLOUT_MAX_WIDTH; small code);
 *  - 'subgroup': `subgroupNetWgsl`, with every lane of a subgroup evaluating the nets together
 *    (rollout.wgsl UNIFORM_NETS).
 */
export const ROLLOUT_VARIANTS = ['unrolled', 'subgroup', 'loop'] as const;
export type RolloutVariant = (typeof ROLLOUT_VARIANTS)[number];

/** What the variant choice reads of the adapter (`rolloutTraits(device)`; a GPUAdapterInfo will do, without subgroups). */
export interface RolloutAdapterTraits {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  /**
   * Lanes the 'subgroup' variant shares weight loads across: the device's smallest subgroup size
   * (GPUAdapterInfo.subgroupMinSize) when it has the 'subgroups' feature, else 0 (`rolloutTraits`).
   */
  subgroupLanes?: number;
}

/** The traits of a device for the variant choice: its adapter info and the lanes of its subgroups. */
export function rolloutTraits(device: GPUDevice): RolloutAdapterTraits {
  const info = (device as { adapterInfo?: GPUAdapterInfo & { subgroupMinSize?: number } }).adapterInfo;
  const lanes = device.features.has('subgroups') ? (info?.subgroupMinSize ?? 0) : 0;
  return { vendor: info?.vendor, architecture: info?.architecture, device: info?.device, description: info?.description, subgroupLanes: lanes };
}

/**
 * Lanes per weight block load of the 'subgroup' variant (dispatch.ts `sharedLoadLanes`: 4, 8 or 16), or
 * 0 when subgroups are missing or narrower than 4 lanes.
 */
export function subgroupBlockLanes(info?: RolloutAdapterTraits): number {
  return sharedLoadLanes(info?.subgroupLanes ?? 0);
}

// SwiftShader, or an adapter not described (no info: the cautious choice, see rolloutVariantsFor)
const isSwiftShader = (info?: RolloutAdapterTraits): boolean =>
  !info || /swiftshader/i.test(`${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`);
// Mesa's lavapipe (llvmpipe)
const isLlvmpipe = (info?: RolloutAdapterTraits): boolean => !!info && /llvmpipe|lavapipe/i.test(`${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`);

/**
 * 4×4 weight blocks (W and b, actor + critic: Σ out4·(in4 + 1)) up to which 'unrolled' is offered.
 * 64-64 tanh CartPole has 642; compile time grows much faster than the code (128-128, ≈ 2 300 blocks,
 * ran past 10 minutes in LLVM). On the CPU drivers there are lower limits (below).
 */
export const UNROLL_MAX_BLOCKS = 700;
/**
 * The same on SwiftShader: its 'unrolled' kernel beats 'loop' only for tiny nets (16-16: 66 blocks);
 * from 32-32 on it is several times slower, and 64-64 crashes the process (segfault in the driver).
 */
export const UNROLL_MAX_BLOCKS_SWIFTSHADER = 96;
/**
 * The same on lavapipe: none. Compiled afresh (Mesa's on-disk shader cache empty, or a changed kernel),
 * the 'unrolled' rollout took 61–70 s to compile at 16-16 (66 blocks), more than 200 s at 32-32, and at
 * 64-64 ran past 16 GB of memory (measured 2026-12-01; the 'loop' kernel of 64-64: 3.9 s). The fast
 * 'unrolled' timings of earlier measurements came from kernels the cache already held.
 */
export const UNROLL_MAX_BLOCKS_LLVMPIPE = 0;

/** 4×4 weight blocks of the packed actor + critic (W and b). */
export function rolloutBlocks(layout: NetLayout): number {
  return packedLayout(layout).layers.reduce((a, l) => a + l.out4 * (l.in4 + 1), 0);
}

/**
 * The variants offered for a network on an adapter, in order of preference (the first is the
 * default): ['unrolled', 'subgroup', 'loop'], on lavapipe ['subgroup', 'loop'], on SwiftShader ['loop',
 * 'subgroup', 'unrolled'], with 'unrolled' left out above its block limit and 'subgroup' without
 * subgroups of 4+ lanes (`subgroupBlockLanes`) or an MLP. Every offered variant is safe to time
 * (autotune); tabular heads have no MLP, so there every variant is the same kernel. Pass the device's
 * traits (`rolloutTraits(device)`): without them the adapter is taken for SwiftShader, where a large
 * 'unrolled' kernel crashes the driver.
 */
export function rolloutVariantsFor(layout: NetLayout, info?: RolloutAdapterTraits): RolloutVariant[] {
  const ss = isSwiftShader(info);
  const unroll = rolloutBlocks(layout) <= (ss ? UNROLL_MAX_BLOCKS_SWIFTSHADER : isLlvmpipe(info) ? UNROLL_MAX_BLOCKS_LLVMPIPE : UNROLL_MAX_BLOCKS);
  const order: RolloutVariant[] = ss ? ['loop', 'subgroup', 'unrolled'] : isLlvmpipe(info) ? ['subgroup', 'loop'] : ['unrolled', 'subgroup', 'loop'];
  const sub = layout.actorLayers.length > 0 && subgroupBlockLanes(info) > 0;
  return order.filter((v) => (v !== 'unrolled' || unroll) && (v !== 'subgroup' || sub));
}

/** POLICYGRAD_ROLLOUT=unrolled|subgroup|loop in the environment (Node) forces a variant: for tests and A/B timings. */
export function rolloutVariantFromEnv(): RolloutVariant | undefined {
  const v = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.POLICYGRAD_ROLLOUT;
  if (!v) return undefined;
  if (!(ROLLOUT_VARIANTS as readonly string[]).includes(v)) throw new Error(`POLICYGRAD_ROLLOUT=${v}: expected one of ${ROLLOUT_VARIANTS.join(', ')}`);
  return v as RolloutVariant;
}

/** The default variant: POLICYGRAD_ROLLOUT when set and offered, else the first offered (rolloutVariantsFor). */
export function defaultRolloutVariant(layout: NetLayout, info?: RolloutAdapterTraits): RolloutVariant {
  const offered = rolloutVariantsFor(layout, info);
  const env = rolloutVariantFromEnv();
  return env && offered.includes(env) ? env : offered[0];
}

/**
 * WGSL of `net_critic(o) -> f32` and `net_actor(o, z)` for the 'unrolled' variant (pure): per dense
 * layer and output block o4, y = act(b + Σ_i4 M[o4, i4] · x[i4]) with two interleaved partial sums
 * (even / odd i4, for two independent FMA chains), M and b read from `packed` at constant block
 * indices (dispatch.ts `packedLayout`) past the seed slot's first block `pk` (rollout.wgsl: set at entry).
 */
export function unrolledNetWgsl(layout: NetLayout): string {
  const pk = packedLayout(layout);
  const gen = (net: 0 | 1): string[] => {
    const layers = pk.layers.filter((l) => l.net === net);
    const p = net === 0 ? 'a' : 'c';
    const out: string[] = [];
    let xs = netInput(out, p, layout.spec.obsDim);
    layers.forEach((l, li) => {
      const last = li === layers.length - 1;
      const ys: string[] = [];
      for (let o4 = 0; o4 < l.out4; o4++) {
        const madd = (i4: number, acc: string): string => `  s${i4 & 1} = ${acc} + packed[pk + ${l.wBlock + o4 * l.in4 + i4}u] * ${xs[i4]};`;
        out.push(madd(0, `packed[pk + ${l.bBlock + o4}u][0]`));
        out.push(l.in4 > 1 ? madd(1, 'vec4<f32>(0.0)') : '  s1 = vec4<f32>(0.0);');
        for (let i4 = 2; i4 < l.in4; i4++) out.push(madd(i4, `s${i4 & 1}`));
        const y = `${p}${li + 1}_${o4}`;
        out.push(last ? `  let ${y} = s0 + s1;` : `  let ${y} = activate(s0 + s1);`);
        ys.push(y);
      }
      xs = ys;
    });
    return out;
  };
  return netFunctions(layout, gen, ['// generated by rollout.ts `unrolledNetWgsl`'], ['  var s0 = vec4<f32>(0.0);', '  var s1 = vec4<f32>(0.0);']);
}

/**
 * The generated nets' input: the observation as named vec4 values `<p>0_<i4>` (zero-padded), their
 * declarations appended to `out`; returns their names.
 */
function netInput(out: string[], p: string, obsDim: number): string[] {
  const xs: string[] = [];
  for (let i4 = 0; i4 < Math.ceil(obsDim / 4); i4++) {
    const c = [0, 1, 2, 3].map((j) => (4 * i4 + j < obsDim ? `o[${4 * i4 + j}]` : '0.0'));
    out.push(`  let ${p}0_${i4} = vec4<f32>(${c.join(', ')});`);
    xs.push(`${p}0_${i4}`);
  }
  return xs;
}

/**
 * `net_critic` and `net_actor` around a generated body: `gen(net)` (0 actor, 1 critic) leaves layer L's
 * outputs in `<a|c><L>_<o4>`; `header` goes before the functions, `prologue` at the start of each.
 */
function netFunctions(layout: NetLayout, gen: (net: 0 | 1) => string[], header: string[], prologue: string[]): string {
  const lines = [...header, 'fn net_critic(o: EnvObs) -> f32 {', ...prologue];
  if (layout.criticLayers.length) lines.push(...gen(1), `  return c${layout.criticLayers.length}_0.x;`);
  else lines.push('  return 0.0;');
  lines.push('}', 'fn net_actor(o: EnvObs, z: ptr<function, HeadVec>) {', ...prologue);
  if (layout.actorLayers.length) {
    lines.push(...gen(0));
    const L = layout.actorLayers.length;
    for (let k = 0; k < layout.headOutDim; k++) lines.push(`  (*z)[${k}] = a${L}_${k >> 2}[${k & 3}];`);
  }
  lines.push('}', '');
  return lines.join('\n');
}

/**
 * WGSL of `net_critic(o) -> f32` and `net_actor(o, z)` for the 'subgroup' variant (pure), G lanes per
 * subgroup (`subgroupBlockLanes`: 4, 8 or 16). On a CPU driver (lavapipe) a load inside a loop is a
 * per-lane loop — one scalar load per SIMD lane, each with its own bounds check — even when every lane
 * reads the same address (measured: 64-64 CartPole rollout 4.2× slower than below), so a 4×4 block read
 * as `mat4x4` costs 16 such loads per lane for 16 multiply-adds. Here the weights a step needs are
 * listed as sets of blocks, and lane l loads column l mod 4 of block ⌊l/4⌋ of each group of G/4 blocks
 * as one vec4 (`loadSet`: the subgroup reads each float once, a lane's loop iteration brings 4 floats);
 * `subgroupBroadcast` of that vec4 hands the column to every lane. (Loading one float per lane — a
 * scalar per loop iteration — ran the 4096-env rollout 1.6× slower on lavapipe, 2026-12-02.)
 * Each layer's sum is the 'loop' variant's, M · x by columns:
 *   y = act(b[o4] + Σ_i4 M[o4, i4] · x[i4])
 * The first two layers are fused: a loop over layer 0's output blocks i4 computes h = act(b0[i4] +
 * M0[i4, ·] · x) and adds M1[o4, i4] · h into every output block o4 of layer 1, straight-line over o4
 * in named accumulators (layer 1's bias and activation after the loop). Deeper layers (the head, a third
 * hidden layer) loop over their output blocks o4, straight-line over the input blocks, each output
 * collected into its named value by `select(h, y, o4 == k)` (no private array: that would be a per-lane
 * load per read as well). Loop bounds have `ro.zero` added so that the compiler keeps them loops. Needs
 * every lane of the subgroup at the call (rollout.wgsl UNIFORM_NETS, prepended with the `enable
 * subgroups;` directive by rollout.ts).
 */
export function subgroupNetWgsl(layout: NetLayout, lanes: number): string {
  if (![4, 8, 16].includes(lanes)) throw new Error(`subgroupNetWgsl: ${lanes} lanes per block (4, 8 or 16)`);
  const G = lanes;
  // blocks per load: lane l of the subgroup loads column l mod 4 of block ⌊l/4⌋ of each group of G/4
  const per = G / 4;
  const pk = packedLayout(layout);
  // the blocks at θ block indices `addrs` (WGSL expressions), G/4 per vec4 load v<tag>_g (the lane's
  // block picked by select: its address is the lane's own in any case)
  const loadSet = (tag: string, addrs: string[], ind: string): string[] => {
    const out: string[] = [];
    for (let g = 0; g * per < addrs.length; g++) {
      const a = Array.from({ length: per }, (_, k) => addrs[Math.min(g * per + k, addrs.length - 1)]);
      const pick = per === 1 ? a[0] : per === 2 ? `select(${a[0]}, ${a[1]}, q == 1u)` : `select(select(${a[0]}, ${a[1]}, q == 1u), select(${a[2]}, ${a[3]}, q == 3u), q >= 2u)`;
      out.push(`${ind}let v${tag}_${g} = packed[${pick}][sl & 3u];`);
    }
    return out;
  };
  // column c of block k of a set: vec4 broadcast from the lane that loaded it
  const col = (tag: string, k: number, c: number): string => `subgroupBroadcast(v${tag}_${Math.floor(k / per)}, ${4 * (k % per) + c}u)`;
  const matvec = (tag: string, k: number, x: string): string =>
    `${col(tag, k, 0)} * ${x}.x + ${col(tag, k, 1)} * ${x}.y + ${col(tag, k, 2)} * ${x}.z + ${col(tag, k, 3)} * ${x}.w`;
  // output block r of layer l (r: a WGSL expression, the loop's index): the addresses of its bias block
  // (block 0 of the set) and of M[r, i] (blocks 1 … in4), and the sum s = b[r] + Σ_i M[r, i] · x[i]
  // over the input blocks xs (from a set loaded by loadSet('', …) with those blocks first)
  const rowAddrs = (l: PackedLayout['layers'][number], r: string): string[] =>
    [`pk + ${l.bBlock}u + ${r}`, ...Array.from({ length: l.in4 }, (_, i) => `pk + ${l.wBlock + i}u + ${r} * ${l.in4}u`)];
  const rowSum = (xs: string[], ind: string): string[] =>
    [`${ind}var s = ${col('', 0, 0)};`, ...xs.map((x, i) => `${ind}s = s + (${matvec('', 1 + i, x)});`)];
  const gen = (net: 0 | 1): string[] => {
    const layers = pk.layers.filter((l) => l.net === net);
    const p = net === 0 ? 'a' : 'c';
    const out: string[] = [];
    let xs = netInput(out, p, layout.spec.obsDim);
    // the first two layers fused: a loop over layer 0's output blocks i4 computes h = act(b0[i4] +
    // M0[i4, ·] · x) and adds M1[o4, i4] · h to every output block o4 of layer 1 (straight-line over
    // o4, named accumulators): layer 0's outputs are never collected, so no selects for them
    const fused = layers.length >= 2 ? 2 : 0;
    if (fused) {
      const [l0, l1] = layers;
      const last = layers.length === 2;
      const ys = Array.from({ length: l1.out4 }, (_, o4) => `${p}2_${o4}`);
      for (const y of ys) out.push(`  var ${y} = vec4<f32>(0.0);`);
      out.push(`  for (var i4 = 0u; i4 < ${l0.out4}u + ro.zero; i4++) {`);
      // the set: layer 0's row i4, then M1[o4, i4] for every o4
      out.push(...loadSet('', [...rowAddrs(l0, 'i4'), ...ys.map((_, o4) => `pk + ${l1.wBlock + o4 * l1.in4}u + i4`)], '    '));
      out.push(...rowSum(xs, '    '), '    let h = activate(s);');
      ys.forEach((y, o4) => out.push(`    ${y} = ${y} + (${matvec('', 1 + l0.in4 + o4, 'h')});`));
      out.push('  }');
      out.push(...loadSet(`b${p}`, ys.map((_, o4) => `pk + ${l1.bBlock + o4}u`), '  '));
      ys.forEach((y, o4) => out.push(`  ${y} = ${last ? '' : 'activate('}${y} + ${col(`b${p}`, o4, 0)}${last ? '' : ')'};`));
      xs = ys;
    }
    layers.slice(fused).forEach((l, k) => {
      const li = fused + k;
      const last = li === layers.length - 1;
      const ys = Array.from({ length: l.out4 }, (_, o4) => `${p}${li + 1}_${o4}`);
      for (const y of ys) out.push(`  var ${y} = vec4<f32>(0.0);`);
      out.push(`  for (var o4 = 0u; o4 < ${l.out4}u + ro.zero; o4++) {`);
      out.push(...loadSet('', rowAddrs(l, 'o4'), '    '), ...rowSum(xs, '    '));
      out.push(`    let y = ${last ? 's' : 'activate(s)'};`);
      ys.forEach((y, j) => out.push(`    ${y} = select(${y}, y, o4 == ${j}u);`));
      out.push('  }');
      xs = ys;
    });
    return out;
  };
  const header = [`// generated by rollout.ts \`subgroupNetWgsl\` (groups of ${G} lanes, one vec4 block column per lane)`, 'fn all_lanes(b: bool) -> bool { return subgroupAll(b); }'];
  // this lane's index in its group of G (every lane is active where the nets run)
  // q: the lane's block in a group of G/4 (loadSet's select; one block per group when G = 4)
  return netFunctions(layout, gen, header, [`  let sl = subgroupExclusiveAdd(1u) & ${G - 1}u;`, ...(per > 1 ? ['  let q = sl >> 2u;'] : [])]);
}

/**
 * The variant's code around rollout.wgsl: `head` goes before it (the `enable` directive and the
 * UNIFORM_NETS constant), `nets` after it (`net_critic`, `net_actor`, `all_lanes`).
 */
export function rolloutNetWgsl(layout: NetLayout, variant: RolloutVariant, info?: RolloutAdapterTraits): { head: string; nets: string } {
  if (variant === 'subgroup' && layout.actorLayers.length) {
    return { head: 'enable subgroups;\ndiagnostic(off, subgroup_uniformity);\nconst UNIFORM_NETS: bool = true;\n', nets: subgroupNetWgsl(layout, subgroupBlockLanes(info)) };
  }
  const head = 'const UNIFORM_NETS: bool = false;\n';
  const lanes = 'fn all_lanes(b: bool) -> bool { return b; }\n';
  if (variant === 'unrolled' && layout.actorLayers.length) return { head, nets: lanes + unrolledNetWgsl(layout) };
  return { head, nets: lanes + 'fn net_critic(o: EnvObs) -> f32 { return loop_critic(o); }\nfn net_actor(o: EnvObs, z: ptr<function, HeadVec>) { loop_actor(o, z); }\n' };
}

export interface GpuRolloutOptions {
  /** steps per dispatch (default: the whole rollout in one dispatch) */
  stepsPerDispatch?: number;
  /** lanes per workgroup (default 64) */
  workgroupSize?: number;
  /** kernel variant (default `defaultRolloutVariant(layout, rolloutTraits(device))`; one not offered is an error) */
  variant?: RolloutVariant;
}

/** The rollout buffers the learner reads (see the file comment): whole buffers, every seed slot. */
export interface RolloutBuffers {
  obs: GPUBuffer;
  actions: GPUBuffer;
  traj: GPUBuffer;
  logp: GPUBufferBinding;
  values: GPUBufferBinding;
  rewards: GPUBufferBinding;
  nextValues: GPUBufferBinding;
  flags: GPUBuffer;
  envState: GPUBuffer;
  stepCount: GPUBuffer;
  episode: GPUBuffer;
  stats: GPUBuffer;
}

/**
 * One seed slot's part of the rollout buffers: bindings of its [T][N] blocks for the learner, and the
 * byte offsets of its envs' persistent state and its episode statistics (for copies).
 */
export interface SlotBuffers {
  obs: GPUBufferBinding;
  actions: GPUBufferBinding;
  logp: GPUBufferBinding;
  values: GPUBufferBinding;
  rewards: GPUBufferBinding;
  nextValues: GPUBufferBinding;
  flags: GPUBufferBinding;
  /** byte offsets of the slot's first env in envState, stepCount, episode; of its vec4 pair in stats */
  at: { obs: number; actions: number; traj: number; flags: number; envState: number; stepCount: number; episode: number; stats: number };
}

/**
 * Bytes between seed slots in each rollout buffer (pure; unit-tested): the time-major outputs and the
 * packed weights are padded to BINDING_OFFSET_ALIGN so that each slot's block can be bound on its own
 * (the learner of that seed binds it); the per-env state is contiguous across slots (env b·N + e).
 */
export function slotStrides(s: RolloutSizes, packedFloats: number): { obs: number; actions: number; traj: number; flags: number; packed: number } {
  const a = (bytes: number) => alignTo(Math.max(bytes, 4), BINDING_OFFSET_ALIGN);
  return { obs: a(s.obs), actions: a(s.actions), traj: a(s.traj.totalBytes), flags: a(s.flags), packed: a(packedFloats * 4) };
}

export class GpuRollout {
  readonly buffers: RolloutBuffers;
  /** one seed slot's sizes (rolloutSizes of N envs) */
  readonly sizes: RolloutSizes;
  readonly packing: PackedLayout;
  /** the packed weights the kernel reads, one block per seed slot (rebuilt from θ at the start of every collect) */
  readonly packed: GPUBuffer;
  private readonly packTableBuf: GPUBuffer;
  private readonly packUniform: GPUBuffer;
  private packProg!: Program;
  private packGroups: GPUBindGroup[] = [];
  /** envs per seed slot */
  readonly N: number;
  readonly T: number;
  /** seed slots S: the rollout runs S·N envs in one dispatch, slot b with θ = params[b] and RNG seed seeds[b] */
  readonly slots: number;
  readonly seeds: readonly number[];
  /** bytes between slots (slotStrides) */
  readonly strides: ReturnType<typeof slotStrides>;
  private readonly stepsPerDispatch: number;
  /** dispatches per rollout (numSteps split to bound each dispatch's length) */
  readonly chunks: number;
  /** one uniform slot per chunk (256-byte aligned) so one submit can hold every chunk */
  private readonly uniforms: GPUBuffer;
  private readonly statsUniform: GPUBuffer;
  private readonly seedsBuf: GPUBuffer;
  private rolloutProg!: Program;
  private initProg!: Program;
  private statsProg!: Program;
  private rolloutGroups: GPUBindGroup[] = [];
  private initGroup!: GPUBindGroup;
  private statsGroup!: GPUBindGroup;
  private readonly slot = alignTo(ROLLOUT_PARAMS.size, BINDING_OFFSET_ALIGN);
  private readonly workgroupSize: number;
  /** the kernel variant (ROLLOUT_VARIANTS) */
  readonly variant: RolloutVariant;
  private readonly traits: RolloutAdapterTraits;
  private readonly writer = new UniformWriter(ROLLOUT_PARAMS);
  /** θ of each seed slot (f32, layout.ts) */
  readonly params: readonly GPUBuffer[];

  private constructor(
    readonly device: GPUDevice,
    readonly env: EnvDef,
    readonly layout: NetLayout,
    readonly config: Pick<Config, 'numEnvs' | 'numSteps' | 'seed'>,
    params: GPUBuffer | readonly GPUBuffer[],
    opts: GpuRolloutOptions & { seeds?: readonly number[] },
  ) {
    this.N = config.numEnvs;
    this.T = config.numSteps;
    this.params = Array.isArray(params) ? [...params] : [params as GPUBuffer];
    this.seeds = opts.seeds ? [...opts.seeds] : [config.seed];
    if (this.seeds.length !== this.params.length) throw new Error(`GPU rollout: ${this.seeds.length} seeds but ${this.params.length} parameter buffers`);
    const S = (this.slots = this.seeds.length);
    this.stepsPerDispatch = Math.max(1, Math.min(opts.stepsPerDispatch ?? this.T, this.T));
    this.chunks = ceilDiv(this.T, this.stepsPerDispatch);
    const s = (this.sizes = rolloutSizes({ numSteps: this.T, numEnvs: this.N, obsDim: env.obsDim, actDim: env.actDim, stateDim: env.stateDim }));
    this.packing = packedLayout(layout);
    const st = (this.strides = slotStrides(s, this.packing.totalFloats));
    const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const mk = (label: string, size: number): GPUBuffer => device.createBuffer({ label, size: Math.max(16, alignTo(size, 4)), usage: STORAGE });
    // one slot: its exact size (no padding after the last block)
    const many = (stride: number, last: number) => (S - 1) * stride + last;
    const traj = mk('rollout traj', many(st.traj, s.traj.totalBytes));
    const plane = (p: TrajPlane): GPUBufferBinding => ({ buffer: traj, offset: TRAJ_PLANES.indexOf(p) * s.traj.strideBytes, size: s.traj.planeBytes });
    this.buffers = {
      obs: mk('rollout obs', many(st.obs, s.obs)),
      actions: mk('rollout actions', many(st.actions, s.actions)),
      traj,
      logp: plane('logp'),
      values: plane('values'),
      rewards: plane('rewards'),
      nextValues: plane('nextValues'),
      flags: mk('rollout flags', many(st.flags, s.flags)),
      envState: mk('env state', S * s.envState),
      stepCount: mk('env step count', S * s.stepCount),
      episode: mk('episode sums', S * s.episode),
      stats: mk('episode stats', S * 32),
    };
    this.uniforms = device.createBuffer({ label: 'rollout uniforms', size: this.slot * this.chunks, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.statsUniform = device.createBuffer({ label: 'stats uniforms', size: STATS_PARAMS.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(this.statsUniform, 0, new UniformWriter(STATS_PARAMS).set('num_envs', this.N).data);
    this.seedsBuf = mk('rollout seeds', S * 4);
    device.queue.writeBuffer(this.seedsBuf, 0, Uint32Array.from(this.seeds, (x) => x >>> 0));
    this.workgroupSize = opts.workgroupSize ?? 64;
    const info = (this.traits = rolloutTraits(device));
    const offered = rolloutVariantsFor(layout, info);
    this.variant = opts.variant ?? defaultRolloutVariant(layout, info);
    if (!offered.includes(this.variant)) throw new Error(`GPU rollout: variant ${this.variant} is not offered for this network (offered: ${offered.join(', ')})`);
    this.packed = mk('packed weights', S * st.packed);
    const table = packTable(this.packing);
    this.packTableBuf = mk('pack table', table.byteLength);
    device.queue.writeBuffer(this.packTableBuf, 0, table as Uint32Array<ArrayBuffer>);
    this.packUniform = device.createBuffer({ label: 'pack uniforms', size: PACK_PARAMS.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const pk = this.packing;
    device.queue.writeBuffer(this.packUniform, 0, new UniformWriter(PACK_PARAMS).setAll({ total: pk.totalFloats, theta_len: pk.thetaLen, theta_len16: pk.thetaLen16, num_layers: pk.layers.length }).data);
  }

  /**
   * Build the buffers and compile (or fetch) the pipelines. `params` is θ (f32, layout.ts): one buffer,
   * or one per seed slot with `opts.seeds` (the RNG seed of each slot; default [config.seed]).
   */
  static async create(
    device: GPUDevice,
    cache: PipelineCache,
    env: EnvDef,
    layout: NetLayout,
    config: Pick<Config, 'numEnvs' | 'numSteps' | 'seed'>,
    params: GPUBuffer | readonly GPUBuffer[],
    opts: GpuRolloutOptions & { seeds?: readonly number[] } = {},
  ): Promise<GpuRollout> {
    const r = new GpuRollout(device, env, layout, config, params, opts);
    await r.build(cache);
    return r;
  }

  /** Seed slot b's part of the buffers (SlotBuffers). */
  slotBuffers(b: number): SlotBuffers {
    if (!Number.isInteger(b) || b < 0 || b >= this.slots) throw new Error(`GPU rollout: no seed slot ${b} (slots 0–${this.slots - 1})`);
    const s = this.sizes;
    const st = this.strides;
    const bb = this.buffers;
    const plane = (p: TrajPlane): GPUBufferBinding => ({ buffer: bb.traj, offset: b * st.traj + TRAJ_PLANES.indexOf(p) * s.traj.strideBytes, size: s.traj.planeBytes });
    return {
      obs: { buffer: bb.obs, offset: b * st.obs, size: Math.max(4, s.obs) },
      actions: { buffer: bb.actions, offset: b * st.actions, size: Math.max(4, s.actions) },
      logp: plane('logp'),
      values: plane('values'),
      rewards: plane('rewards'),
      nextValues: plane('nextValues'),
      flags: { buffer: bb.flags, offset: b * st.flags, size: Math.max(4, s.flags) },
      at: { obs: b * st.obs, actions: b * st.actions, traj: b * st.traj, flags: b * st.flags, envState: b * s.envState, stepCount: b * s.stepCount, episode: b * s.episode, stats: b * 32 },
    };
  }

  private async build(cache: PipelineCache): Promise<void> {
    const mod = envModule(this.env);
    const constants = { ...mod.constants, ...rolloutConstants(this.layout) };
    const spec = this.layout.spec;
    const keyParts = { env: this.env.name, head: spec.head.kind, activation: spec.activation, hidden: spec.hidden.join('x') };
    // one seed slot's packed blocks (its binding stride, 256-byte aligned)
    const v = rolloutNetWgsl(this.layout, this.variant, this.traits);
    const code = v.head + `const PACKED_BLOCKS: u32 = ${this.strides.packed / 64}u;\n` + mod.code + rolloutCode + '\n' + v.nets;
    const desc = (entryPoint: string) => ({ name: `rollout:${entryPoint}`, code, entryPoint, bindings: ROLLOUT_BINDINGS, constants, keyParts: { ...keyParts, variant: this.variant }, workgroupSize: this.workgroupSize });
    [this.rolloutProg, this.initProg, this.statsProg, this.packProg] = await Promise.all([
      new Program(desc('rollout')).build(cache),
      new Program(desc('init_envs')).build(cache),
      new Program({
        name: 'episode-stats',
        code: statsCode,
        entryPoint: 'main',
        bindings: [
          { name: 'sp', kind: 'uniform' },
          { name: 'episode', kind: 'read-only-storage' },
          { name: 'stats', kind: 'storage' },
        ],
        constants: {},
        workgroupSize: 256,
      }).build(cache),
      new Program({
        name: 'pack-weights',
        code: packCode,
        entryPoint: 'main',
        bindings: [
          { name: 'pp', kind: 'uniform' },
          { name: 'theta', kind: 'read-only-storage' },
          { name: 'table', kind: 'read-only-storage' },
          { name: 'packed', kind: 'storage' },
        ],
        constants: {},
        workgroupSize: 64,
      }).build(cache),
    ]);
    const packedBytes = this.packing.totalFloats * 4;
    this.packGroups = this.params.map((theta, b) =>
      this.packProg.bindGroup({ pp: this.packUniform, theta, table: this.packTableBuf, packed: { buffer: this.packed, offset: b * this.strides.packed, size: packedBytes } }, `pack weights ${b}`),
    );
    const b = this.buffers;
    const res = (slot: number) => ({
      ro: { buffer: this.uniforms, offset: slot * this.slot, size: ROLLOUT_PARAMS.size },
      packed: this.packed,
      envState: b.envState,
      stepCount: b.stepCount,
      episode: b.episode,
      obs: b.obs,
      actions: b.actions,
      traj: b.traj,
      flags: b.flags,
      seeds: this.seedsBuf,
    });
    this.rolloutGroups = Array.from({ length: this.chunks }, (_, c) => this.rolloutProg.bindGroup(res(c), `rollout chunk ${c}`));
    this.initGroup = this.initProg.bindGroup(res(0), 'init envs');
    this.statsGroup = this.statsProg.bindGroup({ sp: this.statsUniform, episode: b.episode, stats: b.stats });
    // chunk uniforms never change: write them once (the blocks in elements: bytes / 4, packed in 4×4 blocks)
    const st = this.strides;
    for (let c = 0; c < this.chunks; c++) {
      const t0 = c * this.stepsPerDispatch;
      this.writer.setAll({
        num_envs: this.N,
        num_steps: this.T,
        t_begin: t0,
        t_end: Math.min(this.T, t0 + this.stepsPerDispatch),
        traj_stride: this.sizes.traj.strideElems,
        reset_stats: c === 0 ? 1 : 0,
        obs_block: st.obs / 4,
        act_block: st.actions / 4,
        traj_block: st.traj / 4,
        flags_block: st.flags / 4,
        zero: 0,
        pad1: 0,
      });
      this.device.queue.writeBuffer(this.uniforms, c * this.slot, this.writer.data);
    }
  }

  /** Workgroups of one dispatch over every slot's N envs (slot = z). */
  private grid(prog: Program): [number, number, number] {
    const [x, y] = prog.workgroups(this.N);
    return [x, y, this.slots];
  }

  /** First reset of every env of every slot (per-env step 0), zero step counters and episode sums. */
  encodeInit(enc: GPUCommandEncoder): void {
    const pass = enc.beginComputePass({ label: 'init envs' });
    this.initProg.dispatchGrid(pass, this.initGroup, this.grid(this.initProg));
    pass.end();
  }

  /**
   * Pack θ of each slot in `pack` (default all; a slot whose θ is gone keeps its old block, and its envs'
   * outputs are not read), run one rollout of T steps for all S·N envs in one dispatch (per chunk), then
   * reduce each slot's episode statistics into `buffers.stats` (vec4 pair b at byte 32·b).
   * `timestamps(i, label)` may supply timestampWrites for pass i (0 pack, 1 … chunks rollout, then stats).
   */
  encodeCollect(enc: GPUCommandEncoder, timestamps?: (pass: number, label: string) => GPUComputePassTimestampWrites | undefined, pack?: readonly number[]): void {
    const pk = enc.beginComputePass({ label: 'pack weights', timestampWrites: timestamps?.(0, 'pack-weights') });
    for (const b of pack ?? this.packGroups.keys()) this.packProg.dispatch(pk, this.packGroups[b], this.packing.totalFloats);
    pk.end();
    for (let c = 0; c < this.chunks; c++) {
      const pass = enc.beginComputePass({ label: `rollout ${c}`, timestampWrites: timestamps?.(c + 1, 'rollout') });
      this.rolloutProg.dispatchGrid(pass, this.rolloutGroups[c], this.grid(this.rolloutProg));
      pass.end();
    }
    const pass = enc.beginComputePass({ label: 'episode stats', timestampWrites: timestamps?.(this.chunks + 1, 'episode-stats') });
    this.statsProg.dispatchGrid(pass, this.statsGroup, [1, 1, this.slots]);
    pass.end();
  }

  /** compute passes `encodeCollect` records */
  get passCount(): number {
    return this.chunks + 2;
  }

  destroy(): void {
    const b = this.buffers;
    for (const buf of [b.obs, b.actions, b.traj, b.flags, b.envState, b.stepCount, b.episode, b.stats]) buf.destroy();
    this.uniforms.destroy();
    this.statsUniform.destroy();
    this.seedsBuf.destroy();
    this.packed.destroy();
    this.packTableBuf.destroy();
    this.packUniform.destroy();
  }
}
