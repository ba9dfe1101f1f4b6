/**
 * `<pg-agent>`: the agent on screen. A small grid of envs acting (one canvas per trajectory, all at
 * the same step), one of them large with playback controls, and beside it what the agent saw and
 * estimated at that step: π(·|s_t) (bars per action, or μ and σ), the action, V(s_t), r_t and Â_t;
 * under it V, r and Â over the whole trajectory (uPlot, `<pg-chart>`) with the current step marked.
 *
 * The page sets `trajectories` (Engine.trajectory of a few envs, refreshed while training runs); the
 * component only plays them back (pictures: src/ui/agent/draw.ts). Clicking a thumbnail selects that
 * env and fires `agent-select` ({ env }), so the page may fetch it afresh.
 *
 * Controls (stable ids): #agent-first ⏮, #agent-back ◀, #agent-play ▶/⏸, #agent-step ▶|,
 * #agent-speed (0.25× … 2×), #agent-zoom (canvas scale), #agent-timeline (scrub), #agent-clock.
 * Env time runs at CartPole's τ = 0.02 s and Pendulum's dt = 0.05 s a step (1× = real time); the
 * other envs have no clock and play `STEPS_PER_SECOND` steps a second at 1×.
 * State for tests: `frame`, and data-frame, data-playing, data-speed, data-zoom, data-selected (env
 * index), data-steps (T) on the host; each number shown carries its full value in data-value.
 */
import { LitElement, html, svg, css, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { EnvName, Trajectory } from '../../core/types';
import { SCENE_H, SCENE_W, paint, scene, stepSeconds } from '../agent/draw';
import { base } from '../styles';
import type { ChartMarker, ChartSeries } from './pg-chart';
import './pg-chart';

/** Playback speeds offered (× env time). */
export const AGENT_SPEEDS = [0.25, 0.5, 1, 2] as const;
/** Canvas scales offered for the large view. */
export const AGENT_ZOOMS = [1, 1.5, 2] as const;
/** Steps a second at 1× for the envs without a clock (the tiny envs, the limit-order book). */
export const STEPS_PER_SECOND = 4;
/** Scale of the thumbnails. */
const THUMB = 0.4;

/** A number as the readout shows it (4 significant digits; the full value is in data-value). */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : Number(x.toPrecision(4)).toString();
}

/** The clock at step `frame`: env time where the env has one, else the step. */
export function clockText(env: EnvName, frame: number): string {
  const dt = stepSeconds(env);
  return dt === null ? `step ${frame}` : `t = ${(frame * dt).toFixed(2)} s`;
}

/** The playback buttons' glyphs (⏮ ◀ ▶ ⏸ ▶|) as inline SVG: not every system font has the media symbols. */
const ICONS = {
  first: svg`<rect x="2" y="3" width="2" height="10"></rect><path d="M14 3 L5 8 L14 13 Z"></path>`,
  back: svg`<path d="M12 3 L3 8 L12 13 Z"></path>`,
  play: svg`<path d="M4 3 L13 8 L4 13 Z"></path>`,
  pause: svg`<rect x="3" y="3" width="3.5" height="10"></rect><rect x="9.5" y="3" width="3.5" height="10"></rect>`,
  step: svg`<path d="M2 3 L11 8 L2 13 Z"></path><rect x="12" y="3" width="2" height="10"></rect>`,
};
const icon = (k: keyof typeof ICONS) => html`<svg width="14" height="14" viewBox="0 0 16 16" fill="currentColor" aria-hidden="true">${ICONS[k]}</svg>`;

const SERIES: ChartSeries[] = [
  { label: 'V(s_t)', color: '#2563eb' },
  { label: 'r_t', color: '#059669' },
  { label: 'Â_t', color: '#d97706' },
];

@customElement('pg-agent')
export class PgAgent extends LitElement {
  /** the env the trajectories come from */
  @property() env: EnvName = 'cartpole';
  /** a few envs' trajectories of the last rollout (Engine.trajectory) */
  @property({ attribute: false }) trajectories: Trajectory[] = [];
  /** the current step of the playback (clamped to the selected trajectory) */
  @property({ type: Number }) frame = 0;
  @state() private playing = false;
  @state() private speed = 1;
  @state() private zoom = 1;
  /** env index (Trajectory.env) in the large view; −1: the first trajectory */
  @state() private selected = -1;
  private raf = 0;
  private last = 0;
  private carry = 0;
  private chartOf: { tr?: Trajectory; data: number[][] } = { data: [[]] };

