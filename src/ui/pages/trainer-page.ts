/**
 * Trainer page: several estimators side by side on the same env and seed, trained in the worker;
 * live curves per update (return, gradient variance and SNR, env-steps/s); curve export (CSV, JSON),
 * checkpoint save and load. Every field is validated inline through config.ts; a bad field stops
 * nothing that is running and starts nothing new.
 */
import { html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { FIELDS, type Config, type FieldName } from '../../core/config';
import { ALGOS, type Algo, type Backend } from '../../core/types';
import { parseCheckpoint } from '../../train/checkpoint';
import { listSaved, loadSaved, type SavedSummary } from '../autosave';
import { CheckpointError } from '../../core/errors';
import { base, ALGO_COLORS } from '../styles';
import { PageBase, WorkerPage } from './page-base';
import { defaultTexts, fieldHint, parseEstimators, validateTexts, fieldText, type FieldErrors } from '../form';
import { RunSeries } from '../series';
import { METRICS, type MetricKey } from '../../train/metrics';
import { download } from '../worker-client';
import type { FromWorker, RunState } from '../protocol';
import type { GpuAvailability } from '../gpu-detect';
import type { FieldInputDetail } from '../components/pg-field';
import type { ChartSeries } from '../components/pg-chart';
import '../components/pg-field';
import '../components/pg-chart';

/** The fields on the form, in order: the basics first, then the hyperparameters. */
const BASIC: FieldName[] = ['env', 'backend', 'numEnvs', 'numSteps', 'totalSteps', 'seed'];
const HYPER: FieldName[] = [
  'gamma', 'lambda', 'lr', 'annealLr', 'adamEps', 'maxGradNorm', 'epochs', 'minibatches', 'clip', 'entCoef', 'vfCoef',
  'klCoef', 'targetKl', 'normAdv', 'hidden', 'activation', 'baselineDecay', 'varianceGroups', 'varianceEvery',
];
const LABELS: Partial<Record<FieldName, string>> = { numEnvs: 'env count', numSteps: 'steps per rollout', totalSteps: 'total env steps' };

/** Page defaults: config.ts's, except the browser starts on the GPU and measures variance. */
export const TRAINER_DEFAULTS: Record<string, string> = { ...defaultTexts(), backend: 'gpu', varianceEvery: '4', estimators: 'reinforce-rtg,ppo' };

/** A chart heading: the metric's label (train/metrics.ts), capitalised. */
const heading = (k: MetricKey): string => METRICS[k].label.charAt(0).toUpperCase() + METRICS[k].label.slice(1);

@customElement('pg-trainer-page')
export class PgTrainerPage extends WorkerPage {
  readonly page = 'trainer' as const;
  /** WebGPU availability on this page (from <pg-app>) */
  @property({ attribute: false }) gpu: GpuAvailability | null = null;

  @state() private runState: RunState = 'idle';
  @state() private message = '';
  @state() private notices: { level: string; text: string }[] = [];
  @state() private backends: { backend: Backend; detail: string }[] = [];
  @state() private charts = { retMin: [[]] as (number | null)[][], retMax: [[]] as (number | null)[][], ret: [[]] as (number | null)[][], variance: [[]] as (number | null)[][], snr: [[]] as (number | null)[][], sps: [[]] as (number | null)[][] };
  @state() private loaded: { name: string; text: string; algo: Algo } | null = null;
  @state() private ckIndex = 0;
  @state() private saved: SavedSummary[] = [];
  @state() private savedKey = '';

  private runId = 0;
  private runNames: string[] = [];
  private runConfig: Config | null = null;
  private series = new RunSeries([]);
  private frame = 0;
  private pendingCk = new Map<number, true>();

  static override styles = [
    base,
    PageBase.pageStyles,
    css`
      .fields {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(190px, 1fr));
        gap: 10px 14px;
      }
      details summary {
        cursor: pointer;
        font-weight: 600;
        margin: 10px 0 6px;
      }
      fieldset {
        border: none;
        padding: 0;
        margin: 0 0 8px;
      }
      legend {
        font-weight: 600;
        font-size: 12.5px;
        padding: 0;
        margin-bottom: 4px;
      }
      .algos label {
        margin-right: 12px;
        white-space: nowrap;
      }
      .algos i {
        display: inline-block;
        width: 10px;
        height: 10px;
        border-radius: 2px;
        margin-right: 3px;
      }
      .controls {
        margin: 12px 0 4px;
      }
      .status {
        margin-left: 8px;
      }
      .charts {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(560px, 1fr));
        gap: 14px;
        margin-top: 14px;
      }
      .backs {
        font-size: 12.5px;
        margin-top: 4px;
      }
      input[type='file'] {
        font-size: 12.5px;
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

  /** Config texts (without the page's own keys) and the estimator list, validated. */
  protected validate(): { configs?: Config[]; errors: FieldErrors } {
    const texts: Record<string, string> = {};
    for (const k of [...BASIC, ...HYPER]) texts[k] = this.texts[k] ?? fieldText(k, FIELDS[k].default);
    const { config, errors } = validateTexts(texts);
    const est = parseEstimators(this.texts.estimators ?? '');
    if (est.error) errors.estimators = est.error;
    if (!config || !est.algos) return { errors };
    return { configs: est.algos.map((algo) => ({ ...config, algo })), errors };
  }

  private publishTexts(): void {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.texts)) if (TRAINER_DEFAULTS[k] !== v) out[k] = v;
    this.publish(out);
  }

  private onField(e: CustomEvent<FieldInputDetail>): void {
    this.texts = { ...this.texts, [e.detail.name]: e.detail.value };
    this.errors = this.validate().errors;
    this.publishTexts();
  }

  private toggleAlgo(a: Algo, on: boolean): void {
    const cur = (this.texts.estimators ?? '').split(',').map((s) => s.trim()).filter((s) => s);
    const next = on ? [...new Set([...cur, a])] : cur.filter((s) => s !== a);
    this.texts = { ...this.texts, estimators: ALGOS.filter((x) => next.includes(x)).concat(next.filter((x) => !(ALGOS as readonly string[]).includes(x)) as Algo[]).join(',') };
    this.errors = this.validate().errors;
    this.publishTexts();
  }

  // ------------------------------------------------------------------------------------------
  // Controls

  private start(): void {
    if (this.runState === 'running' || this.runState === 'starting' || this.runState === 'paused') return;
    const { configs, errors } = this.validate();
    this.errors = errors;
    if (!configs) {
      this.message = 'Fix the highlighted fields; nothing was started.';
      return;
    }
    const w = this.worker();
    this.runId = w.id();
    this.runNames = configs.map((c) => c.algo);
    this.runConfig = configs[0];
    this.series = new RunSeries(this.runNames);
    this.backends = configs.map(() => ({ backend: configs[0].backend, detail: 'starting…' }));
    this.notices = [];
    this.message = '';
    this.ckIndex = 0;
    this.refreshCharts();
    this.runState = 'starting';
    const ck = this.loaded;
    w.send({ type: 'train-start', runId: this.runId, runs: configs.map((config) => ({ config, checkpoint: ck && ck.algo === config.algo ? ck.text : undefined })) });
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
    this.backends = [];
    this.message = '';
    this.refreshCharts();
  }

  private saveCheckpoint(): void {
    if (!this.client || this.runNames.length === 0) return;
    const reqId = this.client.id();
    this.pendingCk.set(reqId, true);
    this.client.send({ type: 'train-checkpoint', reqId, runId: this.runId, index: this.ckIndex });
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
    const file = { name };
    this.loaded = null;
    try {
      const ck = parseCheckpoint(text);
      const texts: Record<string, string> = { ...this.texts };
      for (const k of [...BASIC, ...HYPER]) texts[k] = fieldText(k, ck.config[k]);
      texts.estimators = ck.config.algo;
      texts.backend = this.texts.backend;
      this.texts = texts;
      this.errors = this.validate().errors;
      this.loaded = { name: file.name, text, algo: ck.config.algo };
      this.message = `Loaded checkpoint "${file.name}" (${ck.config.env}, ${ck.config.algo}, update ${ck.snapshot.update}). Start continues from it; raise “total env steps” to train further.`;
      this.publishTexts();
    } catch (err) {
      this.message = err instanceof CheckpointError ? `Could not load "${file.name}": ${err.message}` : `Could not load "${file.name}": ${(err as Error).message}`;
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
        break;
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
      case 'checkpoint':
        if (this.pendingCk.delete(m.reqId)) download(m.name, m.text);
        break;
      case 'autosaved':
        void this.refreshSaved();
        break;
      case 'notice':
        if (!this.notices.some((n) => n.text === m.message)) this.notices = [...this.notices.slice(-5), { level: m.level, text: m.message }];
        break;
      case 'error':
        this.message = m.message;
        if (m.field) this.errors = { ...this.errors, [m.field]: m.message };
        break;
    }
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
    this.charts = {
      ret: this.series.columns('episodicReturn'),
      retMin: this.series.columns('episodicReturnMin'),
      retMax: this.series.columns('episodicReturnMax'),
      variance: this.series.columns('gradVariance', true),
      snr: this.series.columns('gradSnr', true),
      sps: this.series.columns('sps', true),
    };
  }

  // ------------------------------------------------------------------------------------------

  private field(k: FieldName, disabled: boolean) {
    const f = FIELDS[k];
    const kind = f.kind === 'enum' ? 'select' : f.kind === 'bool' ? 'checkbox' : 'text';
    const options = f.kind === 'enum' ? f.values : [];
    return html`<pg-field name=${k} label=${LABELS[k] ?? k} kind=${kind} .options=${options} .value=${this.texts[k] ?? ''} hint=${fieldHint(k)} .error=${this.errors[k] ?? ''} ?disabled=${disabled}></pg-field>`;
  }

  override render() {
    const running = this.runState === 'running' || this.runState === 'starting' || this.runState === 'paused';
    const chosen = new Set((this.texts.estimators ?? '').split(',').map((s) => s.trim()));
    const series: ChartSeries[] = this.runNames.map((n) => ({ label: n, color: ALGO_COLORS[n] }));
    const rowsDone = this.series.rows.map((r) => r.length);
    const g = this.gpu;
    return html`
      <h2>Trainer</h2>
      <p class="lead">Several estimators side by side on the same environment and seed (common random numbers). Training runs in a worker; the charts update once per update.</p>
      ${g && !g.ok ? html`<div class="notice" id="no-webgpu" role="status">WebGPU is not available here: ${g.reason} The CPU engine runs instead.</div>` : nothing}
      <div class="card" @field-input=${this.onField}>
        <fieldset class="algos" id="estimators">
          <legend>estimators (side by side)</legend>
          ${ALGOS.map(
            (a) => html`<label><input type="checkbox" data-algo=${a} .checked=${chosen.has(a)} ?disabled=${running} @change=${(e: Event) => this.toggleAlgo(a, (e.target as HTMLInputElement).checked)} /><i style="background:${ALGO_COLORS[a]}"></i>${a}</label>`,
          )}
          ${this.errors.estimators ? html`<div class="error" role="alert">${this.errors.estimators}</div>` : nothing}
        </fieldset>
        <div class="fields">${BASIC.map((k) => this.field(k, running))}</div>
        <details open>
          <summary>Hyperparameters</summary>
          <div class="fields">${HYPER.map((k) => this.field(k, running))}</div>
        </details>
        <div class="row controls">
          <button class="primary" id="start" ?disabled=${running} @click=${this.start}>Start</button>
          ${this.runState === 'paused'
            ? html`<button id="resume" @click=${this.resume}>Resume</button>`
            : html`<button id="pause" ?disabled=${this.runState !== 'running'} @click=${this.pause}>Pause</button>`}
          <button id="reset" ?disabled=${this.runState === 'idle'} @click=${this.reset}>Reset</button>
          <span class="status" id="status" data-state=${this.runState}>
            ${this.runState}${this.runNames.length ? html` — updates ${rowsDone.join(' / ')}` : nothing}
          </span>
        </div>
        <div class="row">
          <button id="export-csv" ?disabled=${this.series.total === 0} @click=${this.exportCsv}>Export CSV</button>
          <button id="export-json" ?disabled=${this.series.total === 0} @click=${this.exportJson}>Export JSON</button>
          <select id="ck-run" aria-label="run to checkpoint" ?disabled=${this.runNames.length === 0} @change=${(e: Event) => (this.ckIndex = Number((e.target as HTMLSelectElement).value))}>
            ${this.runNames.map((n, i) => html`<option value=${i} ?selected=${i === this.ckIndex}>${n}</option>`)}
          </select>
          <button id="save-ck" ?disabled=${this.runNames.length === 0 || this.runState === 'starting'} @click=${this.saveCheckpoint}>Save checkpoint</button>
          <label>Load checkpoint <input id="load-ck" type="file" accept=".json,application/json" ?disabled=${running} @change=${this.loadCheckpoint} /></label>
          ${this.saved.length
            ? html`<select id="autosaved" aria-label="autosaved checkpoint" ?disabled=${running} @change=${(e: Event) => (this.savedKey = (e.target as HTMLSelectElement).value)}>
                  ${this.saved.map((x) => html`<option value=${x.key} ?selected=${x.key === this.savedKey}>${x.env} ${x.algo} u${x.update} (${new Date(x.savedAt).toLocaleTimeString()})</option>`)}
                </select>
                <button id="restore-ck" ?disabled=${running} @click=${this.restoreSaved}>Restore autosaved</button>`
            : nothing}
          ${this.loaded ? html`<span class="muted">loaded: ${this.loaded.name}</span>` : nothing}
        </div>
        ${this.message ? html`<div class="notice ${this.runState === 'error' || this.message.startsWith('Fix') || this.message.startsWith('Could') ? 'bad' : ''}" id="message" role="status">${this.message}</div>` : nothing}
        ${this.notices.map((n) => html`<div class="notice ${n.level === 'error' ? 'bad' : ''}" data-level=${n.level}>${n.text}</div>`)}
        ${this.backends.length
          ? html`<div class="backs" id="backends">${this.backends.map((b, i) => html`<div data-backend=${b.backend}><b>${this.runNames[i]}</b>: ${b.backend.toUpperCase()} — ${b.detail}</div>`)}</div>`
          : nothing}
      </div>
      <div class="charts">
        <pg-chart class="card" id="chart-return" emptyText="No episodes finished yet — press Start." heading=${`${heading('episodicReturn')} (band: min–max over the update's episodes)`} xLabel=${METRICS.envSteps.label} yLabel="return" .series=${series} .data=${this.charts.ret} .bands=${this.runNames.map((_, i) => ({ series: i, lo: this.charts.retMin[i + 1] ?? [], hi: this.charts.retMax[i + 1] ?? [] }))}></pg-chart>
        <pg-chart class="card" id="chart-variance" emptyText="Measured every varianceEvery updates (0 = off)." heading=${heading('gradVariance')} xLabel=${METRICS.envSteps.label} yLabel="tr Cov" logY .series=${series} .data=${this.charts.variance}></pg-chart>
        <pg-chart class="card" id="chart-snr" emptyText="Measured every varianceEvery updates (0 = off)." heading=${heading('gradSnr')} xLabel=${METRICS.envSteps.label} yLabel="SNR" logY .series=${series} .data=${this.charts.snr}></pg-chart>
        <pg-chart class="card" id="chart-sps" heading=${heading('sps')} xLabel=${METRICS.envSteps.label} yLabel="steps/s" logY .series=${series} .data=${this.charts.sps}></pg-chart>
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-trainer-page': PgTrainerPage;
  }
}
