/**
 * CLI flags generated from the config field table (src/core/config.ts): one flag per field, every
 * value parsed and range-checked by the same validation layer the page uses.
 */
import type { Command } from 'commander';
import { allowedText, configFromStrings, FIELD_NAMES, FIELDS, parseField, type Config, type FieldName } from '../core/config';
import { ConfigError, formatValue } from '../core/errors';
import { configWithPreset, presetFor } from '../core/presets';

/** Add `--flag <value>` for every config field (except those in `skip`). */
export function addConfigOptions(cmd: Command, skip: FieldName[] = []): Command {
  for (const k of FIELD_NAMES) {
    if (skip.includes(k)) continue;
    const f = FIELDS[k];
    const def = Array.isArray(f.default) ? f.default.join(',') : String(f.default);
    cmd.option(`--${f.flag} <value>`, `${f.doc} (${allowedText(k)}; default ${def})`);
  }
  return cmd.addHelpText('after', `\n${PRESET_HELP}`);
}

/** One line under every config-flag command's help: where a flag's value comes from when it is not given. */
export const PRESET_HELP = 'Defaults come from the env × algo preset (src/core/presets.ts), then the defaults shown above; a flag given always wins.';

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

/** Typed values of config fields given as strings (flags); `ConfigError` names the first bad one. */
export function parseGiven(strings: Record<string, string>): Partial<Config> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(strings)) {
    if (!(k in FIELDS)) throw new ConfigError(k, v, 'a known field', `unknown field ${formatValue(k)} (known fields: ${FIELD_NAMES.join(', ')})`);
    out[k] = parseField(k as FieldName, v);
  }
  return out as Partial<Config>;
}

/** `train`'s config: config.ts defaults ← the env × algo preset (src/core/presets.ts) ← the flags given. */
export function configFromPreset(given: Record<string, string>): Config {
  return configWithPreset(parseGiven(given));
}

/**
 * Commander options with the env × algo preset's values filled in for every config flag not given
 * (except `skip`, where a command keeps its own defaults), as text a flag would carry: commands that
 * build their config from the given flags (`variance`, `bench`) then start from the preset too.
 * A bad --env or --algo throws `ConfigError` before any preset is looked up.
 */
export function withPresetOptions(opts: Record<string, unknown>, skip: FieldName[] = []): Record<string, unknown> {
  // a skipped field's flag may be the command's own option (bench's --envs list): not a config value
  const given = parseGiven(givenConfigStrings(opts, skip));
  const { env, algo } = configWithPreset({ env: given.env, algo: given.algo });
  const out = { ...opts };
  for (const [k, v] of Object.entries(presetFor(env, algo))) {
    const key = optKey(FIELDS[k as FieldName].flag);
    if (skip.includes(k as FieldName) || out[key] !== undefined) continue;
    out[key] = Array.isArray(v) ? v.join(',') : String(v);
  }
  return out;
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
