/**
 * Getting a WebGPU device, in the browser (navigator.gpu) and in Node (the `webgpu` package = Dawn),
 * and checking that a run fits in its limits before any buffer is created.
 *
 * Node without a GPU driver: Dawn runs on SwiftShader, the Vulkan CPU driver shipped by Debian's
 * `chromium` package, through the loader of `libvulkan1`. The loader finds it only with
 * VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json; when no adapter is found and that file
 * exists, `acquireDevice` sets the variable itself (and XDG_RUNTIME_DIR if unset), creates a fresh GPU
 * instance, retries, and says so on stderr.
 *
 * The browser bundle never pulls in the native module: 'webgpu' is imported dynamically, only when
 * running under Node and no GPU object was passed in.
 */
import type { Config } from '../../core/config';
import { ConfigError, DeviceError } from '../../core/errors';
import type { EnvDef } from '../../core/types';
import { cacheDir, isNode } from './autotune';
import { rolloutSizes } from './dispatch';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Which WebGPU adapter to use in Node (`--adapter`, or POLICYGRAD_ADAPTER for the tests):
 *  - 'default': whatever the system's Vulkan loader offers first (a real GPU when there is one), else
 *    SwiftShader if installed;
 *  - 'swiftshader': Chromium's SwiftShader (Debian `chromium`), a CPU Vulkan driver with 4-wide SIMD;
 *  - 'lavapipe': Mesa 25's lavapipe (llvmpipe), a multi-threaded CPU Vulkan driver with 8-wide AVX2
 *    subgroups, unpacked by scripts/install-lavapipe.sh (`lavapipeIcdPath`).
 * The browser has one adapter (navigator.gpu's); there only 'default' applies.
 */
export const ADAPTER_CHOICES = ['default', 'swiftshader', 'lavapipe'] as const;
export type AdapterChoice = (typeof ADAPTER_CHOICES)[number];

/** Where scripts/install-lavapipe.sh puts the lavapipe ICD file (POLICYGRAD_LAVAPIPE_ICD overrides). */
export function lavapipeIcdPath(env: Record<string, string | undefined> = isNode() ? process.env : {}): string {
  if (env.POLICYGRAD_LAVAPIPE_ICD) return env.POLICYGRAD_LAVAPIPE_ICD;
  return `${cacheDir(env)}/lavapipe/lvp_icd.json`;
}

/** The adapter asked for by POLICYGRAD_ADAPTER ('default' when unset); a bad value is a ConfigError. */
export function adapterFromEnv(env: Record<string, string | undefined> = isNode() ? process.env : {}): AdapterChoice {
  const v = env.POLICYGRAD_ADAPTER;
  if (v === undefined || v === '') return 'default';
  return parseAdapterChoice(v, 'POLICYGRAD_ADAPTER');
}

export function parseAdapterChoice(v: string, field = 'adapter'): AdapterChoice {
  if ((ADAPTER_CHOICES as readonly string[]).includes(v)) return v as AdapterChoice;
  throw new ConfigError(field, v, `one of ${ADAPTER_CHOICES.join(', ')}`);
}
export const INSTALL_HINT =
  'no WebGPU adapter found. In a browser, use one with WebGPU enabled (Chrome/Edge 113+, on localhost or https). ' +
  `In Node on Debian without a GPU driver, install SwiftShader and the Vulkan loader: apt-get install -y chromium libvulkan1 ` +
  `(policygrad then sets VK_ICD_FILENAMES=${SWIFTSHADER_ICD} itself)`;

export interface AcquireOptions {
  /** a GPU object to use (navigator.gpu, or `create([])` from the 'webgpu' package) */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /** called when the device is lost for any reason other than `destroy()` */
  onLost?: (info: GPUDeviceLostInfo) => void;
  /** where warnings go (default: console.warn) */
  log?: (msg: string) => void;
  /** which adapter (Node only; default: POLICYGRAD_ADAPTER, else 'default') */
  adapter?: AdapterChoice;
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** the CPU Vulkan driver (slow but real) */
  isSwiftShader: boolean;
  /** the driver family, for reports: 'swiftshader', 'lavapipe' or 'gpu' (anything else) */
  driver: 'swiftshader' | 'lavapipe' | 'gpu';
  /** one line naming the adapter, for summaries and bench lines */
  name: string;
}

/** The AdapterSummary of a GPUAdapterInfo (pure; unit-tested). */
export function summarizeAdapter(info: Partial<GPUAdapterInfo>): AdapterSummary {
  const vendor = info.vendor ?? '';
  const architecture = info.architecture ?? '';
  const device = info.device ?? '';
  const description = info.description ?? '';
  const all = `${vendor} ${architecture} ${device} ${description}`;
  const isSwiftShader = /swiftshader/i.test(all);
  const driver = isSwiftShader ? 'swiftshader' : /llvmpipe|lavapipe/i.test(all) ? 'lavapipe' : 'gpu';
  const name = [description || device || vendor, architecture].filter(Boolean).join(', ') || 'WebGPU adapter';
  return { vendor, architecture, device, description, isSwiftShader, driver, name };
}

export interface DeviceFeatures {
  timestampQuery: boolean;
  subgroups: boolean;
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapterInfo: AdapterSummary;
  features: DeviceFeatures;
  /** the GPU object the device came from (kept referenced: Dawn tears devices down with it) */
  gpu: GPU;
}


function stderr(msg: string): void {
  if (isNode()) process.stderr.write(`policygrad: ${msg}\n`);
  else console.warn(`policygrad: ${msg}`);
}

/** A fresh Dawn GPU object (Node only). The module name is not a literal so bundlers leave it alone. */
async function createNodeGpu(): Promise<GPU> {
  const name = 'webgpu';
  const mod = (await import(/* @vite-ignore */ name)) as { create: (flags: string[]) => GPU; globals: object };
  // Dawn's classes (GPUBufferUsage, GPUShaderStage, GPUMapMode, …) are globals in the browser.
  for (const [k, v] of Object.entries(mod.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  return mod.create([]);
}

async function fileExists(path: string): Promise<boolean> {
  const name = 'node:fs';
  const fs = (await import(/* @vite-ignore */ name)) as typeof import('node:fs');
  return fs.existsSync(path);
}

const LIVE_GPUS = new Set<GPU>();

/** The limits we ask for: the adapter's maxima for those the engine scales with. */
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
] as const;

/**
 * A WebGPU device with timestamp queries when the adapter has them, a device-lost hook and an
 * uncaptured-error logger. Throws DeviceError (a one-line, actionable message) when there is none.
 */
export async function acquireDevice(opts: AcquireOptions = {}): Promise<AcquiredDevice> {
  const log = opts.log ?? stderr;
  let gpu: GPU | undefined = opts.gpu;
  const fromNavigator = !gpu && typeof navigator !== 'undefined' ? (navigator as Navigator).gpu : undefined;
  if (!gpu && fromNavigator) gpu = fromNavigator;
  const inNode = isNode() && !fromNavigator;
  const choice = opts.adapter ?? adapterFromEnv();
  if (choice !== 'default' && !inNode) {
    log(`--adapter ${choice} applies in Node only; the browser uses its own adapter`);
  } else if (choice !== 'default') {
    // the Vulkan loader reads VK_ICD_FILENAMES when an instance is created: point it at exactly one driver
    const icd = choice === 'lavapipe' ? lavapipeIcdPath() : SWIFTSHADER_ICD;
    if (!(await fileExists(icd))) {
      throw new DeviceError(
        choice === 'lavapipe'
          ? `the lavapipe driver is not installed (no ${icd}): run bash scripts/install-lavapipe.sh`
          : `the SwiftShader driver is not installed (no ${icd}): apt-get install -y chromium libvulkan1`,
      );
    }
    process.env.VK_ICD_FILENAMES = icd;
    if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
  }
  if (!gpu && inNode) gpu = await createNodeGpu();
  if (!gpu) throw new DeviceError(INSTALL_HINT);
  let adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference });
  if (!adapter && choice !== 'default') {
    throw new DeviceError(`the ${choice} driver gave no WebGPU adapter (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}; is libvulkan1 installed?)`);
  }
  if (!adapter && inNode && !opts.gpu && !process.env.VK_ICD_FILENAMES && (await fileExists(SWIFTSHADER_ICD))) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';
    log(`no WebGPU adapter; retrying on SwiftShader (set VK_ICD_FILENAMES=${SWIFTSHADER_ICD})`);
    gpu = await createNodeGpu();
    adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference });
  }
  if (!adapter) throw new DeviceError(INSTALL_HINT);

  const hasTs = adapter.features.has('timestamp-query');
  const hasSub = adapter.features.has('subgroups');
  const requiredFeatures: GPUFeatureName[] = [];
  if (hasTs) requiredFeatures.push('timestamp-query');
  // the learner's 'quad' GEMM (SwiftShader) broadcasts within subgroups
  if (hasSub) requiredFeatures.push('subgroups' as GPUFeatureName);
  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number>)[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits, label: 'policygrad' });
  } catch (e) {
    throw new DeviceError(`WebGPU device request failed: ${(e as Error).message}`);
  }
  // Dawn (Node) tears its devices down when the GPU object is garbage-collected: keep it alive for as
  // long as the device lives, whatever the caller keeps.
  const owner = gpu;
  LIVE_GPUS.add(owner);
  device.lost.then((info) => {
    LIVE_GPUS.delete(owner);
    if (info.reason === 'destroyed') return;
    log(`WebGPU device lost (${info.reason}): ${info.message}`);
    opts.onLost?.(info);
  });
  const onErr = (ev: Event): void => {
    const err = (ev as GPUUncapturedErrorEvent).error;
    log(`WebGPU uncaptured error: ${err?.message ?? String(err)}`);
  };
  if (typeof device.addEventListener === 'function') device.addEventListener('uncapturederror', onErr);
  else (device as unknown as { onuncapturederror: (e: Event) => void }).onuncapturederror = onErr;

  const adapterInfo = summarizeAdapter(adapter.info ?? {});
  return { device, adapterInfo, features: { timestampQuery: hasTs, subgroups: hasSub }, gpu };
}

