/**
 * One small program class per kernel (tfjs-backend-webgpu style). A `Program` owns
 *  - its pipeline spec: composed WGSL, entry point, explicit bind-group layout (binding kinds in
 *    order; never 'auto'), override constants (`WG_SIZE` always among them);
 *  - its dispatch arithmetic: `workgroups(threads)` from dispatch.ts;
 *  - bind-group creation checked against its layout (count and names of the resources).
 * Subclasses fill the spec in their constructor and add typed helpers; see rollout.ts.
 *
 * Usage:
 *   const p = await new MyProgram(args).build(cache);     // compiles once per key (pipeline-cache.ts)
 *   const bg = p.bindGroup({ params: buf, out: {buffer, offset, size} });
 *   const pass = encoder.beginComputePass(); p.dispatch(pass, bg, threads); pass.end();
 *
 * Convention of the 1-D kernels (e.g. shaders/learn/adam.wgsl): a WG_SIZE override sets the
 * workgroup size, and the linear thread index spans x then y (dispatch.ts `workgroups1D`).
 */
import { workgroups1D } from './dispatch';
import type { BindingKind, CachedPipeline, PipelineCache, PipelineSpec } from './pipeline-cache';

/** A named binding: its resource name (for readable errors) and kind. */
export interface NamedBinding {
  name: string;
  kind: BindingKind;
}

export type BufferResource = GPUBuffer | GPUBufferBinding;

export interface ProgramDesc {
  name: string;
  code: string;
  entryPoint: string;
  /** bindings of @group(0), binding index = position */
  bindings: readonly NamedBinding[];
  /** `override` values (WG_SIZE is added from workgroupSize) */
  constants: Record<string, number>;
  keyParts?: Record<string, string | number | boolean>;
  /** lanes per workgroup (the WG_SIZE override) */
  workgroupSize: number;
}

/** Dispatches recorded by every Program so far (the engine's profile counts them per update). */
export const dispatchCounter = { count: 0 };

export class Program {
  readonly name: string;
  readonly workgroupSize: number;
  readonly bindings: readonly NamedBinding[];
  readonly spec: PipelineSpec;
  private built?: CachedPipeline;
  private device?: GPUDevice;

  constructor(desc: ProgramDesc) {
    this.name = desc.name;
    this.workgroupSize = desc.workgroupSize;
    this.bindings = desc.bindings;
    this.spec = {
      name: desc.name,
      code: desc.code,
      entryPoint: desc.entryPoint,
      bindings: desc.bindings.map((b) => b.kind),
      constants: { ...desc.constants, WG_SIZE: desc.workgroupSize },
      keyParts: desc.keyParts,
    };
  }

  /** Compile (or fetch from the cache) the pipeline. */
  async build(cache: PipelineCache): Promise<this> {
    this.built = await cache.get(this.spec);
    this.device = cache.device;
    return this;
  }

  get pipeline(): GPUComputePipeline {
    return this.need().pipeline;
  }

  get layout(): GPUBindGroupLayout {
    return this.need().layout;
  }

  /** Workgroup counts for `threads` invocations. */
  workgroups(threads: number): [number, number, number] {
    return workgroups1D(threads, this.workgroupSize);
  }

  /** A bind group from resources named like the bindings (all of them, no others). */
  bindGroup(resources: Record<string, BufferResource>, label?: string): GPUBindGroup {
    const built = this.need();
    const names = this.bindings.map((b) => b.name);
    for (const k of Object.keys(resources)) {
      if (!names.includes(k)) throw new Error(`${this.name}: unknown binding ${k} (bindings: ${names.join(', ')})`);
    }
    const entries: GPUBindGroupEntry[] = this.bindings.map((b, i) => {
      const r = resources[b.name];
      if (!r) throw new Error(`${this.name}: missing binding ${b.name}`);
      return { binding: i, resource: 'buffer' in r ? r : { buffer: r } };
    });
    return this.device!.createBindGroup({ label: label ?? this.name, layout: built.layout, entries });
  }

  /** Record one dispatch covering `threads` invocations into an open compute pass. */
  dispatch(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, threads: number): void {
    this.dispatchGrid(pass, bindGroup, this.workgroups(threads));
  }

  /** Record one dispatch of the given workgroup counts (nothing when a count is 0). */
  dispatchGrid(pass: GPUComputePassEncoder, bindGroup: GPUBindGroup, [x, y, z]: readonly number[]): void {
    if (x === 0 || (y ?? 1) === 0 || (z ?? 1) === 0) return;
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y ?? 1, z ?? 1);
    dispatchCounter.count++;
  }

  private need(): CachedPipeline {
    if (!this.built) throw new Error(`${this.name}: build(cache) first`);
    return this.built;
  }
}
