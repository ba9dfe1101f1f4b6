/**
 * Tiny-MDP lab (bandit, the seed's scalar bandit, twostate, corridor): set the policy with sliders,
 * sample trajectories, and watch the score-function estimates — per trajectory, their mean, and the
 * exact ∇J — in the 2-D parameter plane; the microscope table multiplies out one trajectory; the PPO
 * toggle compares an unconstrained step with a clipped / KL-limited one on the J(θ) landscape. Runs
 * on the main thread (everything is tiny); the maths is in ../lab/tiny-model.ts. One-row worlds also
 * get the exact J against p = π(1|s), with the best p marked where it lies inside the slider's range
 * (corridor: 2 − √2 at γ = 1).
 */
import { html, css, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { base, COLORS } from '../styles';
import { PageBase } from './page-base';
import { checkField, checkNumber } from '../form';
import {
  TINY_ENVS,
  TINY_MAX_SAMPLES,
  TINY_PSI,
  makeWorld,
  thetaFromProbs,
  sampleTrajectories,
  meanGrad,
  convergence,
  landscape,
  exactJ,
  exactGrad,
  freeOnly,
  jCurve,
  optimum,
  plainStep,
  klLimitedStep,
  ppoClipStep,
  type TinyEnv,
  type TinyPsi,
  type TinyWorld,
  type Trajectory,
  type StepResultLab,
} from '../lab/tiny-model';
import type { BanditParams } from '../../envs/bandit';
import type { ChartMarker } from '../components/pg-chart';
import type { PlaneArrow, PlanePoint } from '../components/pg-plane';
import type { FieldInputDetail } from '../components/pg-field';
import '../components/pg-field';
import '../components/pg-plane';
import '../components/pg-chart';
import '../components/pg-microscope';

const DEFAULTS: Record<string, string> = {
  env: 'bandit',
  p0: '0.3',
  p1: '0.5',
  n: '50',
  seed: '1',
  gamma: '1',
  psi: 'reinforce',
  traj: '0',
  mode: 'clip',
  alpha: '20',
  eps: '0.2',
  kl: '0.01',
};
const MAX_ARROWS = 150;
const MAX_LIST = 40;
const GRID = 41;
const RANGE = 5;
/** the p grid of the J(p) chart: the slider's range */
const PS = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);

/** What the environment select says under each world. */
const HINTS: Record<TinyEnv, string> = {
  bandit: 'two arms, reward ~ Bernoulli(0.2) / Bernoulli(0.8)',
  'scalar-bandit': 'the seed’s bandit: arm 1 pays 1, arm 0 pays 0; one parameter θ, p = σ(θ)',
  twostate: 'two states, slip 0.1, ends w.p. 0.25 per step',
  corridor: 'short corridor, switched actions in state 1, −1 a step; all states look alike',
};
/** The slider of row 0 (row 1: twostate only). */
const SLIDER0: Record<TinyEnv, string> = { bandit: 'π(arm 1)', 'scalar-bandit': 'p = σ(θ) = π(arm 1)', twostate: 'π(go to s1 | s0)', corridor: 'π(right)' };

/** Where θ sits in the plane: one row (z₀, z₁); twostate the logit differences θ[s][1] − θ[s][0]. */
export function planeCoords(world: TinyWorld, th: ArrayLike<number>): [number, number] {
  if (world.nObs === 1) return [th[0], th[1]];
  return [th[1] - th[0], th[3] - th[2]];
}

const fmt = (v: number, d = 4): string => (Number.isFinite(v) ? v.toFixed(d) : '—');

@customElement('pg-tiny-page')
export class PgTinyPage extends PageBase {
  readonly page = 'tiny' as const;
  @state() private texts: Record<string, string> = { ...DEFAULTS };
  @state() private errors: Record<string, string> = {};

