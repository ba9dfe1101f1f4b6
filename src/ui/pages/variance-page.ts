/**
 * Variance lab: one frozen policy (after a few warm-up updates), one batch of rollouts, several Ψ on
 * the same rollouts (common random numbers). Per estimator, a histogram of the per-group gradient
 * estimates projected on one direction (the exact ∇J's on the tiny envs), their mean and the
 * reference; a λ slider recomputes GAE on the same rollouts; bias², variance and their sum vs λ.
 * The work runs in the worker through the trainer's engine (`gradientEstimates` with a λ).
 * "Cosine vs samples": for each n, K = groups G independent estimates of n state-action pairs, their
 * mean pairwise cosine and their mean cosine to the true gradient (exact ∇J on the tiny envs, else a
 * reward-to-go estimate of many pairs), on a log n axis (Ilyas et al., "A Closer Look at Deep Policy
 * Gradients", Fig. 1–2; src/train/variance-lab.ts `cosineVsSamples`).
 * "▶ accumulate": the histograms at n = 1, 2, 4, … envs per group up to the full group, each frame
 * the estimates of the first n envs of the same G groups (`VarianceLab.frames`: same rollout, same
 * random numbers), on one x-range for all frames, so the spread visibly shrinks ~1/√n while the mean
 * stays put; the last frame is the static view.
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
import { parseSamplesList, REFERENCE_PAIRS, type CosineCurve, type VarianceFrames } from '../../train/variance-lab';
import { ConfigError } from '../../core/errors';
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
  samplesList: '16,64,256,1024',
  referencePairs: String(REFERENCE_PAIRS),
};
/** the reference of the envs without an exact ∇J: at least 10⁶ pairs by default, fewer to try things quickly */
const REFERENCE_RANGE = [1024, 2 ** 26] as const;
const SWEEP = Array.from({ length: 11 }, (_, i) => i / 10);
const BINS = 24;
/** milliseconds per frame of the accumulation animation */
const FRAME_MS = 900;

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
  @state() private cosine: CosineCurve | null = null;
  @state() private cosineBusy = false;
  @state() private cosineMessage = '';
  /** the accumulation frames of the shown stats (same λ), the frame shown (the last = the static view), playing */
  @state() private frames: VarianceFrames | null = null;
  @state() private frameIndex = 0;
  @state() private playing = false;
  @state() private framesBusy = false;
  @state() private framesMessage = '';

  private setupId = 0;
  private cosineId = -1;
  private framesId = -1;
  private timer: ReturnType<typeof setInterval> | undefined;
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
      .frames {
        margin-top: 8px;
      }
      .frames input[type='range'] {
        width: 220px;
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
    this.errors = { ...this.validate().errors, ...this.validateCosine().errors };
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
    this.framesId = -1; // frames of the previous rollout, if still coming, are dropped
    this.framesBusy = false;
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

  /** The samples list and reference size of the cosine panel, checked here (the worker checks the rest). */
  private validateCosine(): { samples?: number[]; referencePairs?: number; errors: FieldErrors } {
    const errors: FieldErrors = {};
    let samples: number[] | undefined;
    try {
      samples = parseSamplesList(this.texts.samplesList ?? '', 'samples list');
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      errors.samplesList = e.message;
    }
    const ref = checkNumber('referencePairs', this.texts.referencePairs ?? '', REFERENCE_RANGE[0], REFERENCE_RANGE[1], true);
    if (ref.error) errors.referencePairs = ref.error;
    return { samples, referencePairs: ref.value, errors };
  }

  /** Cosine similarity vs samples with the form's settings (the "Cosine vs samples" button). */
  private runCosine(): void {
    const v = this.validate();
    const c = this.validateCosine();
    this.errors = { ...v.errors, ...c.errors };
    if (!v.config || !v.kinds || v.warmup === undefined || !c.samples || c.referencePairs === undefined) {
      this.cosineMessage = 'Fix the highlighted fields; nothing was computed.';
      return;
    }
    const w = this.worker();
    this.cosineId = w.id();
    this.cosineBusy = true;
    this.cosineMessage = '';
    this.cosine = null;
    w.send({ type: 'variance-cosine', reqId: this.cosineId, config: { ...v.config, algo: 'gae' }, warmup: v.warmup, kinds: v.kinds, samples: c.samples, referencePairs: c.referencePairs });
  }

  protected onWorker(m: FromWorker): void {
    if ('reqId' in m && m.reqId !== undefined && m.reqId === this.framesId) {
      this.framesBusy = false;
      if (m.type === 'variance-frames') {
        if (m.lambda !== this.statsLambda) return; // λ moved meanwhile: these frames are not of the shown stats
        this.frames = m.frames;
        this.play(0);
      } else if (m.type === 'error') this.framesMessage = m.message;
      return;
    }
    if ('reqId' in m && m.reqId !== undefined && m.reqId === this.cosineId) {
      if (m.type === 'variance-cosine-curve') {
        this.cosine = m.curve;
        this.cosineBusy = !m.done;
      } else if (m.type === 'error') {
        this.cosineBusy = false;
        this.cosineMessage = m.message;
        if (m.field) this.errors = { ...this.errors, [m.field]: m.message };
      }
      return;
    }
    if ('reqId' in m && m.reqId !== undefined && m.reqId !== this.setupId) return;
    switch (m.type) {
      case 'variance-sweep':
        this.sweep = m.sweep;
        break;
      case 'variance-result':
        this.stopFrames();
        this.frames = null;
        this.framesMessage = '';
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

  /** "▶ accumulate": fetch the frames of the shown stats (once), then play them from the first. */
  private accumulate(): void {
    if (this.playing) {
      this.stopFrames();
      return;
    }
    if (this.frames) {
      this.play(this.frameIndex >= this.frames.frames.length - 1 ? 0 : this.frameIndex);
      return;
    }
    if (!this.client || !this.ready || this.framesBusy) return;
    this.framesId = this.client.id();
    this.framesBusy = true;
    this.framesMessage = '';
    this.client.send({ type: 'variance-frames', reqId: this.framesId, lambda: this.statsLambda });
  }

  private play(from: number): void {
    this.stopFrames();
    if (!this.frames) return;
    this.frameIndex = from;
    this.playing = true;
    this.timer = setInterval(() => {
      const last = (this.frames?.frames.length ?? 1) - 1;
      if (this.frameIndex >= last) this.stopFrames();
      else this.frameIndex++;
    }, FRAME_MS);
  }

  private stopFrames(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.playing = false;
  }

  override disconnectedCallback(): void {
    this.stopFrames();
    super.disconnectedCallback();
  }

  private onFrameSlider(e: Event): void {
    this.stopFrames();
    this.frameIndex = Number((e.target as HTMLInputElement).value);
  }

  private renderFrameControls() {
    const fr = this.frames;
    const f = fr?.frames[this.frameIndex];
    const count = fr?.frames.length ?? 1;
    return html`<div class="row frames">
        <button id="accumulate" ?disabled=${this.framesBusy || this.busy} @click=${this.accumulate}>${this.playing ? '❚❚ pause' : '▶ accumulate'}</button>
        <input id="frame-slider" type="range" min="0" max=${count - 1} step="1" .value=${String(fr ? this.frameIndex : 0)} ?disabled=${!fr} @input=${this.onFrameSlider} />
        <span id="frame-readout" data-n=${f?.n ?? ''} data-index=${fr ? this.frameIndex : ''} data-state=${this.framesBusy ? 'busy' : this.playing ? 'playing' : fr ? 'ready' : 'idle'} class="muted">
          ${this.framesBusy ? 'estimating the frames…' : f ? `n = ${f.n} env${f.n === 1 ? '' : 's'} per group (of ${fr!.envsPerGroup})` : 'the estimates as envs accumulate: n = 1, 2, 4, … envs per group'}</span>
      </div>
      ${this.framesMessage ? html`<div class="notice bad" id="frames-message" role="status">${this.framesMessage}</div>` : nothing}`;
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
    const fr = this.frames;
    const frame = fr?.frames[this.frameIndex];
    // one x-range (and y-range) for every frame, so the tightening is seen
    const [lo, hi] = fr
      ? rangeOf(fr.frames.flatMap((f) => Object.values(f.projections)), [refProj, 0])
      : rangeOf(st.estimators.map((e) => e.projections), [refProj, 0]);
    const ymax = fr ? Math.max(1, ...fr.frames.flatMap((f) => Object.values(f.projections).map((p) => Math.max(...histogram(p, lo, hi, BINS))))) : 0;
    const markers = (mean: number): HistMarker[] => [
      { x: mean, label: 'mean of the groups', color: '#111827', kind: 'mean' },
      ...(Number.isFinite(refProj) ? [{ x: refProj, label: 'exact ∇J', color: '#dc2626', dash: true, kind: 'reference' }] : []),
    ];
    return html`
      <div class="hists">
        ${st.estimators.map((e) => {
          const heading = e.kind === 'gae' ? `gae (λ = ${this.statsLambda})` : e.kind;
          const color = ALGO_COLORS[e.kind] ?? '#2563eb';
          if (frame && frame.projections[e.kind]) {
            const p = Array.from(frame.projections[e.kind]);
            const m = frame.meanU[e.kind];
            return html`<pg-histogram class="card" data-kind=${e.kind} data-n=${frame.n} .heading=${heading} .values=${p} .counts=${histogram(p, lo, hi, BINS)} .lo=${lo} .hi=${hi} .ymax=${ymax}
              color=${color} .markers=${markers(m)} caption=${`n = ${frame.n}: mean·u = ${fmt(m)}, tr Cov = ${fmt(frame.traceCov[e.kind])} (over ${frame.groups} groups of ${frame.n})`}></pg-histogram>`;
          }
          const m = dot(e.mean);
          return html`<pg-histogram class="card" data-kind=${e.kind} .heading=${heading} .values=${Array.from(e.projections)} .counts=${histogram(e.projections, lo, hi, BINS)} .lo=${lo} .hi=${hi} .ymax=${0}
            color=${color} .markers=${markers(m)} caption=${`mean·u = ${fmt(m)}, tr Cov = ${fmt(e.traceCov)}, SNR = ${fmt(e.snr)}`}></pg-histogram>`;
        })}
      </div>
      ${this.renderFrameControls()}
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

  private cosinePanel() {
    const c = this.cosine;
    const kinds = c?.kinds ?? [];
    // per estimator: cosine to the true gradient (solid) and mean pairwise cosine (dashed), x = pairs per estimate
    const series = [
      ...kinds.map((k) => ({ label: `${k}: cos to ∇J`, color: ALGO_COLORS[k] ?? '#2563eb' })),
      ...kinds.map((k) => ({ label: `${k}: pairwise`, color: ALGO_COLORS[k] ?? '#2563eb', dash: [6, 4] })),
    ];
    const col = (a: number[]) => a.map((x) => (Number.isFinite(x) ? x : null));
    const data = c ? [c.pairs, ...kinds.map((k) => col(c.toReference[k])), ...kinds.map((k) => col(c.pairwise[k]))] : [[]];
    const ref = !c ? '' : c.reference === 'exact' ? 'the exact ∇J' : `the reward-to-go mean of ${c.referencePairs} pairs (${c.referenceSeconds?.toFixed(1)} s on ${c.where})`;
    return html`<div class="card" style="margin-top:14px" @field-input=${this.onField}>
      <div class="row">
        <pg-field name="samplesList" label="pairs per estimate n" .value=${this.texts.samplesList ?? ''} hint="comma-separated integers (non-tiny envs: multiples of the steps per rollout); K = groups G estimates each" .error=${this.errors.samplesList ?? ''}></pg-field>
        <pg-field name="referencePairs" label="reference pairs" .value=${this.texts.referencePairs ?? ''} hint=${`envs without an exact ∇J: pairs behind the reference gradient — an integer ${REFERENCE_RANGE[0]} ≤ n ≤ ${REFERENCE_RANGE[1]}`} .error=${this.errors.referencePairs ?? ''}></pg-field>
        <button id="cosine" ?disabled=${this.cosineBusy} @click=${this.runCosine}>Cosine vs samples</button>
        <span id="cstatus" data-state=${this.cosineBusy ? 'busy' : c ? 'ready' : 'idle'} class="muted">${this.cosineBusy ? `estimating… ${c ? `${c.samples.length} points` : ''}` : c ? `ready — ${c.backend.toUpperCase()} engine, K = ${c.groups} estimates per point` : ''}</span>
      </div>
      ${this.cosineMessage ? html`<div class="notice bad" id="cosine-message" role="status">${this.cosineMessage}</div>` : nothing}
      <pg-chart id="chart-cosine" heading="Gradient cosine similarity vs state-action pairs per estimate" xLabel="state-action pairs per estimate (log)" yLabel="cosine similarity" logX
        .series=${series} .data=${data} emptyText="Press “Cosine vs samples”."></pg-chart>
      <p class="muted">Solid: mean cos(ĝ, ∇J) of each estimate to ${ref || 'the true gradient'}; dashed: mean cos(ĝ_g, ĝ_h) over pairs of independent estimates. Both tend to 1 as n grows for an unbiased estimator; a biased one levels off below 1 against ∇J.</p>
    </div>`;
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
      </div>
      ${this.cosinePanel()}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-variance-page': PgVariancePage;
  }
}
