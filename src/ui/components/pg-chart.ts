/**
 * A uPlot line chart. Data are column arrays ([x, y1, y2, …], null for a missing point); one uPlot
 * object lives as long as the series layout stays the same, and each new `data` is one `setData`.
 * Optional vertical markers (e.g. the GPU/CPU crossover) are drawn by a small draw hook.
 */
import { LitElement, html, css, unsafeCSS, type PropertyValues } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import { base, COLORS } from '../styles';
import { logAxisValues } from '../ticks';

export interface ChartSeries {
  label: string;
  color?: string;
  /** draw points only (no line) */
  points?: boolean;
  dash?: number[];
}

/** A shaded band around y series `series` (0-based): lo / hi aligned with the x column, null = gap. */
export interface ChartBand {
  series: number;
  lo: (number | null)[];
  hi: (number | null)[];
}

export interface ChartMarker {
  x: number;
  label: string;
  color?: string;
}

/** An event at x (e.g. a live hyperparameter change): a thin vertical line labelled at its foot. */
export interface ChartMark {
  x: number;
  label: string;
}

/**
 * A uPlot plugin drawing `get()`'s marks as vertical lines over the plot (after the series), each
 * labelled at the bottom; `drawn` hears how many fell inside the x range on each draw.
 */
export function marksPlugin(get: () => readonly ChartMark[], drawn: (n: number) => void): uPlot.Plugin {
  const draw = (u: uPlot): void => {
    const ctx = u.ctx;
    const dpr = devicePixelRatio;
    let n = 0;
    ctx.save();
    ctx.strokeStyle = '#6b7280';
    ctx.fillStyle = '#374151';
    ctx.lineWidth = dpr;
    ctx.setLineDash([2 * dpr, 3 * dpr]);
    ctx.font = `${10.5 * dpr}px system-ui, sans-serif`;
    for (const m of get()) {
      const px = u.valToPos(m.x, 'x', true);
      if (!Number.isFinite(px) || px < u.bbox.left || px > u.bbox.left + u.bbox.width) continue;
      n++;
      ctx.beginPath();
      ctx.moveTo(px, u.bbox.top);
      ctx.lineTo(px, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.fillText(m.label, px + 3 * dpr, u.bbox.top + u.bbox.height - 4 * dpr);
    }
    ctx.restore();
    drawn(n);
  };
  return { hooks: { draw } };
}

@customElement('pg-chart')
export class PgChart extends LitElement {
  /** title above the plot */
  @property() heading = '';
  /** x axis label */
  @property() xLabel = '';
  /** y axis label */
  @property() yLabel = '';
  /** the y series (x is implied as column 0 of `data`) */
  @property({ type: Array }) series: ChartSeries[] = [];
  /** column arrays: [x, y1, …]; each new array is one setData */
  @property({ attribute: false }) data: (number | null)[][] = [[]];
  /** log-scale x axis */
  @property({ type: Boolean }) logX = false;
  /** log-scale y axis */
  @property({ type: Boolean }) logY = false;
  /** vertical markers */
  @property({ type: Array }) markers: ChartMarker[] = [];
  /** events marked on the plot (live hyperparameter changes), drawn by `marksPlugin` */
  @property({ attribute: false }) marks: ChartMark[] = [];
  /** how many marks the last draw put on the plot (inside the x range) */
  marksDrawn = 0;
  /** shaded bands (e.g. min–max), drawn under the lines in the series' colour */
  @property({ attribute: false }) bands: ChartBand[] = [];
  /** plot height in px */
  @property({ type: Number }) height = 240;
  /** text shown over the plot while it has no points */
  @property() emptyText = 'No data yet.';

  @query('.plot') private plotEl!: HTMLDivElement;
  private plot?: uPlot;
  private layoutKey = '';
  private ro?: ResizeObserver;

  static override styles = [
    base,
    unsafeCSS(uplotCss),
    css`
      :host {
        display: block;
        min-width: 280px;
      }
      .title {
        font-weight: 600;
        margin-bottom: 4px;
      }
      .plot {
        width: 100%;
      }
      .wrap {
        position: relative;
      }
      .empty {
        position: absolute;
        inset: 0 0 40px 0;
        display: flex;
        align-items: center;
        justify-content: center;
        color: #9ca3af;
        pointer-events: none;
      }
      .u-legend {
        font-size: 12px;
      }
    `,
  ];

  /** The data the chart currently holds (for tests and exports). */
  get plotData(): (number | null)[][] {
    return (this.plot?.data as (number | null)[][] | undefined) ?? this.data;
  }

  /** The tick labels axis `i` (0 = x, 1 = y) shows now, blanks dropped (uPlot draws them on the canvas). */
  axisLabels(i: number): string[] {
    const ax = this.plot?.axes[i] as { _values?: (string | null)[] | null } | undefined;
    return (ax?._values ?? []).filter((v): v is string => Boolean(v));
  }

  /** Number of non-null points of y series `i` (0-based) currently in the chart. */
  pointCount(i: number): number {
    const col = this.plotData[i + 1] ?? [];
    let n = 0;
    for (const v of col) if (v !== null && v !== undefined && Number.isFinite(v)) n++;
    return n;
  }

  override render() {
    const empty = !this.data.slice(1).some((col) => col.some((v) => v !== null && v !== undefined && Number.isFinite(v)));
    return html`<div class="title">${this.heading}</div>
      <div class="wrap"><div class="plot"></div>${empty ? html`<div class="empty">${this.emptyText}</div>` : null}</div>`;
  }

  override firstUpdated(): void {
    this.ro = new ResizeObserver(() => {
      if (this.plot) this.plot.setSize({ width: this.width(), height: this.height });
    });
    this.ro.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.ro?.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
    this.layoutKey = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.hasUpdated) this.requestUpdate();
  }

  private width(): number {
    return Math.max(260, Math.floor(this.getBoundingClientRect().width || 480));
  }

  override updated(changed: PropertyValues<this>): void {
    const key = JSON.stringify([this.series, this.logX, this.logY, this.xLabel, this.yLabel, this.height]);
    if (!this.plot || key !== this.layoutKey) {
      this.plot?.destroy();
      this.layoutKey = key;
      this.plot = new uPlot(this.options(), this.aligned(), this.plotEl);
      return;
    }
    if (changed.has('data')) this.plot.setData(this.aligned());
    else if (changed.has('markers') || changed.has('bands') || changed.has('marks')) this.plot.redraw(false, false);
  }

  private aligned(): uPlot.AlignedData {
    const cols = this.data.length === this.series.length + 1 ? this.data : [this.data[0] ?? [], ...this.series.map(() => [])];
    return cols as unknown as uPlot.AlignedData;
  }

  /** The y range of the lines widened to hold the bands, padded as uPlot pads its own. */
  private yRange(min: number, max: number): uPlot.Range.MinMax {
    let lo = min;
    let hi = max;
    for (const b of this.bands) {
      for (const v of b.lo) if (v !== null && Number.isFinite(v)) lo = Math.min(lo, v);
      for (const v of b.hi) if (v !== null && Number.isFinite(v)) hi = Math.max(hi, v);
    }
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [min, max];
    // a flat series (clip fraction 0, epochs run 4): a range around it, not uPlot's 0–100
    if (hi === lo) return [lo - (Math.abs(lo) * 0.1 || 1), hi + (Math.abs(hi) * 0.1 || 1)];
    return uPlot.rangeNum(lo, hi, 0.1, true);
  }

  /** Fill each band as one polygon per run of consecutive points (hi forward, lo back). */
  private drawBands(u: uPlot): void {
    const xs = (u.data[0] ?? []) as (number | null)[];
    const ctx = u.ctx;
    for (const b of this.bands) {
      const color = this.series[b.series]?.color ?? COLORS[b.series % COLORS.length];
      const runs: number[][] = [];
      let cur: number[] = [];
      for (let k = 0; k < xs.length; k++) {
        const ok = xs[k] !== null && Number.isFinite(b.lo[k] ?? NaN) && Number.isFinite(b.hi[k] ?? NaN);
        if (ok) cur.push(k);
        else if (cur.length) {
          runs.push(cur);
          cur = [];
        }
      }
      if (cur.length) runs.push(cur);
      ctx.save();
      ctx.beginPath();
      ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
      ctx.clip();
      ctx.fillStyle = color;
      ctx.globalAlpha = 0.14;
      for (const r of runs) {
        ctx.beginPath();
        r.forEach((k, j) => {
          const px = u.valToPos(xs[k] as number, 'x', true);
          const py = u.valToPos(b.hi[k] as number, 'y', true);
          if (j === 0) ctx.moveTo(px, py);
          else ctx.lineTo(px, py);
        });
        for (let j = r.length - 1; j >= 0; j--) ctx.lineTo(u.valToPos(xs[r[j]] as number, 'x', true), u.valToPos(b.lo[r[j]] as number, 'y', true));
        if (r.length === 1) {
          // a single point: a short vertical bar
          const px = u.valToPos(xs[r[0]] as number, 'x', true);
          ctx.fillRect(px - 2, u.valToPos(b.hi[r[0]] as number, 'y', true), 4, u.valToPos(b.lo[r[0]] as number, 'y', true) - u.valToPos(b.hi[r[0]] as number, 'y', true));
        } else ctx.fill();
      }
      ctx.restore();
    }
  }

  private options(): uPlot.Options {
    return {
      width: this.width(),
      height: this.height,
      scales: {
        x: { time: false, distr: this.logX ? 3 : 1 },
        y: { distr: this.logY ? 3 : 1, range: this.logY ? undefined : (_u: uPlot, min: number, max: number) => this.yRange(min, max) },
      },
      // log axes read 1, 10, 100, 1k and 0.001, 1e-4 (uPlot's default prints 1e-4 as "0")
      axes: [
        { label: this.xLabel, size: 40, ...(this.logX ? { values: logAxisValues } : {}) },
        { label: this.yLabel, size: 72, ...(this.logY ? { values: logAxisValues } : {}) },
      ],
      legend: { show: true, live: false },
      plugins: [marksPlugin(() => this.marks, (n) => (this.marksDrawn = n))],
      series: [
        { label: this.xLabel || 'x' },
        ...this.series.map((s, i) => ({
          label: s.label,
          stroke: s.color ?? COLORS[i % COLORS.length],
          width: 2,
          dash: s.dash,
          spanGaps: true,
          points: { show: s.points ?? undefined, size: 6 },
          paths: s.points ? () => null : undefined,
        })),
      ],
      hooks: {
        drawClear: [(u: uPlot) => this.drawBands(u)],
        draw: [
          (u: uPlot) => {
            const ctx = u.ctx;
            for (const m of this.markers) {
              const px = u.valToPos(m.x, 'x', true);
              if (!Number.isFinite(px)) continue;
              ctx.save();
              ctx.strokeStyle = m.color ?? '#111827';
              ctx.setLineDash([6, 4]);
              ctx.lineWidth = 1.5 * devicePixelRatio;
              ctx.beginPath();
              ctx.moveTo(px, u.bbox.top);
              ctx.lineTo(px, u.bbox.top + u.bbox.height);
              ctx.stroke();
              ctx.fillStyle = m.color ?? '#111827';
              ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
              ctx.fillText(m.label, px + 4 * devicePixelRatio, u.bbox.top + 14 * devicePixelRatio);
              ctx.restore();
            }
          },
        ],
      },
    };
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-chart': PgChart;
  }
}
