/**
 * CLI flags generated from the config field table (src/core/config.ts): one flag per field, every
 * value parsed and range-checked by the same validation layer the page uses.
 */
import type { Command } from 'commander';
import { allowedText, configFromStrings, FIELD_NAMES, FIELDS, type Config, type FieldName } from '../core/config';
import { ConfigError, formatValue } from '../core/errors';

/** Add `--flag <value>` for every config field (except those in `skip`). */
export function addConfigOptions(cmd: Command, skip: FieldName[] = []): Command {
  for (const k of FIELD_NAMES) {
    if (skip.includes(k)) continue;
    const f = FIELDS[k];
    const def = Array.isArray(f.default) ? f.default.join(',') : String(f.default);
    cmd.option(`--${f.flag} <value>`, `${f.doc} (${allowedText(k)}; default ${def})`);
  }
  return cmd;
}

/** Commander's camel-cased option key for a flag. */
function optKey(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The config fields the user gave on the command line, as strings keyed by field name. */
export function givenConfigStrings(opts: Record<string, unknown>, skip: FieldName[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of FIELD_NAMES) {
    if (skip.includes(k)) continue;
    const v = opts[optKey(FIELDS[k].flag)];
    if (v !== undefined) out[k] = String(v);
  }
  return out;
}

export function configFromOptions(opts: Record<string, unknown>, extra: Record<string, string> = {}): Config {
  return configFromStrings({ ...givenConfigStrings(opts), ...extra });
}

/** Render a config error with the CLI's flag name: `invalid --lambda: 2 (allowed: …)`. */
export function cliMessage(e: ConfigError): string {
  if (!(e.field in FIELDS)) return e.message;
  const name = e.field as FieldName;
  const flag = FIELDS[name].flag;
  // the allowed text names the flag the user typed; cross-field messages keep their own wording
  const allowed = e.allowed === allowedText(name) ? allowedText(name, flag) : e.allowed;
  return `invalid --${flag}: ${formatValue(e.value)} (allowed: ${allowed})`;
}
