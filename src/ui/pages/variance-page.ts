/**
 * Variance lab: one frozen policy (after a few warm-up updates), one batch of rollouts, several Ψ on
 * the same rollouts (common random numbers). Per estimator, a histogram of the per-group gradient
 * estimates projected on one direction (the exact ∇J's on the tiny envs), their mean and the
 * reference; a λ slider recomputes GAE on the same rollouts; bias², variance and their sum vs λ.
 * The work runs in the worker through the trainer's engine (`gradientEstimates` with a λ).
 */
import { html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { FIELDS, type Config, type FieldName } from '../../core/config';
import { ESTIMATORS, type EstimatorKind, type VarianceStats, type Backend } from '../../core/types';
import { base, ALGO_COLORS } from '../styles';
import { PageBase, WorkerPage } from './page-base';
import { checkField, checkNumber, defaultTexts, fieldHint, validateTexts, type FieldErrors } from '../form';
import { histogram, rangeOf } from '../lab/histogram';
import type { FromWorker, VarianceSweep } from '../protocol';
import type { GpuAvailability } from '../gpu-detect';
import type { FieldInputDetail } from '../components/pg-field';
import type { HistMarker } from '../components/pg-histogram';
import '../components/pg-field';
import '../components/pg-chart';
import '../components/pg-histogram';

const CONFIG_FIELDS: FieldName[] = ['env', 'backend', 'numEnvs', 'numSteps', 'seed', 'gamma', 'varianceGroups', 'lr', 'hidden'];
const LABELS: Partial<Record<FieldName, string>> = { numEnvs: 'env count', numSteps: 'steps per rollout', varianceGroups: 'groups G' };
export const VARIANCE_DEFAULTS: Record<string, string> = {
  ...Object.fromEntries(CONFIG_FIELDS.map((k) => [k, defaultTexts()[k]])),
  env: 'twostate',
  backend: 'cpu',
  numEnvs: '512',
  numSteps: '64',
  varianceGroups: '32',
  lr: '0.05',
  lambda: '0.5',
  warmup: '5',
  estimators: ESTIMATORS.join(','),
};
const SWEEP = Array.from({ length: 11 }, (_, i) => i / 10);
const BINS = 24;

const fmt = (v: number | undefined, d = 4): string => (v !== undefined && Number.isFinite(v) ? (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(d)) : '—');

@customElement('pg-variance-page')
export class PgVariancePage extends WorkerPage {
  readonly page = 'variance' as const;
  /** WebGPU availability (from <pg-app>) */
  @property({ attribute: false }) gpu: GpuAvailability | null = null;

  @state() private busy = false;
  @state() private message = '';
  @state() private stats: VarianceStats | null = null;
  @state() private statsLambda = NaN;
  @state() private sweep: VarianceSweep | null = null;
  @state() private refKind: 'exact' | 'monte-carlo' = 'exact';
  @state() private actor: number[] | undefined;
  @state() private backend: Backend | null = null;
  @state() private usedSteps = 0;
  @state() private notices: string[] = [];

  private setupId = 0;
  private lambdaInFlight = false;
  private lambdaPending: number | null = null;
  private ready = false;
  private config: Config | null = null;

  static override styles = [
    base,
    PageBase.pageStyles,
    css`
      .fields {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(180px, 1fr));
        gap: 10px 14px;
      }
      .algos label {
        margin-right: 12px;
        white-space: nowrap;
      }
      .lam {
        display: flex;
        align-items: center;
        gap: 10px;
        margin: 10px 0;
      }
      .lam input[type='range'] {
        width: 320px;
      }
      .hists {
        display: flex;
        flex-wrap: wrap;
        gap: 12px;
      }
      .two {
        display: grid;
        grid-template-columns: minmax(420px, 1fr) minmax(480px, 1fr);
        gap: 14px;
        margin-top: 14px;
      }
      .l {
        text-align: left;
      }
    `,
  ];

  protected get defaults(): Record<string, string> {
    return VARIANCE_DEFAULTS;
  }

  protected validate(): { config?: Config; kinds?: EstimatorKind[]; lambda?: number; warmup?: number; errors: FieldErrors } {
    const texts: Record<string, string> = {};
    for (const k of CONFIG_FIELDS) texts[k] = this.texts[k] ?? '';
    const { config, errors } = validateTexts(texts);
    const lam = checkField('lambda', this.texts.lambda ?? '');
    if (lam.error) errors.lambda = lam.error;
    const warm = checkNumber('warmup', this.texts.warmup ?? '', 0, 200, true);
    if (warm.error) errors.warmup = warm.error;
    const kinds = (this.texts.estimators ?? '').split(',').map((s) => s.trim()).filter((s) => s) as EstimatorKind[];
    const bad = kinds.find((k) => !(ESTIMATORS as readonly string[]).includes(k));
    if (bad !== undefined || kinds.length === 0) errors.estimators = `invalid estimators: ${JSON.stringify(this.texts.estimators ?? '')} (allowed: 1–5 of ${ESTIMATORS.join(', ')})`;
    if (Object.keys(errors).length > 0 || !config) return { errors };
    return { config, kinds, lambda: lam.value, warmup: warm.value, errors };
  }

  private publishTexts(): void {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.texts)) if (VARIANCE_DEFAULTS[k] !== v) out[k] = v;
    this.publish(out);
  }

  private onField(e: CustomEvent<FieldInputDetail>): void {
    this.texts = { ...this.texts, [e.detail.name]: e.detail.value };
    this.errors = this.validate().errors;
    this.publishTexts();
    if (e.detail.name === 'lambda') this.requestLambda();
  }

  private toggle(k: EstimatorKind, on: boolean): void {
    const cur = (this.texts.estimators ?? '').split(',').filter((s) => s);
    const next = on ? [...new Set([...cur, k])] : cur.filter((s) => s !== k);
    this.texts = { ...this.texts, estimators: ESTIMATORS.filter((x) => next.includes(x)).join(',') };
    this.errors = this.validate().errors;
    this.publishTexts();
  }

  /** Freeze a policy, collect the rollouts and compute everything (the "Sample" button). */
  private sample(): void {
    const v = this.validate();
    this.errors = v.errors;
    if (!v.config || !v.kinds || v.lambda === undefined || v.warmup === undefined) {
      this.message = 'Fix the highlighted fields; nothing was computed.';
      return;
    }
    const w = this.worker();
    this.setupId = w.id();
    this.busy = true;
    this.ready = false;
    this.message = '';
    this.notices = [];
    this.config = v.config;
    w.send({ type: 'variance-setup', reqId: this.setupId, config: { ...v.config, algo: 'gae' }, warmup: v.warmup, kinds: v.kinds, groups: v.config.varianceGroups, lambdas: SWEEP, lambda: v.lambda });
  }

  /** Recompute GAE on the same rollouts for the current λ (one request in flight, latest wins). */
  private requestLambda(): void {
    const lam = checkField('lambda', this.texts.lambda ?? '');
    if (lam.value === undefined || !this.ready || !this.client) return;
    if (this.lambdaInFlight) {
      this.lambdaPending = lam.value;
      return;
    }
    this.lambdaInFlight = true;
    this.client.send({ type: 'variance-lambda', reqId: this.setupId, lambda: lam.value });
  }

  protected onWorker(m: FromWorker): void {
    if ('reqId' in m && m.reqId !== undefined && m.reqId !== this.setupId) return;
    switch (m.type) {
      case 'variance-sweep':
        this.sweep = m.sweep;
        break;
      case 'variance-result':
        this.stats = m.stats;
        this.statsLambda = m.lambda;
        this.refKind = m.reference;
        this.actor = m.actor;
        this.backend = m.backend;
        this.usedSteps = m.numSteps;
        this.busy = false;
        if (!this.ready) this.ready = true;
        else this.lambdaInFlight = false;
        if (this.lambdaPending !== null) {
          const l = this.lambdaPending;
          this.lambdaPending = null;
          this.lambdaInFlight = true;
          this.client?.send({ type: 'variance-lambda', reqId: this.setupId, lambda: l });
        }
        break;
      case 'notice':
        if (!this.notices.includes(m.message)) this.notices = [...this.notices.slice(-3), m.message];
        break;
      case 'error':
        this.busy = false;
        this.lambdaInFlight = false;
        this.message = m.message;
        if (m.field) this.errors = { ...this.errors, [m.field]: m.message };
        break;
    }
  }

  private field(k: FieldName) {
    const f = FIELDS[k];
    const kind = f.kind === 'enum' ? 'select' : f.kind === 'bool' ? 'checkbox' : 'text';
    return html`<pg-field name=${k} label=${LABELS[k] ?? k} kind=${kind} .options=${f.kind === 'enum' ? f.values : []} .value=${this.texts[k] ?? ''} hint=${fieldHint(k)} .error=${this.errors[k] ?? ''}></pg-field>`;
  }

  private renderResults() {
    const st = this.stats;
    if (!st) return html`<p class="muted">Press “Sample” to freeze a policy and collect one batch of rollouts.</p>`;
    const u = st.direction;
    const dot = (v: ArrayLike<number>) => {
      let s = 0;
      for (let j = 0; j < u.length; j++) s += v[j] * u[j];
      return s;
    };
    const refProj = st.reference ? dot(st.reference) : NaN;
    const [lo, hi] = rangeOf(st.estimators.map((e) => e.projections), [refProj, 0]);
    const markers = (mean: number): HistMarker[] => [
      { x: mean, label: 'mean of the groups', color: '#111827', kind: 'mean' },
      ...(Number.isFinite(refProj) ? [{ x: refProj, label: 'exact ∇J', color: '#dc2626', dash: true, kind: 'reference' }] : []),
    ];
    return html`
      <div class="hists">
        ${st.estimators.map((e) => {
          const m = dot(e.mean);
          return html`<pg-histogram class="card" data-kind=${e.kind} .heading=${e.kind === 'gae' ? `gae (λ = ${this.statsLambda})` : e.kind} .counts=${histogram(e.projections, lo, hi, BINS)} .lo=${lo} .hi=${hi}
            color=${ALGO_COLORS[e.kind] ?? '#2563eb'} .markers=${markers(m)} caption=${`mean·u = ${fmt(m)}, tr Cov = ${fmt(e.traceCov)}, SNR = ${fmt(e.snr)}`}></pg-histogram>`;
        })}
      </div>
      <p class="muted">Each histogram: the ${st.groups} group estimates of ∇J projected on u = ${this.refKind === 'exact' ? '∇J/‖∇J‖ (exact)' : 'a fixed unit direction'}; black = their mean${st.reference ? ', red dashed = the exact ∇J·u' : ''}. Same rollouts for every estimator (${st.envSteps} env steps).</p>
    `;
  }

  /** bias² of an estimator: the engine's (vs the exact ∇J) or, without one, vs the reward-to-go mean. */
  private bias2(kind: EstimatorKind): number | undefined {
    const st = this.stats;
    const e = st?.estimators.find((x) => x.kind === kind);
    if (!st || !e) return undefined;
    if (e.bias2 !== undefined) return e.bias2;
    const ref = st.estimators.find((x) => x.kind === 'reinforce-rtg')?.mean;
    return ref ? e.mean.reduce((a, v, j) => a + (v - ref[j]) ** 2, 0) : undefined;
  }

  private renderTable() {
    const st = this.stats;
    if (!st) return nothing;
    return html`<table id="stats-table">
        <tr><th class="l">estimator</th><th>‖mean‖</th><th>tr Cov</th><th>SNR</th><th>bias² ${this.refKind === 'exact' ? '(vs exact)' : '(vs reward-to-go mean)'}</th></tr>
        ${st.estimators.map(
          (e) => html`<tr data-kind=${e.kind}><td class="l">${e.kind}</td><td>${fmt(Math.hypot(...e.mean))}</td><td>${fmt(e.traceCov)}</td><td>${fmt(e.snr)}</td><td>${fmt(this.bias2(e.kind))}</td></tr>`,
        )}
      </table>
      ${st.reference && this.actor
        ? html`<p id="reference" data-actor=${JSON.stringify(this.actor)} data-reference=${JSON.stringify(Array.from(st.reference))}>
            Frozen policy θ (actor logits) = (${this.actor.map((v) => fmt(v)).join(', ')}); exact ∇J (γ = ${this.config?.gamma}) =
            (<b>${Array.from(st.reference, (v) => fmt(v, 5)).join(', ')}</b>), from estimators/exact.ts.</p>`
        : html`<p class="muted">No exact gradient on ${this.config?.env}: bias² is measured against the mean of the reward-to-go estimates (unbiased but itself noisy).</p>`}`;
  }

  private sweepChart() {
    const sw = this.sweep;
    if (!sw || !sw.variance.gae) return html`<p class="muted">The λ sweep needs the gae estimator.</p>`;
    const b2 = sw.bias2.gae;
    const v = sw.variance.gae;
    const G = this.stats?.groups ?? 1;
    // variance of the mean of G groups = tr Cov / G; the mean's MSE = bias² + tr Cov / G
    const vm = v.map((x) => x / G);
    const sum = b2.map((x, i) => x + vm[i]);
    const pos = (a: number[]) => a.map((x) => (Number.isFinite(x) && x > 0 ? x : null));
    return html`<pg-chart id="chart-sweep" heading="GAE(λ) on the same rollouts: bias², variance and their sum" xLabel="λ" yLabel="squared error" logY
      .series=${[{ label: 'bias²', color: '#dc2626' }, { label: 'variance of the mean (tr Cov / G)', color: '#2563eb' }, { label: 'bias² + variance', color: '#111827' }]}
      .data=${[sw.lambdas, pos(b2), pos(vm), pos(sum)]} .markers=${Number.isFinite(this.statsLambda) ? [{ x: this.statsLambda, label: `λ = ${this.statsLambda}` }] : []}></pg-chart>`;
  }

  override render() {
    const chosen = new Set((this.texts.estimators ?? '').split(','));
    const g = this.gpu;
    const lam = Number(this.texts.lambda);
    return html`
      <h2>Variance lab</h2>
      <p class="lead">One frozen policy, one batch of rollouts, five signals Ψ. The spread of the histograms is the variance of each estimator; the distance of its mean from the red line is its bias.
        Slide λ: GAE moves from TD(0) (λ = 0: low variance, biased by the critic) to G_t − V (λ = 1: unbiased, noisy).</p>
      ${g && !g.ok && this.texts.backend === 'gpu' ? html`<div class="notice" role="status">WebGPU is not available here: ${g.reason} The CPU engine runs instead.</div>` : nothing}
      <div class="card" @field-input=${this.onField}>
        <fieldset class="algos" style="border:none;padding:0;margin:0 0 8px">
          ${ESTIMATORS.map((k) => html`<label><input type="checkbox" .checked=${chosen.has(k)} @change=${(e: Event) => this.toggle(k, (e.target as HTMLInputElement).checked)} />${k}</label>`)}
          ${this.errors.estimators ? html`<div class="error" role="alert">${this.errors.estimators}</div>` : nothing}
        </fieldset>
        <div class="fields">
          ${CONFIG_FIELDS.map((k) => this.field(k))}
          <pg-field name="warmup" label="warm-up updates" .value=${this.texts.warmup ?? ''} hint="GAE training updates before freezing (trains the critic) — an integer 0 ≤ warmup ≤ 200" .error=${this.errors.warmup ?? ''}></pg-field>
        </div>
        <div class="lam">
          <label for="lambda-slider"><b>λ</b></label>
          <input id="lambda-slider" type="range" min="0" max="1" step="0.01" .value=${Number.isFinite(lam) ? String(lam) : '0.5'}
            @input=${(e: Event) => this.onField(new CustomEvent('field-input', { detail: { name: 'lambda', value: (e.target as HTMLInputElement).value } }))} />
          <pg-field name="lambda" label="λ" .value=${this.texts.lambda ?? ''} hint=${fieldHint('lambda')} .error=${this.errors.lambda ?? ''}></pg-field>
        </div>
        <div class="row">
          <button class="primary" id="sample" ?disabled=${this.busy} @click=${this.sample}>Sample</button>
          <span id="vstatus" data-state=${this.busy ? 'busy' : this.stats ? 'ready' : 'idle'} class="muted">
            ${this.busy ? 'warming up, collecting, estimating…' : this.stats ? `ready — ${this.backend?.toUpperCase()} engine, ${this.usedSteps} steps per env` : ''}</span>
        </div>
        ${this.message ? html`<div class="notice bad" id="message" role="status">${this.message}</div>` : nothing}
        ${this.notices.map((n) => html`<div class="notice">${n}</div>`)}
      </div>
      <div class="card" style="margin-top:14px">${this.renderResults()}</div>
      <div class="two">
        <div class="card">${this.renderTable()}</div>
        <div class="card">${this.sweepChart()}</div>
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-variance-page': PgVariancePage;
  }
}
