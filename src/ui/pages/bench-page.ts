/**
 * Benchmark: env-steps/s of the GPU and the CPU engine at several env counts (log-log), with the
 * crossover — the smallest measured env count at which the GPU is faster (src/train/bench.ts, as
 * `policygrad bench` reports it) — marked. Runs in the worker with the CLI's measuring loop (one
 * warm-up update, then the timed updates per point).
 */
import { html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { FIELDS, type Config, type FieldName } from '../../core/config';
import type { Backend } from '../../core/types';
import { base, ALGO_COLORS } from '../styles';
import { PageBase, WorkerPage } from './page-base';
import { checkNumber, defaultTexts, fieldHint, validateTexts, type FieldErrors } from '../form';
import type { FromWorker } from '../protocol';
import type { GpuAvailability } from '../gpu-detect';
import type { FieldInputDetail } from '../components/pg-field';
import type { ChartMarker } from '../components/pg-chart';
import '../components/pg-field';
import '../components/pg-chart';
import { crossover } from '../../train/bench';

const CONFIG_FIELDS: FieldName[] = ['env', 'algo', 'numSteps', 'hidden', 'epochs', 'minibatches'];
export const BENCH_DEFAULTS: Record<string, string> = {
  ...Object.fromEntries(CONFIG_FIELDS.map((k) => [k, defaultTexts()[k]])),
  numSteps: '32',
  minibatches: '1',
  envCounts: '16,64,256,1024,4096',
  updates: '3',
};

@customElement('pg-bench-page')
export class PgBenchPage extends WorkerPage {
  readonly page = 'bench' as const;
  /** WebGPU availability (from <pg-app>) */
  @property({ attribute: false }) gpu: GpuAvailability | null = null;

  @state() private running = false;
  @state() private points: Record<Backend, Map<number, number>> = { gpu: new Map(), cpu: new Map() };
  @state() private notices: string[] = [];
  @state() private message = '';
  private reqId = 0;

  static override styles = [
    base,
    PageBase.pageStyles,
    css`
      .fields {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(190px, 1fr));
        gap: 10px 14px;
      }
      .two {
        display: grid;
        grid-template-columns: minmax(560px, 2fr) minmax(280px, 1fr);
        gap: 14px;
        margin-top: 14px;
      }
    `,
  ];

  protected get defaults(): Record<string, string> {
    return BENCH_DEFAULTS;
  }

  protected validate(): { config?: Config; envCounts?: number[]; updates?: number; errors: FieldErrors } {
    const texts: Record<string, string> = {};
    for (const k of CONFIG_FIELDS) texts[k] = this.texts[k] ?? '';
    const { config, errors } = validateTexts(texts);
    const counts = (this.texts.envCounts ?? '').split(',').map((s) => s.trim());
    const envCounts: number[] = [];
    for (const c of counts) {
      const r = checkNumber('envCounts', c, FIELDS.numEnvs.min, FIELDS.numEnvs.max, true);
      if (r.error) {
        errors.envCounts = `${r.error} — a comma-separated list`;
        break;
      }
      envCounts.push(r.value!);
    }
    const up = checkNumber('updates', this.texts.updates ?? '', 1, 50, true);
    if (up.error) errors.updates = up.error;
    if (!config || Object.keys(errors).length > 0) return { errors };
    return { config, envCounts: [...new Set(envCounts)].sort((a, b) => a - b), updates: up.value, errors };
  }

  private onField(e: CustomEvent<FieldInputDetail>): void {
    this.texts = { ...this.texts, [e.detail.name]: e.detail.value };
    this.errors = this.validate().errors;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.texts)) if (BENCH_DEFAULTS[k] !== v) out[k] = v;
    this.publish(out);
  }

  private run(): void {
    const v = this.validate();
    this.errors = v.errors;
    if (!v.config || !v.envCounts || !v.updates) {
      this.message = 'Fix the highlighted fields; nothing was started.';
      return;
    }
    const w = this.worker();
    this.reqId = w.id();
    this.points = { gpu: new Map(), cpu: new Map() };
    this.notices = [];
    this.message = '';
    this.running = true;
    w.send({ type: 'bench', reqId: this.reqId, config: v.config, envCounts: v.envCounts, backends: ['cpu', 'gpu'], updates: v.updates });
  }

  protected onWorker(m: FromWorker): void {
    if ('reqId' in m && m.reqId !== undefined && m.reqId !== this.reqId) return;
    switch (m.type) {
      case 'bench-point': {
        const p = { gpu: new Map(this.points.gpu), cpu: new Map(this.points.cpu) };
        p[m.backend].set(m.numEnvs, m.sps);
        this.points = p;
        break;
      }
      case 'bench-done':
        this.running = false;
        break;
      case 'notice':
        if (!this.notices.includes(m.message)) this.notices = [...this.notices.slice(-4), m.message];
        break;
      case 'error':
        this.running = false;
        this.message = m.message;
        break;
    }
  }

  override render() {
    const ns = [...new Set([...this.points.cpu.keys(), ...this.points.gpu.keys()])].sort((a, b) => a - b);
    const gpu = ns.map((n) => this.points.gpu.get(n) ?? null);
    const cpu = ns.map((n) => this.points.cpu.get(n) ?? null);
    const cross = crossover(ns, gpu, cpu);
    const markers: ChartMarker[] = cross !== null ? [{ x: cross, label: `crossover: ${cross} envs` }] : [];
    const g = this.gpu;
    return html`
      <h2>Benchmark</h2>
      <p class="lead">Env steps per second (collect + update) of the two engines at several env counts. The CPU engine's cost grows with the batch; the GPU engine pays a fixed dispatch cost per update and wins once the batch is large enough.</p>
      ${g && !g.ok ? html`<div class="notice" role="status">WebGPU is not available here: ${g.reason} Only the CPU engine is measured.</div>` : nothing}
      ${g && g.ok && /swiftshader/i.test(g.adapter)
        ? html`<div class="notice" role="status" id="swiftshader">The WebGPU adapter here is SwiftShader, a CPU emulation of a GPU: the GPU engine is correct but slow, so expect no crossover on this machine.</div>`
        : nothing}
      <div class="card" @field-input=${this.onField}>
        <div class="fields">
          ${CONFIG_FIELDS.map((k) => {
            const f = FIELDS[k];
            return html`<pg-field name=${k} label=${k} kind=${f.kind === 'enum' ? 'select' : 'text'} .options=${f.kind === 'enum' ? f.values : []} .value=${this.texts[k] ?? ''} hint=${fieldHint(k)} .error=${this.errors[k] ?? ''}></pg-field>`;
          })}
          <pg-field name="envCounts" label="env counts" .value=${this.texts.envCounts ?? ''} hint="comma-separated integers 1 … 65536" .error=${this.errors.envCounts ?? ''}></pg-field>
          <pg-field name="updates" label="timed updates per point" .value=${this.texts.updates ?? ''} hint="an integer 1 … 50 (after one warm-up update)" .error=${this.errors.updates ?? ''}></pg-field>
        </div>
        <div class="row" style="margin-top:10px">
          <button class="primary" id="run" ?disabled=${this.running} @click=${this.run}>Run benchmark</button>
          <span id="bstatus" class="muted" data-state=${this.running ? 'running' : ns.length ? 'done' : 'idle'}>${this.running ? 'measuring…' : ns.length ? 'done' : ''}</span>
        </div>
        ${this.message ? html`<div class="notice bad" role="status">${this.message}</div>` : nothing}
        ${this.notices.map((n) => html`<div class="notice">${n}</div>`)}
      </div>
      <div class="two">
        <pg-chart class="card" id="chart-bench" heading="Env steps / s vs env count (log–log)" xLabel="env count" yLabel="env steps / s" logX logY
          .series=${[{ label: 'GPU', color: ALGO_COLORS.gpu }, { label: 'CPU', color: ALGO_COLORS.cpu }]} .data=${[ns, gpu, cpu]} .markers=${markers}></pg-chart>
        <div class="card">
          <table id="bench-table">
            <tr><th>envs</th><th>GPU steps/s</th><th>CPU steps/s</th><th>GPU / CPU</th></tr>
            ${ns.map((n, i) => html`<tr><td>${n}</td><td>${gpu[i] !== null ? Math.round(gpu[i]!).toLocaleString('en') : '—'}</td><td>${cpu[i] !== null ? Math.round(cpu[i]!).toLocaleString('en') : '—'}</td>
              <td>${gpu[i] !== null && cpu[i] !== null ? (gpu[i]! / cpu[i]!).toFixed(2) : '—'}</td></tr>`)}
          </table>
          <p id="crossover">${cross !== null
            ? cross === ns[0]
              ? html`The GPU engine is faster from the smallest measured env count (<b>${ns[0]}</b>).`
              : html`The GPU engine overtakes the CPU engine from <b>${cross}</b> envs.`
            : ns.length
              ? 'No crossover in the measured range.'
              : ''}</p>
        </div>
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-bench-page': PgBenchPage;
  }
}