// ---------------------------------------------------------------------------------------------
// Limits

/** The limits `checkLimits` reads (a GPUDevice's `limits` has them; tests pass plain objects). */
export type LimitsLike = Pick<GPUSupportedLimits, 'maxStorageBufferBindingSize' | 'maxBufferSize'>;

/** The env dimensions that size the buffers. */
export type EnvDims = Pick<EnvDef, 'obsDim' | 'stateDim' | 'actDim'>;

/**
 * The config fields that size a run's buffers, and with `minibatches` and `workspaceRow` (floats per
 * row of the learner's widest workspace buffer: learn/layout.ts `workspaceRowFloats`) its minibatch workspace.
 */
/** `seeds`: seeds batched in one rollout (createGpuSeedEngines; default 1): its buffers hold every seed's envs. */
export type RunShape = Pick<Config, 'numEnvs' | 'numSteps' | 'varianceGroups'> & { minibatches?: number; workspaceRow?: number; seeds?: number };

export interface RunBufferSizes {
  /** largest single storage binding (bytes) */
  largestBinding: number;
  /** largest single buffer (bytes) */
  largestBuffer: number;
  /** all device memory of the run (bytes) */
  total: number;
}

/**
 * Bytes a run needs on the device, by buffer:
 *  - rollout (dispatch.ts `rolloutSizes`): obs T·N·obsDim, actions T·N·actDim, 4 trajectory planes
 *    of T·N (one buffer), flags T·N, env state N·stateDim, step counters N, episode sums 4N;
 *  - learner: advantages and returns T·N each, params / grads / Adam m / v P each, per-group
 *    variance gradients G·P (only when `varianceGroups` is used, counted always: it is the upper bound),
 *    and the minibatch workspace ⌈T·N / minibatches⌉ × its widest row (obs, a hidden layer, the head).
 *    The variance pass's whole-batch workspace is checked where it is built (GpuLearner.checkVarianceFits).
 * With `seeds` batched, the rollout buffers hold seeds × numEnvs envs and each seed has its own learner.
 * All 4-byte elements.
 */
