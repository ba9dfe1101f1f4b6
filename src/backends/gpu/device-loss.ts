/**
 * Telling a lost device from any other failure. A device round trip (a map, onSubmittedWorkDone)
 * on a device that has just been lost rejects with a message that says nothing useful, and the
 * device's own `lost` promise may settle later than that rejection: in a browser the news crosses
 * from the GPU process, which on a loaded machine takes hundreds of milliseconds. So a failed round
 * trip waits up to LOST_GRACE_MS for `lost` before it calls the failure anything else; only failures
 * pay that wait, and a failure that is not a loss ends the run anyway.
 */
import { DeviceLostError } from '../../core/errors';

/** How long a failed round trip waits for the device's `lost` promise (ms). */
export const LOST_GRACE_MS = 5000;

export class DeviceLossWatch {
  /** Why the device was lost; null while it is alive (or once the owner no longer cares). */
  reason: string | null = null;
  private readonly settled: Promise<unknown>;

  /** `ignore()`: true once the owner disposed of the device itself (its loss is no news). */
  constructor(lost: Promise<GPUDeviceLostInfo>, ignore: () => boolean = () => false, private readonly graceMs = LOST_GRACE_MS) {
    this.settled = lost.then((info) => {
      if (!ignore()) this.reason = `${info.reason}${info.message ? `: ${info.message}` : ''}`;
    });
  }

  private error(): DeviceLostError {
    return new DeviceLostError(`the WebGPU device was lost (${this.reason})`);
  }

  /** Run `work`; a lost device, known before or learnt within the grace after it fails, is a DeviceLostError. */
  async guard<T>(work: () => Promise<T>): Promise<T> {
    if (this.reason) throw this.error();
    try {
      return await work();
    } catch (e) {
      if (!this.reason) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([this.settled, new Promise((r) => (timer = setTimeout(r, this.graceMs)))]);
        clearTimeout(timer);
      }
      if (this.reason) throw this.error();
      throw e;
    }
  }
}
