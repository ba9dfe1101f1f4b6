/**
 * Compute pipelines cached per device under a key that names EVERY constant that shapes the shader:
 * the kernel name, the entry point, each `override` value (workgroup size, layer widths, offsets, env
 * parameters, …), extra key parts that change the composed WGSL (env name, head kind), and a hash of
 * the WGSL text itself as a last guard. Two programs with equal keys share one pipeline and one
 * bind-group layout; a missing parameter cannot alias two shaders because the code hash and every
 * override value are in the key.
 */
import { fnv1a } from './dispatch';

/** Binding types of group 0, in binding order. */
export type BindingKind = 'uniform' | 'storage' | 'read-only-storage';

/** Everything that determines one compute pipeline. */
export interface PipelineSpec {
  /** kernel name, e.g. 'rollout', 'gae-scan' */
  name: string;
  /** the composed WGSL module (concatenated raw .wgsl strings) */
  code: string;
  entryPoint: string;
  /** binding i of @group(0) has type bindings[i] */
  bindings: readonly BindingKind[];
  /** values of the module's `override` declarations */
  constants: Readonly<Record<string, number>>;
  /** other constants that shaped `code` (env name, head kind, …), for readable keys */
  keyParts?: Readonly<Record<string, string | number | boolean>>;
}

export interface CachedPipeline {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  key: string;
}

function sortedEntries(o: Readonly<Record<string, unknown>> | undefined): string {
  if (!o) return '';
  return Object.keys(o)
    .sort()
    .map((k) => `${k}=${String(o[k])}`)
    .join(',');
}

/** The cache key of a spec (pure; unit-tested). */
export function pipelineKey(spec: PipelineSpec): string {
  return [
    spec.name,
    spec.entryPoint,
    spec.bindings.join('/'),
    sortedEntries(spec.constants),
    sortedEntries(spec.keyParts),
    fnv1a(spec.code),
  ].join('|');
}

/** One cache per device. `get` compiles on first use (createComputePipelineAsync) and shares after. */
export class PipelineCache {
  private readonly map = new Map<string, Promise<CachedPipeline>>();
  /** pipelines compiled so far (tests check reuse) */
  compiled = 0;

  constructor(readonly device: GPUDevice) {}

  get size(): number {
    return this.map.size;
  }

  get(spec: PipelineSpec): Promise<CachedPipeline> {
    const key = pipelineKey(spec);
    let p = this.map.get(key);
    if (!p) {
      p = this.build(spec, key);
      this.map.set(key, p);
      p.catch(() => this.map.delete(key));
    }
    return p;
  }

  private async build(spec: PipelineSpec, key: string): Promise<CachedPipeline> {
    const device = this.device;
    const layout = device.createBindGroupLayout({
      label: `${spec.name} layout`,
      entries: spec.bindings.map((type, i) => ({ binding: i, visibility: GPUShaderStage.COMPUTE, buffer: { type } })),
    });
    const module = device.createShaderModule({ label: spec.name, code: spec.code });
    let pipeline: GPUComputePipeline;
    try {
      pipeline = await device.createComputePipelineAsync({
        label: spec.name,
        layout: device.createPipelineLayout({ label: `${spec.name} pipeline layout`, bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: spec.entryPoint, constants: { ...spec.constants } },
      });
    } catch (err) {
      // name the shader's own errors (line: message), not only "invalid ShaderModule"
      const info = await module.getCompilationInfo?.().catch(() => undefined);
      const msgs = (info?.messages ?? []).filter((m) => m.type === 'error').slice(0, 3).map((m) => `line ${m.lineNum}: ${m.message}`);
      if (!msgs.length) throw err;
      throw new Error(`${spec.name}: the shader does not compile: ${msgs.join('; ')}`, { cause: err });
    }
    this.compiled++;
    return { pipeline, layout, key };
  }
}