  static override styles = [
    base,
    css`
      :host {
        display: block;
        min-width: 0;
      }
      .wrap {
        display: flex;
        flex-wrap: wrap;
        gap: 14px;
        align-items: flex-start;
      }
      .grid {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        margin-bottom: 8px;
      }
      canvas.thumb {
        border: 1px solid #e5e7eb;
        border-radius: 4px;
        cursor: pointer;
        background: #fff;
      }
      canvas.thumb[data-selected] {
        border-color: #2563eb;
        box-shadow: 0 0 0 2px #bfdbfe;
      }
      .view {
        flex: 1 1 320px;
        min-width: 0;
      }
      #agent-canvas {
        border: 1px solid #e5e7eb;
        border-radius: 6px;
        background: #fff;
        display: block;
        max-width: 100%;
        height: auto;
      }
      .controls button svg {
        vertical-align: -2px;
      }
      .controls {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        align-items: center;
        margin-top: 6px;
      }
      .controls button {
        padding: 3px 10px;
        min-width: 2.4em;
      }
      #agent-timeline {
        flex: 1 1 200px;
      }
      #agent-clock {
        font-variant-numeric: tabular-nums;
        min-width: 7.5em;
      }
      .readout {
        min-width: 220px;
        font-size: 13px;
      }
      .readout table {
        border-collapse: collapse;
      }
      .readout td {
        padding: 2px 8px 2px 0;
        font-variant-numeric: tabular-nums;
      }
      .bar {
        display: inline-block;
        height: 10px;
        background: #93c5fd;
        vertical-align: middle;
      }
      tr[data-taken] .bar {
        background: #2563eb;
      }
      .empty {
        color: #6b7280;
      }
    `,
  ];

  /** The trajectory in the large view. */
  get current(): Trajectory | undefined {
    return this.trajectories.find((t) => t.env === this.selected) ?? this.trajectories[0];
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stop();
  }

  override willUpdate(changed: PropertyValues<this>): void {
    const tr = this.current;
    const last = tr ? tr.T - 1 : 0;
    if (this.frame > last || this.frame < 0 || !Number.isInteger(this.frame)) this.frame = Math.max(0, Math.min(last, Math.floor(this.frame) || 0));
    if (changed.has('trajectories') && tr === undefined) this.stop();
  }

  override updated(): void {
    const tr = this.current;
    const d = this.dataset;
    d.frame = String(this.frame);
    d.playing = String(this.playing);
    d.speed = String(this.speed);
    d.zoom = String(this.zoom);
    d.selected = String(tr?.env ?? -1);
    d.steps = String(tr?.T ?? 0);
    this.draw();
  }

