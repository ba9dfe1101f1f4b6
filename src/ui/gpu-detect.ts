/**
 * Is WebGPU usable here? Checked once per page (and again inside the worker, which is where the GPU
 * engine runs). WebGPU exists only in a secure context (https or http://localhost).
 */
export interface GpuAvailability {
  ok: boolean;
  /** why not, in one plain sentence; empty when ok */
  reason: string;
  /** adapter description when ok */
  adapter: string;
}

export async function detectWebGpu(nav: { gpu?: GPU } = navigator as { gpu?: GPU }): Promise<GpuAvailability> {
  if (typeof isSecureContext !== 'undefined' && !isSecureContext) {
    return { ok: false, reason: 'WebGPU needs a secure context (https or http://localhost).', adapter: '' };
  }
  if (!nav.gpu) return { ok: false, reason: 'This browser does not expose WebGPU (navigator.gpu is missing).', adapter: '' };
  try {
    const a = await nav.gpu.requestAdapter();
    if (!a) return { ok: false, reason: 'WebGPU is present but no GPU adapter is available.', adapter: '' };
    const info = a.info;
    const desc = [info?.vendor, info?.architecture, info?.description].filter((s) => s).join(' ');
    return { ok: true, reason: '', adapter: desc || 'WebGPU adapter' };
  } catch (e) {
    return { ok: false, reason: `WebGPU adapter request failed: ${(e as Error).message}`, adapter: '' };
  }
}