export function runBufferSizes(config: RunShape, env: EnvDims, paramCount: number): RunBufferSizes {
  const seeds = config.seeds ?? 1;
  const r = rolloutSizes({ numSteps: config.numSteps, numEnvs: config.numEnvs * seeds, obsDim: env.obsDim, actDim: env.actDim, stateDim: env.stateDim });
  const TN = config.numSteps * config.numEnvs;
  const learner = [TN * 4, TN * 4, paramCount * 4, paramCount * 4, paramCount * 4, paramCount * 4, config.varianceGroups * paramCount * 4];
  // the minibatch workspace: rows × the widest row (observations, a hidden layer, head outputs and their gradients)
  if (config.minibatches !== undefined && config.workspaceRow !== undefined) learner.push(Math.ceil(TN / config.minibatches) * config.workspaceRow * 4);
  const largest = Math.max(r.largestBinding, ...learner);
  return { largestBinding: largest, largestBuffer: largest, total: r.total + seeds * learner.reduce((a, b) => a + b, 0) };
}

/**
 * Throws ConfigError on `numEnvs` when a buffer of the run exceeds the device's
 * maxStorageBufferBindingSize or maxBufferSize, naming the largest env count that fits.
 * Returns the sizes when it fits.
 */
export function checkLimits(
  config: RunShape,
  device: { limits: LimitsLike },
  env: EnvDims,
  paramCount: number,
): RunBufferSizes {
  const cap = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  const fits = (n: number): boolean => runBufferSizes({ ...config, numEnvs: n }, env, paramCount).largestBinding <= cap;
  const sizes = runBufferSizes(config, env, paramCount);
  if (sizes.largestBinding <= cap) return sizes;
  // the largest binding grows monotonically with N: binary search the largest N that fits
  let lo = 0;
  let hi = config.numEnvs;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const seeds = config.seeds ?? 1;
  if (seeds > 1) {
    const allowed = lo >= 1 ? `an integer 1 ≤ numEnvs ≤ ${lo} with ${seeds} seeds batched at num-steps ${config.numSteps} on this device` : `fewer seeds or lower num-steps`;
    throw new ConfigError('numEnvs', config.numEnvs, allowed, `invalid numEnvs: ${config.numEnvs} envs × ${seeds} seeds need a ${mib(sizes.largestBinding)} GPU buffer but this device allows ${mib(cap)} (allowed: ${allowed})`);
  }
  const allowed = lo >= 1 ? `an integer 1 ≤ numEnvs ≤ ${lo} at num-steps ${config.numSteps} on this device` : `none at num-steps ${config.numSteps}: lower num-steps`;
  throw new ConfigError(
    'numEnvs',
    config.numEnvs,
    allowed,
    `invalid numEnvs: ${config.numEnvs} needs a ${mib(sizes.largestBinding)} GPU buffer but this device allows ${mib(cap)}; ` +
      (lo >= 1 ? `the largest env count that fits at num-steps ${config.numSteps} is ${lo}` : `lower num-steps`),
  );
}
