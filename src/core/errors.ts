/**
 * User-facing errors. A `UserError` is something the person running policygrad can fix (a bad flag,
 * a corrupt checkpoint, a missing driver): the CLI prints its one-line message and exits with code 2,
 * the page shows it inline. Anything else is a bug and keeps its stack trace.
 */
export class UserError extends Error {
  override readonly name: string = 'UserError';
  constructor(message: string) {
    super(message);
  }
}

/** A config field with a value outside its allowed set. `field` is the config key (camelCase). */
export class ConfigError extends UserError {
  override readonly name = 'ConfigError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
    message?: string,
  ) {
    super(message ?? `invalid ${field}: ${formatValue(value)} (allowed: ${allowed})`);
  }
}

/** A checkpoint that cannot be read or does not match the run it is loaded into. */
export class CheckpointError extends UserError {
  override readonly name = 'CheckpointError';
}

/** No usable WebGPU adapter / device, or a limit the requested run does not fit in. */
export class DeviceError extends UserError {
  override readonly name: string = 'DeviceError';
}

/**
 * The WebGPU device went away under a running engine (driver reset, GPU removed, `device.destroy()`).
 * The trainer answers it by rebuilding the engine from its last good snapshot.
 */
export class DeviceLostError extends DeviceError {
  override readonly name = 'DeviceLostError';
}

export function formatValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v);
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(',')}]`;
  if (v === undefined) return '(missing)';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
