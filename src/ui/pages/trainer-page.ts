/**
 * Trainer page, charts first: the return curve opens the page, the PPO health statistics and the live
 * comparison of every estimator's gradient follow in a grid of small charts; the controls live in a
 * compact side panel (presets first, then the basic fields under config.ts's labels, the advanced
 * hyperparameters folded away). Several estimators train side by side on the same env and seed in the
 * worker. The URL holds the whole configuration, so a run can be shared. λ, lr, the entropy
 * coefficient and clip ε can be changed while a run trains; each change is a mark on every chart.
 * Every field is validated inline through config.ts; a bad field stops nothing that is running and
 * starts nothing new. With several seeds (the run section's "seeds" field) every estimator trains once
 * per seed: the charts plot each estimator's mean across its seeds, the return chart with a ±1
 * standard-error band (src/ui/series.ts), and each seed's own curve on demand.
 */
import { html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { FIELDS, numUpdatesOf, type Config, type FieldName } from '../../core/config';
import { ALGOS, ESTIMATORS, type Algo, type Backend, type EnvName, type EstimatorKind, type Trajectory } from '../../core/types';
import { PAGE_PRESETS, presetFor, type PagePreset } from '../../core/presets';
import { parseCheckpoint } from '../../train/checkpoint';
import { exportPolicy } from '../../train/export';
import { listSaved, loadSaved, type SavedSummary } from '../autosave';
import { CheckpointError } from '../../core/errors';
import { base, ALGO_COLORS } from '../styles';
import { PageBase, WorkerPage } from './page-base';
import { checkSeeds, fieldHint, fieldLabel, parseEstimators, validateTexts, fieldText, presetTexts, rebaseTexts, editedFields, type FieldErrors, type PresetLike } from '../form';
import { RunSeries, statusText, type NumericMetric } from '../series';
import { SEEDS_ALLOWED } from '../../train/seeds';
import { ESTIMATOR_METRICS, HEALTH_METRICS, METRICS, type MetricKey } from '../../train/metrics';
import { download } from '../worker-client';
import { pageParams, unknownParams } from '../url';
import type { FromWorker, RunState } from '../protocol';
import type { GpuAvailability } from '../gpu-detect';
import type { FieldInputDetail } from '../components/pg-field';
import type { ChartMark, ChartSeries } from '../components/pg-chart';
import '../components/pg-field';
import '../components/pg-chart';
import '../components/pg-agent';
import '../components/pg-agent';

/** The fields on the form: the basics, the main hyperparameters (the live ones among them), the rest folded away. */
const BASIC: FieldName[] = ['env', 'backend', 'numEnvs', 'numSteps', 'totalSteps', 'seed'];
/** the hyperparameters a running run takes from its next update (protocol `train-hyper`) */
const LIVE = ['lambda', 'lr', 'entCoef', 'clip'] as const satisfies readonly FieldName[];
type LiveField = (typeof LIVE)[number];
const MAIN: FieldName[] = ['gamma', ...LIVE];
const ADVANCED: FieldName[] = [
  'annealLr', 'adamEps', 'maxGradNorm', 'epochs', 'minibatches', 'vfCoef', 'klCoef', 'targetKl', 'normAdv', 'hidden', 'activation',
  'baselineDecay', 'varianceEvery', 'varianceGroups', 'maxFaults',
];
const FORM: FieldName[] = [...BASIC, ...MAIN, ...ADVANCED];
/** Every URL key of the page, in URL order: the preset, the whole configuration, the estimators, the seeds. */
export const TRAINER_KEYS: readonly string[] = ['preset', ...FORM, 'estimators', 'seeds'];

/** What the page adds to every preset: the live estimator comparison is measured every 4 updates. */
const PAGE_CONFIG: Partial<Config> = { varianceEvery: 4 };

/** Trajectories of envs 0…AGENT_ENVS−1 of the first run are fetched every AGENT_EVERY updates. */
const AGENT_ENVS = 4;
const AGENT_EVERY = 5;

/**
 * The preset of an env and estimator: the page preset for that env that trains it, else one built
 * from presetFor(env, algo) (src/core/presets.ts) with the env's page-preset env counts if it has one.
 */
function envPreset(env: string, algo: Algo): PresetLike {
  const named = PAGE_PRESETS.find((p) => p.env === env && p.estimators.includes(algo));
  if (named) return named;
  const config = presetFor(env as EnvName, algo);
  const other = PAGE_PRESETS.find((p) => p.env === env);
  const n = config.numEnvs ?? FIELDS.numEnvs.default;
  return { id: '', env, estimators: [algo], gpuEnvs: other?.gpuEnvs ?? n, cpuEnvs: other?.cpuEnvs ?? n, config };
}

/** The page's texts for a preset (its config over PAGE_CONFIG). */
function pagePresetTexts(p: PresetLike, webgpu: boolean, backend?: string): Record<string, string> {
  return { ...presetTexts({ ...p, config: { ...PAGE_CONFIG, ...p.config } }, webgpu, backend), seeds: '1' };
}

/** Page defaults: the first preset (CartPole PPO at thousands of envs on WebGPU). */
export const TRAINER_DEFAULTS: Record<string, string> = pagePresetTexts(PAGE_PRESETS[0], true);

/** A chart heading: the metric's label (train/metrics.ts), capitalised. */
const heading = (k: MetricKey): string => METRICS[k].label.charAt(0).toUpperCase() + METRICS[k].label.slice(1);

/** Health charts on a log axis (positive, spanning decades). */
const LOG_HEALTH = new Set<MetricKey>(['sps', 'gradNorm']);

type Cols = (number | null)[][];

@customElement('pg-trainer-page')
export class PgTrainerPage extends WorkerPage {
  readonly page = 'trainer' as const;
  /** WebGPU availability on this page (from <pg-app>) */
  @property({ attribute: false }) gpu: GpuAvailability | null = null;

  @state() private runState: RunState = 'idle';
  @state() private message = '';
  @state() private notices: { level: string; text: string }[] = [];
  @state() private backends: { backend: Backend; detail: string }[] = [];
  @state() private charts: Record<string, Cols> = {};
  @state() private loaded: { name: string; text: string; algo: Algo } | null = null;
  @state() private ckIndex = 0;
  @state() private saved: SavedSummary[] = [];
  @state() private savedKey = '';
  /** live hyperparameter changes the worker applied, one mark each on every chart */
  @state() private marks: ChartMark[] = [];
  /** the live fields' values in force in the running session */
  @state() private liveApplied: Partial<Record<LiveField, number>> = {};
  /** the first run's envs 0…AGENT_ENVS−1 as last recorded (shown by <pg-agent>) */
  @state() private trajectories: Trajectory[] = [];
  /** trajectory requests in flight: reqId → env; their answers gather in `incoming` */
  private pendingTraj = new Map<number, number>();
  private incoming: Trajectory[] = [];

  private runId = 0;
  /** each run's estimator (several runs share one when it trains several seeds) */
  private runNames: string[] = [];
  /** each run's seed */
  private runSeeds: number[] = [];
  /** show each seed's return curve under the means (several seeds only) */
  @state() private showSeeds = false;
  private runConfig: Config | null = null;
  private planned: number[] = [];
  private series = new RunSeries([]);
  private frame = 0;
  /** checkpoint requests: what to do with the text (save it, or export the policy) */
  private pendingCk = new Map<number, 'save' | 'export'>();
  /** the files the last "Export policy" downloaded (for tests) */
  lastExport: { name: string; type: string; size: number }[] = [];

  static override styles = [
    base,
    PageBase.pageStyles,
    css`
      .layout {
        display: grid;
        grid-template-columns: 330px minmax(0, 1fr);
        gap: 14px;
        align-items: start;
      }
      aside {
        position: sticky;
        top: 8px;
        max-height: calc(100vh - 80px);
        overflow-y: auto;
        padding: 10px 12px;
      }
      aside h2 {
        margin: 0 0 6px;
      }
      aside .notice {
        font-size: 12px;
        padding: 4px 8px;
        margin: 6px 0;
      }
      .fields {
        display: grid;
        grid-template-columns: 1fr 1fr;
        gap: 6px 10px;
      }
      .group {
        font-weight: 600;
        font-size: 12px;
        color: #4b5563;
        text-transform: uppercase;
        letter-spacing: 0.04em;
        margin: 10px 0 4px;
      }
      details summary {
        cursor: pointer;
        font-weight: 600;
        font-size: 13px;
        margin: 10px 0 6px;
      }
      select#preset {
        font: inherit;
        width: 100%;
        padding: 4px 6px;
        border-radius: 5px;
        border: 1px solid #d1d5db;
      }
      .hint {
        font-size: 11.5px;
        color: #6b7280;
        margin: 3px 0 0;
      }
      fieldset {
        border: none;
        padding: 0;
        margin: 0;
      }
      .algos label {
        display: inline-block;
        margin: 0 8px 2px 0;
        white-space: nowrap;
        font-size: 12.5px;
      }
      .algos i {
        display: inline-block;
        width: 9px;
        height: 9px;
        border-radius: 2px;
        margin-right: 3px;
      }
      .controls {
        margin: 10px 0 4px;
      }
      .controls button,
      .files button {
        padding: 4px 10px;
      }
      .files {
        font-size: 12.5px;
      }
      .files .row {
        margin-bottom: 6px;
      }
      .head {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 16px;
        align-items: baseline;
        margin: 0 0 8px;
        min-height: 20px;
      }
      .status {
        font-weight: 600;
      }
      .backs {
        font-size: 12.5px;
        color: #4b5563;
      }
      .backs div {
        display: inline;
        margin-right: 12px;
      }
      .agent {
        margin-top: 10px;
      }
      .agent .title {
        font-weight: 600;
        margin-bottom: 6px;
      }
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(300px, 1fr));
        gap: 10px;
        margin-top: 10px;
      }
      .grid pg-chart {
        padding: 8px 10px;
        font-size: 13px;
      }
      h3 {
        margin: 16px 0 0;
      }
      input[type='file'] {
        font-size: 12px;
        max-width: 100%;
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    void this.refreshSaved();
  }

  protected get defaults(): Record<string, string> {
    return TRAINER_DEFAULTS;
  }

  /** WebGPU works here, or is not known not to. */
  private get webgpu(): boolean {
    return this.gpu?.ok !== false;
  }

  /**
   * The preset the form stands on: the named preset of the URL / last choice when it is for the
   * form's env, else the env's own preset. A field whose text differs from it is "edited".
   */
  private presetOf(texts: Record<string, string>, webgpu = this.webgpu): Record<string, string> {
    const algo = (parseEstimators(texts.estimators ?? '').algos ?? ['ppo'])[0];
    const named = PAGE_PRESETS.find((p) => p.id === texts.preset && p.env === texts.env);
    return pagePresetTexts(named ?? envPreset(texts.env ?? FIELDS.env.default, algo), webgpu, texts.backend);
  }

  /** The URL's texts over the preset they name (or their env's), so an old link keeps its meaning. */
  protected override textsFrom(params: Record<string, string>): Record<string, string> {
    const named = PAGE_PRESETS.find((p) => p.id === params.preset);
    const env = params.env ?? named?.env ?? TRAINER_DEFAULTS.env;
    const algo = (parseEstimators(params.estimators ?? '').algos ?? [])[0] ?? 'ppo';
    const p = named && named.env === env ? named : envPreset(env, algo);
    return { ...pagePresetTexts(p, this.webgpu, params.backend), ...params };
  }

  override willUpdate(changed: Map<string, unknown>): void {
    super.willUpdate(changed);
    if (changed.has('params')) {
      const unknown = unknownParams(this.params, TRAINER_KEYS);
      if (unknown.length) {
        const text = `Ignored unknown URL settings: ${unknown.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')} (known: ${TRAINER_KEYS.join(', ')}).`;
        this.notices = [...this.notices.filter((n) => !n.text.startsWith('Ignored unknown URL')), { level: 'warn', text }];
      }
    }
    if (changed.has('gpu') && this.gpu && !this.gpu.ok && !this.running) {
      // no WebGPU here: an env count still at the preset's GPU value becomes its CPU value
      const texts = rebaseTexts(this.texts, this.presetOf(this.texts, true), this.presetOf(this.texts, false));
      if (texts.numEnvs !== this.texts.numEnvs) {
        this.texts = texts;
        this.errors = this.validate().errors;
        this.publishTexts();
      }
    }
  }

  /** Config texts (without the page's own keys), the estimator list and the seeds, validated: one config per estimator × seed. */
  protected validate(): { configs?: Config[]; errors: FieldErrors } {
    const texts: Record<string, string> = {};
    for (const k of FORM) texts[k] = this.texts[k] ?? fieldText(k, FIELDS[k].default);
    const { config, errors } = validateTexts(texts);
    const est = parseEstimators(this.texts.estimators ?? '');
    if (est.error) errors.estimators = est.error;
    const preset = this.texts.preset ?? '';
    if (preset !== '' && !PAGE_PRESETS.some((p) => p.id === preset)) {
      errors.preset = `invalid preset: ${JSON.stringify(preset.slice(0, 40))} (allowed: ${PAGE_PRESETS.map((p) => p.id).join(', ')})`;
    }
    const seedBase = config?.seed ?? FIELDS.seed.default;
    const sd = checkSeeds(this.texts.seeds ?? '1', seedBase);
    if (sd.error) errors.seeds = sd.error;
    else if (this.loaded && sd.seeds!.length > 1) errors.seeds = `invalid seeds: ${JSON.stringify(this.texts.seeds)} (allowed: 1 while a loaded checkpoint continues one run)`;
    if (!config || !est.algos || errors.seeds) return { errors };
    const seeds = sd.seeds!;
    return { configs: est.algos.flatMap((algo) => seeds.map((seed) => ({ ...config, algo, seed }))), errors };
  }

  /** The whole configuration into the URL (every key, in TRAINER_KEYS order). */
  private publishTexts(): void {
    this.publish(pageParams(this.texts, TRAINER_KEYS));
  }

  override firstUpdated(): void {
    this.publishTexts();
  }

  private get running(): boolean {
    return this.runState === 'running' || this.runState === 'starting' || this.runState === 'paused';
  }

  /** A form edit. The env or backend moves the form to that env's preset, keeping the fields the user edited. */
  private onField(e: CustomEvent<FieldInputDetail>): void {
    const { name, value } = e.detail;
    const next = { ...this.texts, [name]: value };
    if (name === 'env') {
      // the env's own page preset (its estimators too) unless the estimators were edited
      const from = this.presetOf(this.texts);
      const named = this.texts.estimators === from.estimators ? PAGE_PRESETS.find((p) => p.env === value) : undefined;
      next.preset = named?.id ?? '';
    }
    this.setTexts(next, name === 'env' || name === 'backend' ? [name] : null);
  }

  private setTexts(next: Record<string, string>, rebaseOn: string[] | null): void {
    this.texts = rebaseOn ? rebaseTexts(next, this.presetOf(this.texts), this.presetOf(next), rebaseOn) : next;
    this.errors = this.validate().errors;
    this.publishTexts();
  }

  private choosePreset(id: string): void {
    const p = PAGE_PRESETS.find((x) => x.id === id);
    if (!p) return;
    this.texts = { ...pagePresetTexts(p, this.webgpu), seeds: this.texts.seeds ?? '1' };
    this.errors = this.validate().errors;
    this.publishTexts();
  }

  private toggleAlgo(a: Algo, on: boolean): void {
    const cur = (this.texts.estimators ?? '').split(',').map((s) => s.trim()).filter((s) => s);
    const next = on ? [...new Set([...cur, a])] : cur.filter((s) => s !== a);
    const estimators = ALGOS.filter((x) => next.includes(x)).concat(next.filter((x) => !(ALGOS as readonly string[]).includes(x)) as Algo[]).join(',');
    this.setTexts({ ...this.texts, estimators }, null);
  }

  // ------------------------------------------------------------------------------------------
  // Controls

  private start(): void {
    if (this.running) return;
    const { configs, errors } = this.validate();
    this.errors = errors;
    if (!configs) {
      this.message = 'Fix the highlighted fields; nothing was started.';
      return;
    }
    const w = this.worker();
    this.runId = w.id();
    this.runNames = configs.map((c) => c.algo);
    this.runSeeds = configs.map((c) => c.seed);
    this.runConfig = configs[0];
    this.planned = configs.map((c) => numUpdatesOf(c));
    this.series = new RunSeries(this.runNames, this.runSeeds);
    const labels = this.runLabels;
    this.backends = configs.map(() => ({ backend: configs[0].backend, detail: 'starting…' }));
    this.notices = [];
    this.message = '';
    this.ckIndex = 0;
    this.marks = [];
    this.liveApplied = Object.fromEntries(LIVE.map((k) => [k, configs[0][k]]));
    this.trajectories = [];
    this.pendingTraj.clear();
    this.refreshCharts();
    this.runState = 'starting';
    const ck = this.loaded;
    w.send({
      type: 'train-start',
      runId: this.runId,
      runs: configs.map((config, i) => ({ config, checkpoint: ck && ck.algo === config.algo ? ck.text : undefined, ...(this.series.multiSeed ? { label: labels[i] } : {}) })),
    });
  }

  private pause(): void {
    this.client?.send({ type: 'train-pause', runId: this.runId });
  }

  private resume(): void {
    this.client?.send({ type: 'train-resume', runId: this.runId });
  }

  private reset(): void {
    this.client?.send({ type: 'train-reset', runId: this.runId });
    this.runId = -1;
    this.runState = 'idle';
    this.series = new RunSeries([]);
    this.runNames = [];
    this.runSeeds = [];
    this.planned = [];
    this.backends = [];
    this.message = '';
    this.marks = [];
    this.trajectories = [];
    this.pendingTraj.clear();
    this.refreshCharts();
  }

  /** The live fields whose text differs from the value in force, validated through config.ts. */
  private liveChanges(): { values: Partial<Record<LiveField, number>>; errors: FieldErrors } {
    const texts: Partial<Record<LiveField, string>> = {};
    for (const k of LIVE) {
      const t = this.texts[k];
      if (t !== undefined && t.trim() !== fieldText(k, this.liveApplied[k])) texts[k] = t;
    }
    const { config, errors } = validateTexts(texts);
    const values: Partial<Record<LiveField, number>> = {};
    if (config) for (const k of Object.keys(texts) as LiveField[]) if (config[k] !== this.liveApplied[k]) values[k] = config[k];
    return { values, errors };
  }

  /** Send the edited live hyperparameters to the running session (from each run's next update). */
  private applyLive(): void {
    if (!this.client || !this.running || this.runState === 'starting') return;
    const { values, errors } = this.liveChanges();
    if (Object.keys(errors).length) {
      this.errors = { ...this.errors, ...errors };
      this.message = 'Fix the highlighted fields; nothing was changed.';
      return;
    }
    if (Object.keys(values).length === 0) return;
    this.client.send({ type: 'train-hyper', runId: this.runId, values });
  }

  private requestCheckpoint(purpose: 'save' | 'export'): void {
    if (!this.client || this.runNames.length === 0) return;
    const reqId = this.client.id();
    this.pendingCk.set(reqId, purpose);
    this.client.send({ type: 'train-checkpoint', reqId, runId: this.runId, index: this.ckIndex });
  }

  /** The chosen run's policy as policy.safetensors + policy.json (src/train/export.ts), downloaded. */
  private exportPolicyFrom(text: string): void {
    try {
      const files = exportPolicy(parseCheckpoint(text));
      for (const f of files) download(f.name, f.bytes, f.type);
      this.lastExport = files.map((f) => ({ name: f.name, type: f.type, size: f.bytes.length }));
      this.message = `Exported the ${this.runLabels[this.ckIndex] ?? ''} policy: ${files.map((f) => f.name).join(', ')}.`;
    } catch (err) {
      this.message = `Could not export the policy: ${(err as Error).message}`;
    }
  }

  private exportCsv(): void {
    download(`policygrad-curves-${this.runConfig?.env ?? 'run'}.csv`, this.series.toCsv(), 'text/csv');
  }

  private exportJson(): void {
    download(`policygrad-curves-${this.runConfig?.env ?? 'run'}.json`, this.series.toJson({ config: this.runConfig }));
  }

  /** Test hook: destroy the GPU device under run `index`, as a driver reset would. */
  loseDevice(index = 0): void {
    this.client?.send({ type: 'train-lose-device', runId: this.runId, index });
  }

  /** Curves as CSV text (what "Export CSV" saves). */
  curvesCsv(): string {
    return this.series.toCsv();
  }

  private async loadCheckpoint(e: Event): Promise<void> {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    let text: string;
    try {
      text = await file.text();
    } catch (err) {
      this.message = `Could not load "${file.name}": ${(err as Error).message}`;
      return;
    }
    this.applyCheckpoint(text, file.name);
  }

  /** The autosaved checkpoints in this browser (IndexedDB), newest first. */
  private async refreshSaved(): Promise<void> {
    try {
      this.saved = await listSaved();
      if (!this.saved.some((x) => x.key === this.savedKey)) this.savedKey = this.saved[0]?.key ?? '';
    } catch {
      this.saved = [];
    }
  }

  private async restoreSaved(): Promise<void> {
    const key = this.savedKey || this.saved[0]?.key;
    if (!key) return;
    try {
      const row = await loadSaved(key);
      if (!row) throw new Error('it is no longer stored');
      this.applyCheckpoint(row.text, row.name);
    } catch (err) {
      this.message = `Could not restore the autosaved checkpoint: ${(err as Error).message}`;
    }
  }

  /** Take a checkpoint's settings into the form; Start continues from it. */
  private applyCheckpoint(text: string, name: string): void {
    this.loaded = null;
    try {
      const ck = parseCheckpoint(text);
      const texts: Record<string, string> = { ...this.texts };
      for (const k of FORM) texts[k] = fieldText(k, ck.config[k]);
      texts.estimators = ck.config.algo;
      texts.backend = this.texts.backend;
      this.texts = texts;
      this.errors = this.validate().errors;
      this.loaded = { name, text, algo: ck.config.algo };
      this.message = `Loaded checkpoint "${name}" (${ck.config.env}, ${ck.config.algo}, update ${ck.snapshot.update}). Start continues from it; raise “${fieldLabel('totalSteps')}” to train further.`;
      this.publishTexts();
    } catch (err) {
      this.message = err instanceof CheckpointError ? `Could not load "${name}": ${err.message}` : `Could not load "${name}": ${(err as Error).message}`;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Worker messages

  protected onWorker(m: FromWorker): void {
    if ('runId' in m && m.runId !== this.runId) return;
    switch (m.type) {
      case 'train-row':
        this.series.add(m.index, m.row);
        this.scheduleCharts();
        if (m.index === 0 && (m.row.update === 1 || m.row.update % AGENT_EVERY === 0)) this.requestTrajectories();
        break;
      case 'trajectory': {
        const env = this.pendingTraj.get(m.reqId);
        if (env === undefined) break;
        this.pendingTraj.delete(m.reqId);
        this.incoming[env] = m.trajectory;
        if (this.pendingTraj.size === 0) this.trajectories = this.incoming.filter((t) => t);
        break;
      }
      case 'train-rewind':
        this.series.rewind(m.index, m.update);
        this.scheduleCharts();
        break;
      case 'train-state':
        this.runState = m.state;
        if (m.state === 'error') {
          this.message = m.message ?? 'training failed';
          if (m.field) this.errors = { ...this.errors, [m.field]: m.message ?? 'invalid' };
        }
        if (m.state === 'done') this.message = 'Training complete.';
        break;
      case 'train-backend': {
        const b = [...this.backends];
        b[m.index] = { backend: m.backend, detail: m.detail };
        this.backends = b;
        break;
      }
      case 'train-hyper-applied':
        this.onHyperApplied(m.update, m.values);
        break;
      case 'checkpoint': {
        const purpose = this.pendingCk.get(m.reqId);
        this.pendingCk.delete(m.reqId);
        if (purpose === 'save') download(m.name, m.text);
        else if (purpose === 'export') this.exportPolicyFrom(m.text);
        break;
      }
      case 'autosaved':
        void this.refreshSaved();
        break;
      case 'notice':
        if (!this.notices.some((n) => n.text === m.message)) this.notices = [...this.notices.slice(-5), { level: m.level, text: m.message }];
        break;
      case 'error':
        if (m.reqId !== undefined && this.pendingTraj.delete(m.reqId)) {
          // the agent view is a side show: say why it is missing once, train on
          if (this.pendingTraj.size === 0) this.trajectories = this.incoming.filter((t) => t);
          if (!this.notices.some((n) => n.text.startsWith('Agent view'))) this.notices = [...this.notices, { level: 'warn', text: `Agent view: ${m.message}` }];
          break;
        }
        this.message = m.message;
        if (m.field) this.errors = { ...this.errors, [m.field]: m.message };
        break;
    }
  }

  /** The first run's envs 0…AGENT_ENVS−1 from its last rollout (one batch in flight at a time). */
  private requestTrajectories(): void {
    const c = this.runConfig;
    if (!this.client || !c || this.pendingTraj.size > 0) return;
    this.incoming = [];
    for (let env = 0; env < Math.min(AGENT_ENVS, c.numEnvs); env++) {
      const reqId = this.client.id();
      this.pendingTraj.set(reqId, env);
      this.client.send({ type: 'train-trajectory', reqId, runId: this.runId, index: 0, env });
    }
  }

  /** A live change reached a run from `update` on: one mark per (update, change) on every chart. */
  private onHyperApplied(update: number, values: Partial<Record<LiveField, number>>): void {
    this.liveApplied = { ...this.liveApplied, ...values };
    const c = this.runConfig;
    if (!c) return;
    const x = update * c.numEnvs * c.numSteps;
    const label = LIVE.filter((k) => values[k] !== undefined).map((k) => `${fieldLabel(k).split(' ')[0]} ${values[k]}`).join(', ');
    if (!this.marks.some((mk) => mk.x === x && mk.label === label)) this.marks = [...this.marks, { x, label }];
  }

  /** Coalesce rows that arrive together into one chart update (one setData per chart). */
  private scheduleCharts(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.refreshCharts();
    });
  }

  private refreshCharts(): void {
    const s = this.series;
    // one line per estimator: its mean across seeds (with one seed, the run itself)
    const charts: Record<string, Cols> = {
      ret: s.meanColumnsOf(['episodicReturn']),
      retSeeds: s.columns('episodicReturn'),
      retMin: s.columns('episodicReturnMin'),
      retMax: s.columns('episodicReturnMax'),
      variance: s.meanColumnsOf(['gradVariance'], true),
      snr: s.meanColumnsOf(['gradSnr'], true),
      estVariance: s.meanColumnsOf(ESTIMATORS.map((k) => ESTIMATOR_METRICS[k].variance), true),
      estCosine: s.meanColumnsOf(ESTIMATORS.map((k) => ESTIMATOR_METRICS[k].cosine)),
    };
    for (const k of HEALTH_METRICS) charts[k] = s.meanColumnsOf([k as NumericMetric], LOG_HEALTH.has(k));
    this.seBands = s.multiSeed ? s.seBands('episodicReturn') : [];
    this.charts = charts;
  }

  /** per estimator, mean ± 1 standard error of the return across its seeds (several seeds only) */
  private seBands: { lo: (number | null)[]; hi: (number | null)[] }[] = [];

  /** Each run's name: its estimator, and its seed when an estimator trains several. */
  private get runLabels(): string[] {
    return this.series.multiSeed ? this.runNames.map((n, i) => `${n} seed ${this.runSeeds[i]}`) : this.runNames;
  }

  /**
   * The return chart: with one seed per estimator each run's mean episodic return and the min–max band
   * of its update's episodes (as ever); with several, each estimator's mean across seeds and a ±1
   * standard-error band, each seed's curve (dashed) after the means when "each seed" is ticked.
   */
  private returnChart() {
    const s = this.series;
    const multi = s.multiSeed;
    const n = s.groups.length ? s.names.length / s.groups.length : 0;
    const means: ChartSeries[] = s.groups.map((g) => ({ label: multi ? `${g} (mean of ${n} seeds)` : g, color: ALGO_COLORS[g] }));
    const seeds: ChartSeries[] = multi && this.showSeeds ? this.runLabels.map((l, i) => ({ label: l, color: ALGO_COLORS[this.runNames[i]], dash: [3, 3] })) : [];
    const data = this.charts.ret && seeds.length ? [...this.charts.ret, ...(this.charts.retSeeds ?? []).slice(1)] : (this.charts.ret ?? [[]]);
    const bands = multi
      ? this.seBands.map((b, i) => ({ series: i, lo: b.lo, hi: b.hi }))
      : s.groups.map((_, i) => ({ series: i, lo: this.charts.retMin?.[i + 1] ?? [], hi: this.charts.retMax?.[i + 1] ?? [] }));
    const head = multi
      ? `${heading('episodicReturn')}: mean across ${n} seeds per estimator (band: ±1 standard error across seeds)`
      : `${heading('episodicReturn')} (band: min–max over the update's episodes)`;
    return html`<pg-chart class="card" id="chart-return" emptyText="No episodes finished yet — press Start." heading=${head} xLabel=${METRICS.envSteps.label} yLabel="return" height="300"
        .series=${[...means, ...seeds]} .data=${data} .marks=${this.marks} .bands=${bands}></pg-chart>
      ${multi
        ? html`<label class="hint" id="show-seeds"><input type="checkbox" .checked=${this.showSeeds} @change=${(e: Event) => (this.showSeeds = (e.target as HTMLInputElement).checked)} /> each seed (dashed lines)</label>`
        : nothing}`;
  }

  // ------------------------------------------------------------------------------------------

  private field(k: FieldName, disabled: boolean, edited: Set<string>) {
    const f = FIELDS[k];
    const kind = f.kind === 'enum' ? 'select' : f.kind === 'bool' ? 'checkbox' : 'text';
    const options = f.kind === 'enum' ? f.values : [];
    return html`<pg-field compact name=${k} label=${fieldLabel(k)} kind=${kind} .options=${options} .value=${this.texts[k] ?? ''} hint=${fieldHint(k)} .error=${this.errors[k] ?? ''} ?edited=${edited.has(k)} ?disabled=${disabled}></pg-field>`;
  }

  /** One small chart per run of a metric of the health grid. */
  private healthChart(k: MetricKey, series: ChartSeries[]) {
    return html`<pg-chart class="card" id=${`chart-${k}`} data-metric=${k} heading=${heading(k)} xLabel=${METRICS.envSteps.label} yLabel="" height="150" ?logY=${LOG_HEALTH.has(k)}
      .series=${series} .data=${this.charts[k] ?? [[]]} .marks=${this.marks}></pg-chart>`;
  }

  private renderPanel(running: boolean) {
    const chosen = new Set((this.texts.estimators ?? '').split(',').map((s) => s.trim()));
    const edited = editedFields(this.texts, this.presetOf(this.texts));
    const live = this.running && this.runState !== 'starting';
    const liveChange = live ? this.liveChanges() : null;
    const canApply = !!liveChange && Object.keys(liveChange.values).length > 0 && Object.keys(liveChange.errors).length === 0;
    return html`<aside class="card" @field-input=${this.onField}>
      <h2>Trainer</h2>
      <label class="group" for="preset">Preset</label>
      <select id="preset" ?disabled=${running} @change=${(e: Event) => this.choosePreset((e.target as HTMLSelectElement).value)}>
        ${PAGE_PRESETS.some((p) => p.id === this.texts.preset) ? nothing : html`<option value="" selected>custom (${this.texts.env})</option>`}
        ${PAGE_PRESETS.map((p: PagePreset) => html`<option value=${p.id} ?selected=${p.id === this.texts.preset}>${p.label}</option>`)}
      </select>
      ${this.errors.preset ? html`<div class="error" id="preset-error" role="alert">${this.errors.preset}</div>` : nothing}
      <p class="hint" id="preset-hint">A preset fills the form (env count: ${this.webgpu ? 'its WebGPU value' : 'its CPU value, WebGPU being unavailable'}). Changing the environment loads that env’s preset into every field you have not edited; edited fields (marked <span style="color:#2563eb">•</span>) keep your values.</p>
      <div class="group">Estimators (side by side)</div>
      <fieldset class="algos" id="estimators">
        ${ALGOS.map(
          (a) => html`<label><input type="checkbox" data-algo=${a} .checked=${chosen.has(a)} ?disabled=${running} @change=${(e: Event) => this.toggleAlgo(a, (e.target as HTMLInputElement).checked)} /><i style="background:${ALGO_COLORS[a]}"></i>${a}</label>`,
        )}
        ${this.errors.estimators ? html`<div class="error" role="alert">${this.errors.estimators}</div>` : nothing}
      </fieldset>
      <div class="row controls">
        <button class="primary" id="start" ?disabled=${running} @click=${this.start}>Start</button>
        ${this.runState === 'paused'
          ? html`<button id="resume" @click=${this.resume}>Resume</button>`
          : html`<button id="pause" ?disabled=${this.runState !== 'running'} @click=${this.pause}>Pause</button>`}
        <button id="reset" ?disabled=${this.runState === 'idle'} @click=${this.reset}>Reset</button>
      </div>
      ${this.message ? html`<div class="notice ${this.runState === 'error' || this.message.startsWith('Fix') || this.message.startsWith('Could') ? 'bad' : ''}" id="message" role="status">${this.message}</div>` : nothing}
      ${this.notices.map((n) => html`<div class="notice ${n.level === 'error' ? 'bad' : ''}" data-level=${n.level}>${n.text}</div>`)}
      <div class="group">Run</div>
      <div class="fields">
        ${BASIC.map((k) => this.field(k, running, edited))}
        <pg-field compact name="seeds" label="seeds" kind="text" .value=${this.texts.seeds ?? '1'} hint=${`each estimator trains once per seed, one after another in turn (the charts plot the mean across seeds); a count N counts up from the seed field, a list replaces it — ${SEEDS_ALLOWED}`} .error=${this.errors.seeds ?? ''} ?edited=${(this.texts.seeds ?? '1') !== '1'} ?disabled=${running}></pg-field>
      </div>
      <div class="group">Hyperparameters</div>
      <div class="fields">${MAIN.map((k) => this.field(k, running && !(LIVE as readonly string[]).includes(k), edited))}</div>
      <div class="row" style="margin-top:6px">
        <button id="apply-live" ?disabled=${!canApply} @click=${this.applyLive} title="λ, lr, entropy coef and clip ε take effect from each run's next update">Apply to the running run</button>
      </div>
      <p class="hint">While a run trains, λ, lr, entropy coef β and clip ε can be changed: each change is marked on every chart.</p>
      <details id="advanced">
        <summary>Advanced hyperparameters</summary>
        <div class="fields">${ADVANCED.map((k) => this.field(k, running, edited))}</div>
      </details>
      <details id="files" open>
        <summary>Export, checkpoints</summary>
        <div class="files">
          <div class="row">
            <select id="ck-run" aria-label="run to checkpoint or export" ?disabled=${this.runNames.length === 0} @change=${(e: Event) => (this.ckIndex = Number((e.target as HTMLSelectElement).value))}>
              ${this.runNames.length ? this.runLabels.map((n, i) => html`<option value=${i} ?selected=${i === this.ckIndex}>${n}</option>`) : html`<option>run</option>`}
            </select>
            <button id="export-policy" ?disabled=${this.runNames.length === 0 || this.runState === 'starting'} @click=${() => this.requestCheckpoint('export')}>Export policy</button>
            <button id="save-ck" ?disabled=${this.runNames.length === 0 || this.runState === 'starting'} @click=${() => this.requestCheckpoint('save')}>Save checkpoint</button>
          </div>
          <div class="row">
            <button id="export-csv" ?disabled=${this.series.total === 0} @click=${this.exportCsv}>Curves CSV</button>
            <button id="export-json" ?disabled=${this.series.total === 0} @click=${this.exportJson}>Curves JSON</button>
          </div>
          <label>Load checkpoint <input id="load-ck" type="file" accept=".json,application/json" ?disabled=${running} @change=${this.loadCheckpoint} /></label>
          ${this.saved.length
            ? html`<div class="row" style="margin-top:6px">
                <select id="autosaved" aria-label="autosaved checkpoint" ?disabled=${running} @change=${(e: Event) => (this.savedKey = (e.target as HTMLSelectElement).value)}>
                  ${this.saved.map((x) => html`<option value=${x.key} ?selected=${x.key === this.savedKey}>${x.env} ${x.algo}${x.seed === undefined ? '' : ` seed ${x.seed}`} u${x.update} (${new Date(x.savedAt).toLocaleTimeString()})</option>`)}
                </select>
                <button id="restore-ck" ?disabled=${running} @click=${this.restoreSaved}>Restore autosaved</button>
              </div>`
            : nothing}
          ${this.loaded ? html`<div class="muted">loaded: ${this.loaded.name}</div>` : nothing}
        </div>
      </details>
    </aside>`;
  }

  override render() {
    const running = this.running;
    // every chart but the return chart: one line per estimator, its mean across seeds
    const groups = this.series.groups;
    const series: ChartSeries[] = groups.map((n) => ({ label: this.series.multiSeed ? `${n} (mean across seeds)` : n, color: ALGO_COLORS[n] }));
    const multi = groups.length > 1;
    const estSeries: ChartSeries[] = groups.flatMap((n, r) =>
      ESTIMATORS.map((k: EstimatorKind) => ({ label: multi ? `${k} (${n} run)` : k, color: ALGO_COLORS[k], dash: r > 0 ? [6, 4] : undefined })),
    );
    const g = this.gpu;
    const x = METRICS.envSteps.label;
    return html`<div class="layout">
      ${this.renderPanel(running)}
      <section class="main">
        ${g && !g.ok ? html`<div class="notice" id="no-webgpu" role="status">WebGPU is not available here: ${g.reason} The CPU engine runs instead.</div>` : nothing}
        <div class="head">
          <span class="status" id="status" data-state=${this.runState}>${statusText(this.runState, this.runLabels, this.series.lastUpdates(), this.planned)}</span>
          ${this.backends.length
            ? html`<span class="backs" id="backends">${this.backends.map((b, i) => html`<div data-backend=${b.backend}><b>${this.runLabels[i]}</b>: ${b.backend.toUpperCase()} — ${b.detail}</div>`)}</span>`
            : nothing}
        </div>
        <div class="top">
          ${this.returnChart()}
        </div>
        <div class="card agent">
          <div class="title">The agent: ${this.runLabels[0] ?? 'first run'}, envs 0–${AGENT_ENVS - 1} of the last rollout (refreshed every ${AGENT_EVERY} updates)</div>
          ${this.trajectories.length
            ? html`<pg-agent id="agent" .env=${(this.runConfig?.env ?? this.texts.env) as EnvName} .trajectories=${this.trajectories} @agent-select=${() => this.requestTrajectories()}></pg-agent>`
            : html`<div class="muted">Shown once the first run has collected a rollout.</div>`}
        </div>
        <h3>PPO health</h3>
        <div class="grid" id="health">${HEALTH_METRICS.map((k) => this.healthChart(k, series))}</div>
        <h3>Gradient estimators, compared live on the same rollout (every ${this.runConfig?.varianceEvery ?? this.texts.varianceEvery ?? '?'} updates)</h3>
        <div class="grid" id="estimators-live">
          <pg-chart class="card" id="chart-est-variance" emptyText="Measured every varianceEvery updates (0 = off)." heading="Gradient variance, all estimators (tr Cov)" xLabel=${x} yLabel="" height="170" logY
            .series=${estSeries} .data=${this.charts.estVariance ?? [[]]} .marks=${this.marks}></pg-chart>
          <pg-chart class="card" id="chart-est-cosine" emptyText="Measured every varianceEvery updates (0 = off)." heading="Cosine to the mean estimate" xLabel=${x} yLabel="" height="170"
            .series=${estSeries} .data=${this.charts.estCosine ?? [[]]} .marks=${this.marks}></pg-chart>
          <pg-chart class="card" id="chart-variance" emptyText="Measured every varianceEvery updates (0 = off)." heading=${`Trained Ψ: ${METRICS.gradVariance.label}`} xLabel=${x} yLabel="" height="170" logY
            .series=${series} .data=${this.charts.variance ?? [[]]} .marks=${this.marks}></pg-chart>
          <pg-chart class="card" id="chart-snr" emptyText="Measured every varianceEvery updates (0 = off)." heading=${`Trained Ψ: ${METRICS.gradSnr.label}`} xLabel=${x} yLabel="" height="170" logY
            .series=${series} .data=${this.charts.snr ?? [[]]} .marks=${this.marks}></pg-chart>
        </div>
      </section>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-trainer-page': PgTrainerPage;
  }
}