  // Results of the last valid settings (recomputed on every change; all tiny).
  private world: TinyWorld = makeWorld('bandit');
  private theta: Float64Array = new Float64Array(2);
  private trajs: Trajectory[] = [];
  private exact: Float64Array = new Float64Array(2);
  private jNow = NaN;
  private mean: Float64Array = new Float64Array(2);
  private grid: Float64Array = new Float64Array(0);
  private gridKey = '';
  private conv: (number | null)[][] = [[]];
  /** J(p) of one-row worlds [PS, J] and the best p inside the range (null: none, or two rows) */
  private jp: (number | null)[][] = [[]];
  private best: { p: number; J: number } | null = null;
  private stepPlain: StepResultLab | null = null;
  private stepLimited: StepResultLab | null = null;
  private settings = { env: 'bandit' as TinyEnv, probs: [0.3], n: 50, seed: 1, gamma: 1, psi: 'reinforce' as TinyPsi, traj: 0, mode: 'clip', alpha: 20, eps: 0.2, kl: 0.01 };

  static override styles = [
    base,
    PageBase.pageStyles,
    css`
      .grid {
        display: grid;
        grid-template-columns: 300px minmax(480px, auto) 1fr;
        gap: 14px;
        align-items: start;
      }
      .controls pg-field {
        margin-bottom: 8px;
      }
      .slider label {
        display: block;
        font-weight: 600;
        font-size: 12.5px;
      }
      .slider input {
        width: 100%;
      }
      .legend span {
        display: inline-block;
        margin-right: 10px;
        font-size: 12px;
      }
      .legend i {
        display: inline-block;
        width: 18px;
        height: 3px;
        vertical-align: middle;
        margin-right: 4px;
      }
      .section {
        margin-top: 14px;
      }
      .ppo {
        display: grid;
        grid-template-columns: 280px 1fr;
        gap: 14px;
      }
      .l {
        text-align: left;
      }
      .micro {
        display: grid;
        grid-template-columns: minmax(260px, 360px) 1fr;
        gap: 14px;
        align-items: start;
        margin-top: 8px;
      }
      .trajs {
        max-height: 320px;
        overflow-y: auto;
        border: 1px solid #e5e7eb;
        border-radius: 6px;
        padding: 4px;
      }
      button.traj {
        display: block;
        width: 100%;
        text-align: left;
        border: none;
        background: none;
        padding: 3px 6px;
        font-size: 12px;
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      button.traj.on {
        background: #dbeafe;
      }
      .seg button[aria-pressed='true'] {
        background: #1f2937;
        color: #fff;
      }
      @media (max-width: 1200px) {
        .grid {
          grid-template-columns: 300px 1fr;
        }
      }
    `,
  ];

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('params')) {
      this.texts = { ...DEFAULTS, ...this.params };
      this.recompute();
    }
  }

  private set(name: string, value: string): void {
    this.texts = { ...this.texts, [name]: value };
    if (name === 'env') this.texts.traj = '0';
    this.recompute();
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.texts)) if (DEFAULTS[k] !== v) out[k] = v;
    this.publish(out);
  }

  /** Validate all settings; on success recompute everything, else keep the last results. */
  private recompute(): void {
    const t = this.texts;
    const errors: Record<string, string> = {};
    const env = (TINY_ENVS as readonly string[]).includes(t.env) ? (t.env as TinyEnv) : null;
    if (!env) errors.env = `invalid env: ${JSON.stringify(t.env)} (allowed: one of ${TINY_ENVS.join(', ')})`;
    const psi = (TINY_PSI as readonly string[]).includes(t.psi) ? (t.psi as TinyPsi) : null;
    if (!psi) errors.psi = `invalid psi: ${JSON.stringify(t.psi)} (allowed: one of ${TINY_PSI.join(', ')})`;
    const mode = t.mode === 'clip' || t.mode === 'kl' ? t.mode : null;
    if (!mode) errors.mode = `invalid mode: ${JSON.stringify(t.mode)} (allowed: clip or kl)`;
    const get = (k: string, r: { value?: number; error?: string }): number => {
      if (r.error) errors[k] = r.error;
      return r.value ?? NaN;
    };
    const p0 = get('p0', checkNumber('p0', t.p0, 0.01, 0.99));
    const p1 = get('p1', checkNumber('p1', t.p1, 0.01, 0.99));
    const n = get('n', checkNumber('n', t.n, 1, TINY_MAX_SAMPLES[env ?? this.world.name], true));
    const seed = get('seed', checkField('seed', t.seed));
    const gamma = get('gamma', checkField('gamma', t.gamma));
    const alpha = get('alpha', checkNumber('alpha', t.alpha, 0, 1000));
    const eps = get('eps', checkField('clip', t.eps));
    const kl = get('kl', checkNumber('kl', t.kl, 1e-6, 10));
    this.errors = errors;
    if (Object.keys(errors).length > 0 || !env || !psi || !mode) return;

    const world = env === this.world.name ? this.world : makeWorld(env);
    const probs = world.nObs === 1 ? [p0] : [p0, p1];
    const theta = thetaFromProbs(probs);
    const jNow = exactJ(world.model, theta, gamma);
    const exact = exactGrad(world.model, theta, gamma);
    const trajs = sampleTrajectories(world, theta, 0, n, seed, gamma, psi, jNow);
    const trajIdx = get('traj', checkNumber('traj', t.traj, 0, n - 1, true));
    if (errors.traj) {
      this.errors = errors;
      return;
    }
    this.world = world;
    this.theta = theta;
    this.jNow = jNow;
    this.exact = exact;
    this.trajs = trajs;
    this.mean = meanGrad(trajs, world.P);
    const [ns, errs] = convergence(trajs, exact, world.P, world.free);
    // reference 1/√n line through the first point
    const c0 = errs[0] ?? 1;
    this.conv = [ns, errs, ns.map((k) => c0 / Math.sqrt(k))];
    const gkey = `${env}:${gamma}`;
    if (gkey !== this.gridKey) {
      const xs = Array.from({ length: GRID }, (_, i) => -RANGE + (2 * RANGE * i) / (GRID - 1));
      this.grid = landscape(world, new Float64Array(world.P), gamma, xs, xs);
      // corridor: J falls to −∞ where a policy almost never reaches the goal; shade −log(−J), same order
      if (env === 'corridor') this.grid = this.grid.map((v) => -Math.log(-v));
      this.gridKey = gkey;
      this.best = optimum(world, gamma);
      // the corridor's J falls to −∞ at both ends: points more than 2|J*| below the best J are left
      // out, so the curve shows its peak instead of two walls
      const best = this.best;
      const cut = (v: number) => (best && v < best.J - 2 * Math.abs(best.J) ? null : v);
      this.jp = world.nObs === 1 ? [PS, jCurve(world, gamma, PS).map(cut)] : [[]];
    }
    // steps move the free parameters only (the scalar bandit's z₀ stays 0)
    this.stepPlain = plainStep(world, theta, this.mean, alpha, gamma, trajs);
    this.stepLimited = mode === 'clip' ? ppoClipStep(world, theta, alpha, eps, gamma, trajs) : klLimitedStep(world, theta, this.mean, alpha, kl, gamma, trajs);
    this.settings = { env, probs, n, seed, gamma, psi, traj: trajIdx, mode, alpha, eps, kl };
  }

  private onField(e: CustomEvent<FieldInputDetail>): void {
    this.set(e.detail.name, e.detail.value);
  }

  private slider(name: 'p0' | 'p1', label: string) {
    const v = this.texts[name];
    const num = Number(v);
    return html`<div class="slider">
      <label for=${name}>${label} = <span class="mono" id="${name}-value">${v}</span></label>
      <input id=${name} type="range" min="0.01" max="0.99" step="0.01" .value=${Number.isFinite(num) ? String(num) : '0.5'} @input=${(e: Event) => this.set(name, (e.target as HTMLInputElement).value)} />
      ${this.errors[name] ? html`<div class="error" role="alert">${this.errors[name]}</div>` : nothing}
    </div>`;
  }

  private arrowsAndScale(): { arrows: PlaneArrow[]; scale: number } {
    const w = this.world;
    const [ix, iy] = w.plane;
    // the directions θ can move in (the scalar bandit: θ only)
    const proj = (v: ArrayLike<number>): [number, number] => {
      const g = freeOnly(w, v);
      return [g[ix], g[iy]];
    };
    const arrows: PlaneArrow[] = [];
    for (const tr of this.trajs.slice(0, MAX_ARROWS)) {
      const [dx, dy] = proj(tr.grad);
      arrows.push({ dx, dy, color: '#9ca3af', width: 1, opacity: 0.45, kind: 'sample', label: `trajectory ${tr.index}: R = ${tr.ret}` });
    }
    const [mx, my] = proj(this.mean);
    const [ex, ey] = proj(this.exact);
    arrows.push({ dx: mx, dy: my, color: '#2563eb', width: 3.5, kind: 'mean', label: 'mean of the estimates' });
    arrows.push({ dx: ex, dy: ey, color: '#111827', width: 3, kind: 'exact', label: 'exact ∇J' });
    // Scale so the larger of (exact, mean) spans ~35% of the plane.
    const len = Math.max(Math.hypot(ex, ey), Math.hypot(mx, my), 1e-9);
    return { arrows, scale: (0.35 * 2 * RANGE) / len };
  }

  override render() {
    const t = this.texts;
    const s = this.settings;
    const w = this.world;
    const { arrows, scale } = this.arrowsAndScale();
    const pt = planeCoords(w, this.theta);
    const points: PlanePoint[] = [];
    if (this.stepPlain) {
      const [x, y] = planeCoords(w, this.stepPlain.theta);
      points.push({ x, y, color: '#dc2626', label: 'unconstrained step', kind: 'step-plain' });
    }
    if (this.stepLimited) {
      const [x, y] = planeCoords(w, this.stepLimited.theta);
      points.push({ x, y, color: '#059669', label: s.mode === 'clip' ? 'PPO-clip step' : 'KL-limited step', kind: 'step-limited' });
    }
    const xs = Array.from({ length: GRID }, (_, i) => -RANGE + (2 * RANGE * i) / (GRID - 1));
    const err = Math.sqrt(w.free.reduce((a, j) => a + (this.mean[j] - this.exact[j]) ** 2, 0));
    const p = s.probs[0];
    const arms = w.env.params as BanditParams;
    // the current p unlabelled (the heading names it: labels of close markers would overlap)
    const markers: ChartMarker[] = [{ x: p, label: '', color: '#2563eb' }];
    if (this.best) markers.push({ x: this.best.p, label: `best p = ${fmt(this.best.p)}`, color: '#059669' });
    const psiLabel = s.psi === 'reinforce' ? 'Ψ = R(τ)' : s.psi === 'reinforce-rtg' ? 'Ψ = G_t' : 'Ψ = G_t − J(θ)';
    const tr = this.trajs[s.traj] ?? null;
    // the world chosen (even while another field is invalid and the results are the last valid ones)
    const envNow = (TINY_ENVS as readonly string[]).includes(t.env) ? (t.env as TinyEnv) : s.env;
    return html`
      <h2>Tiny-MDP lab</h2>
      <p class="lead">
        The score-function gradient ∇J = E[Σ_t γ^t ∇log π(a_t|s_t) Ψ_t], one trajectory at a time. Each grey arrow is one trajectory's estimate,
        blue is their mean, black the exact ∇J (enumerated from the MDP's tables). Add samples and the blue arrow settles onto the black one at rate 1/√n.
      </p>
      <div class="grid">
        <div class="card controls" @field-input=${this.onField}>
          <pg-field name="env" label="environment" kind="select" .options=${TINY_ENVS} .value=${t.env} .error=${this.errors.env ?? ''}
            hint=${HINTS[envNow]}></pg-field>
          ${this.slider('p0', SLIDER0[envNow])}
          ${t.env === 'twostate' ? this.slider('p1', 'π(go to s1 | s1)') : nothing}
          <pg-field name="n" label="sampled trajectories n" .value=${t.n} hint="an integer 1 ≤ n ≤ ${TINY_MAX_SAMPLES[envNow]}" .error=${this.errors.n ?? ''}></pg-field>
          <div class="row">
            ${[10, 100, 1000].map((k) => html`<button @click=${() => this.set('n', String(k))}>n = ${k}</button>`)}
          </div>
          <pg-field name="psi" label="signal Ψ_t" kind="select" .options=${TINY_PSI} .value=${t.psi} .error=${this.errors.psi ?? ''}
            hint="R(τ), reward-to-go G_t, or G_t − b with b = J(θ)"></pg-field>
          <pg-field name="gamma" label="γ" .value=${t.gamma} hint="0 ≤ γ ≤ 1" .error=${this.errors.gamma ?? ''}></pg-field>
          <pg-field name="seed" label="seed" .value=${t.seed} hint="integer 0 … 2³²−1" .error=${this.errors.seed ?? ''}></pg-field>
        </div>
        <div class="card">
          <pg-plane .xs=${xs} .ys=${xs} .values=${this.grid} .point=${pt} .arrows=${arrows} .arrowScale=${scale} .points=${points}
            xLabel=${w.planeLabels[0]} yLabel=${w.planeLabels[1]}></pg-plane>
          <div class="legend">
            <span><i style="background:#9ca3af"></i>one trajectory</span><span><i style="background:#2563eb"></i>mean of ${s.n}</span>
            <span><i style="background:#111827"></i>exact ∇J</span><span><i style="background:#dc2626"></i>unconstrained step</span>
            <span><i style="background:#059669"></i>${s.mode === 'clip' ? 'PPO-clip' : 'KL-limited'} step</span>
            ${s.env === 'corridor' ? html`<span class="muted">(background shaded by −log(−J): same order, readable tails)</span>` : nothing}
          </div>
        </div>
        <div class="card">
          <h3>At θ</h3>
          <table id="readout">
            <tr><th>component</th>${w.free.map((j) => html`<th>${w.paramNames[j]}</th>`)}</tr>
            <tr><td>θ</td>${w.free.map((j) => html`<td>${fmt(this.theta[j], 3)}</td>`)}</tr>
            <tr id="exact-grad" data-values=${JSON.stringify(Array.from(this.exact))}><td>exact ∇J</td>${w.free.map((j) => html`<td>${fmt(this.exact[j])}</td>`)}</tr>
            <tr id="mean-grad" data-values=${JSON.stringify(Array.from(this.mean))}><td>mean of n</td>${w.free.map((j) => html`<td>${fmt(this.mean[j])}</td>`)}</tr>
          </table>
          <p>J(θ) = <b id="j-now" data-value=${this.jNow}>${fmt(this.jNow)}</b>; ‖mean − ∇J‖ = <b id="grad-err">${fmt(err)}</b> with n = ${s.n}.</p>
          ${s.env === 'bandit'
            ? html`<p class="muted" id="bandit-formula">Bandit check: ∂J/∂z₁ = p(1−p)(r₁−r₀) = ${fmt(p, 2)}·${fmt(1 - p, 2)}·(${arms.p1}−${arms.p0}) = <b>${fmt(p * (1 - p) * (arms.p1 - arms.p0))}</b>, ∂J/∂z₀ = −∂J/∂z₁.</p>`
            : s.env === 'scalar-bandit'
              ? html`<p class="muted" id="bandit-formula">Seed check: J = p = σ(θ) = ${fmt(p)}, dJ/dθ = p(1−p) = ${fmt(p, 2)}·${fmt(1 - p, 2)} = <b>${fmt(p * (1 - p))}</b>
                  (the exact ∂J/∂θ above; z₀ stays 0, so π(arm 1) = softmax(0, θ)₁ = σ(θ)).</p>`
              : s.env === 'corridor'
                ? html`<p class="muted" id="corridor-formula">Exact J by solving V = r_π + γ P_π V over S, 1, 2 (one policy row for all three).
                    Best p(right) = <b id="best-p" data-value=${this.best?.p ?? NaN}>${fmt(this.best?.p ?? NaN)}</b> with J = ${fmt(this.best?.J ?? NaN)}
                    (maximising the exact J; 2 − √2 ≈ 0.5858 at γ = 1, Sutton &amp; Barto Ex. 13.1).</p>`
                : html`<p class="muted">Exact J by solving V = r_π + γ P_π V over the two states.</p>`}
          <pg-chart id="chart-error" heading="Error of the mean estimate vs samples" xLabel="trajectories n" yLabel="‖mean − ∇J‖" logX logY .height=${200}
            .series=${[{ label: '‖mean − ∇J‖', color: COLORS[0] }, { label: 'c/√n', color: '#9ca3af', dash: [5, 4] }]} .data=${this.conv}></pg-chart>
          ${w.nObs === 1
            ? html`<pg-chart id="chart-jp" heading=${`Exact J vs ${SLIDER0[s.env]} (blue: now)`} xLabel=${SLIDER0[s.env]} yLabel="J" .height=${180}
                .series=${[{ label: 'J', color: COLORS[1] }]} .data=${this.jp} .markers=${markers}></pg-chart>`
            : nothing}
        </div>
      </div>

      <div class="card section">
        <h3>Score × return microscope</h3>
        <div class="row">
          <pg-field name="traj" label="trajectory" .value=${t.traj} hint="0 … ${s.n - 1}" .error=${this.errors.traj ?? ''} @field-input=${this.onField}></pg-field>
          <span class="muted">Each row: the score ∇log π(a_t|s_t) (only the row of s_t is nonzero; the other row is 0), the signal, and γ^t·score·Ψ. The rows sum to the trajectory's grey arrow.</span>
        </div>
        <div class="micro">
          <div class="trajs" id="trajs">
            <div class="muted">sampled trajectories (first ${Math.min(MAX_LIST, this.trajs.length)} of ${this.trajs.length}); click one</div>
            ${this.trajs.slice(0, MAX_LIST).map(
              (x) => html`<button class="traj ${x.index === s.traj ? 'on' : ''}" data-index=${x.index} data-return=${x.ret} @click=${() => this.set('traj', String(x.index))}>
                <span class="mono">#${x.index}</span> ${x.steps.map((st) => `${w.model.stateNames[st.state] ?? st.state}·a${st.a}${st.r ? `(${st.r > 0 ? '+' : ''}${st.r})` : ''}`).join(' → ')} <b>R = ${fmt(x.ret, 2)}</b>
              </button>`,
            )}
          </div>
          <pg-microscope .trajectory=${tr} .stateNames=${w.rowNames} psiLabel=${psiLabel}></pg-microscope>
        </div>
      </div>

      <div class="card section ppo" @field-input=${this.onField}>
        <div>
          <h3>PPO toggle</h3>
          <div class="seg row" role="group" aria-label="constrained step">
            <button id="mode-clip" aria-pressed=${s.mode === 'clip'} @click=${() => this.set('mode', 'clip')}>PPO clip</button>
            <button id="mode-kl" aria-pressed=${s.mode === 'kl'} @click=${() => this.set('mode', 'kl')}>KL limit</button>
          </div>
          <pg-field name="alpha" label="step size α" .value=${t.alpha} hint="0 ≤ α ≤ 1000" .error=${this.errors.alpha ?? ''}></pg-field>
          ${s.mode === 'clip'
            ? html`<pg-field name="eps" label="clip ε" .value=${t.eps} hint="0 < ε ≤ 10" .error=${this.errors.eps ?? ''}></pg-field>`
            : html`<pg-field name="kl" label="KL limit δ" .value=${t.kl} hint="10⁻⁶ ≤ δ ≤ 10" .error=${this.errors.kl ?? ''}></pg-field>`}
        </div>
        <div>
          <p class="muted">Both steps start at θ and use the same ${s.n} sampled trajectories (the mean estimate ĝ). With few samples ĝ can point the wrong way;
            a large unconstrained step then goes far, while the clipped surrogate stops once the probability ratios leave [1−ε, 1+ε] and the KL limit caps the policy change.</p>
          <table id="ppo-table">
            <tr><th class="l">step</th><th>J before</th><th>J after</th><th>ΔJ</th><th>KL(π_θ‖π_θ')</th><th class="l">how</th></tr>
            ${[['unconstrained', this.stepPlain, 'step-plain'], [s.mode === 'clip' ? 'PPO clip' : 'KL-limited', this.stepLimited, 'step-limited']].map(
              ([name, st, id]) => {
                const r = st as StepResultLab | null;
                return html`<tr id=${id as string}><td class="l">${name}</td><td>${fmt(this.jNow)}</td><td class="after" data-value=${r?.jAfter ?? NaN}>${fmt(r?.jAfter ?? NaN)}</td>
                  <td>${fmt((r?.jAfter ?? NaN) - this.jNow)}</td><td>${fmt(r?.kl ?? NaN)}</td><td class="l muted">${r?.note ?? ''}</td></tr>`;
              },
            )}
          </table>
        </div>
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-tiny-page': PgTinyPage;
  }
}