  private draw(): void {
    const dpr = globalThis.devicePixelRatio || 1;
    const big = this.renderRoot.querySelector<HTMLCanvasElement>('#agent-canvas');
    const tr = this.current;
    if (big && tr) paint(big.getContext('2d')!, scene(tr, this.frame), this.zoom * dpr);
    this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas.thumb').forEach((c, i) => {
      const t = this.trajectories[i];
      if (t) paint(c.getContext('2d')!, scene(t, Math.min(this.frame, t.T - 1)), THUMB * dpr);
    });
  }

  // ── playback ──

  /** Seconds of wall time per step at 1×. */
  private secondsPerStep(): number {
    return stepSeconds(this.env) ?? 1 / STEPS_PER_SECOND;
  }

  play(): void {
    const tr = this.current;
    if (!tr || this.playing) return;
    if (this.frame >= tr.T - 1) this.frame = 0;
    this.playing = true;
    this.last = performance.now();
    this.carry = 0;
    const tick = (now: number) => {
      if (!this.playing) return;
      const t = this.current;
      if (!t) return this.stop();
      this.carry += ((now - this.last) / 1000) * (this.speed / this.secondsPerStep());
      this.last = now;
      const steps = Math.floor(this.carry);
      if (steps > 0) {
        this.carry -= steps;
        this.frame = Math.min(t.T - 1, this.frame + steps);
        if (this.frame >= t.T - 1) return this.stop();
      }
      this.raf = requestAnimationFrame(tick);
    };
    this.raf = requestAnimationFrame(tick);
  }

  stop(): void {
    this.playing = false;
    cancelAnimationFrame(this.raf);
  }

  private seek(f: number): void {
    this.stop();
    this.frame = f;
  }

  private select(env: number): void {
    this.selected = env;
    this.dispatchEvent(new CustomEvent('agent-select', { detail: { env }, bubbles: true, composed: true }));
  }

  // ── view ──

  override render() {
    const tr = this.current;
    if (!tr) return html`<div class="empty">No trajectory yet: the agent appears after the first rollout.</div>`;
    const last = tr.T - 1;
    const dpr = globalThis.devicePixelRatio || 1;
    const W = SCENE_W * this.zoom;
    const H = SCENE_H * this.zoom;
    return html`
      <div class="grid">
        ${this.trajectories.map(
          (t) =>
            html`<canvas class="thumb" data-env=${t.env} ?data-selected=${t === tr} title="env ${t.env}" width=${Math.round(SCENE_W * THUMB * dpr)} height=${Math.round(SCENE_H * THUMB * dpr)}
              style="width:${SCENE_W * THUMB}px;height:${SCENE_H * THUMB}px" @click=${() => this.select(t.env)}></canvas>`,
        )}
      </div>
      <div class="wrap">
        <div class="view">
          <canvas id="agent-canvas" width=${Math.round(W * dpr)} height=${Math.round(H * dpr)} style="width:${W}px"></canvas>
          <div class="controls">
            <button id="agent-first" title="to the start" aria-label="to the start" @click=${() => this.seek(0)}>${icon('first')}</button>
            <button id="agent-back" title="step back" aria-label="step back" ?disabled=${this.frame <= 0} @click=${() => this.seek(Math.max(0, this.frame - 1))}>${icon('back')}</button>
            <button id="agent-play" title=${this.playing ? 'pause' : 'play'} aria-label=${this.playing ? 'pause' : 'play'} @click=${() => (this.playing ? this.stop() : this.play())}>${icon(this.playing ? 'pause' : 'play')}</button>
            <button id="agent-step" title="step" aria-label="step" ?disabled=${this.frame >= last} @click=${() => this.seek(Math.min(last, this.frame + 1))}>${icon('step')}</button>
            <label
              >speed
              <select id="agent-speed" @change=${(e: Event) => (this.speed = Number((e.target as HTMLSelectElement).value))}>
                ${AGENT_SPEEDS.map((s) => html`<option value=${s} ?selected=${s === this.speed}>${s}×</option>`)}
              </select></label
            >
            <label
              >zoom
              <select id="agent-zoom" @change=${(e: Event) => (this.zoom = Number((e.target as HTMLSelectElement).value))}>
                ${AGENT_ZOOMS.map((z) => html`<option value=${z} ?selected=${z === this.zoom}>${z}×</option>`)}
              </select></label
            >
          </div>
          <div class="controls">
            <span id="agent-clock">${clockText(this.env, this.frame)}</span>
            <input id="agent-timeline" type="range" min="0" max=${last} step="1" .value=${String(this.frame)} @input=${(e: Event) => this.seek(Number((e.target as HTMLInputElement).value))} />
            <span>${this.frame} / ${last}</span>
          </div>
        </div>
        ${this.readout(tr)}
      </div>
      <pg-chart heading="env ${tr.env}: V(s_t), r_t and Â_t over the rollout" xLabel="step t" .series=${SERIES} .data=${this.chartData(tr)} .markers=${this.marker()} height="160"></pg-chart>
    `;
  }

  private marker(): ChartMarker[] {
    return [{ x: this.frame, label: `t = ${this.frame}`, color: '#6b7280' }];
  }

  private chartData(tr: Trajectory): number[][] {
    if (this.chartOf.tr !== tr) this.chartOf = { tr, data: [Array.from({ length: tr.T }, (_, t) => t), [...tr.values], [...tr.rewards], [...tr.advantages]] };
    return this.chartOf.data;
  }

  private readout(tr: Trajectory) {
    const t = this.frame;
    const num = (id: string, x: number) => html`<span id=${id} data-value=${String(x)}>${fmt(x)}</span>`;
    const d = tr.dist;
    let policy;
    if (d.kind === 'categorical') {
      const taken = Math.round(tr.actions[t]);
      policy = html`${Array.from({ length: d.n }, (_, a) => {
        const p = d.probs[t * d.n + a];
        return html`<tr class="pi" data-action=${a} ?data-taken=${a === taken}>
          <td>π(${a}|s)</td>
          <td><span data-value=${String(p)}>${fmt(p)}</span></td>
          <td><span class="bar" style="width:${Math.round(100 * p)}px"></span></td>
        </tr>`;
      })}`;
    } else {
      policy = html`${Array.from({ length: tr.actDim }, (_, j) => html`<tr class="pi" data-dim=${j}>
          <td>μ${tr.actDim > 1 ? j : ''}, σ${tr.actDim > 1 ? j : ''}</td>
          <td><span class="mean" data-value=${String(d.mean[t * tr.actDim + j])}>${fmt(d.mean[t * tr.actDim + j])}</span>,
            <span class="std" data-value=${String(d.std[j])}>${fmt(d.std[j])}</span></td>
          <td></td>
        </tr>`)}`;
    }
    const action = Array.from(tr.actions.subarray(t * tr.actDim, (t + 1) * tr.actDim));
    const done = tr.terminated[t] ? 'terminated' : tr.truncated[t] ? 'time limit (bootstrapped)' : '';
    return html`<div class="readout" id="agent-readout">
      <div><b>env ${tr.env}</b>, step ${t} (k = ${tr.k0 + t})</div>
      <table>
        <tbody id="agent-pi">
          ${policy}
        </tbody>
        <tbody>
          <tr><td>action</td><td id="agent-action" data-value=${action.join(',')}>${action.map(fmt).join(', ')}</td><td></td></tr>
          <tr><td>log π(a|s)</td><td>${num('agent-logp', tr.logProb[t])}</td><td></td></tr>
          <tr><td>V(s)</td><td>${num('agent-value', tr.values[t])}</td><td></td></tr>
          <tr><td>reward</td><td>${num('agent-reward', tr.rewards[t])}</td><td></td></tr>
          <tr><td>Â (γ ${tr.gamma}, λ ${tr.lambda})</td><td>${num('agent-adv', tr.advantages[t])}</td><td></td></tr>
        </tbody>
      </table>
      <div id="agent-done">${done || nothing}</div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-agent': PgAgent;
  }
}
