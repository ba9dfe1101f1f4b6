/**
 * A histogram (SVG) of per-group gradient estimates projected on one direction, with vertical
 * markers (the estimates' mean, the reference gradient). Bins are computed by the page. Bar heights
 * are CSS properties with a transition, so a new `counts` (the next frame of the variance lab's
 * accumulation animation, on a fixed [lo, hi] and `ymax`) morphs the bars instead of redrawing them.
 */
import { LitElement, html, svg, css } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { base } from '../styles';

export interface HistMarker {
  x: number;
  label: string;
  color: string;
  dash?: boolean;
  kind?: string;
}

const W = 320;
const H = 150;
const PAD = { l: 30, r: 8, t: 8, b: 26 };

@customElement('pg-histogram')
export class PgHistogram extends LitElement {
  /** title */
  @property() heading = '';
  /** counts per bin, equal-width bins over [lo, hi] */
  @property({ type: Array }) counts: number[] = [];
  @property({ type: Number }) lo = 0;
  @property({ type: Number }) hi = 1;
  /** bar colour */
  @property() color = '#2563eb';
  /** vertical markers */
  @property({ type: Array }) markers: HistMarker[] = [];
  /** a line of text under the plot (e.g. mean, variance) */
  @property() caption = '';
  /** the count at the top of the y axis: 0 = the largest count (fixed across animation frames) */
  @property({ type: Number }) ymax = 0;
  /** the values binned into `counts` (not drawn; kept for readers such as tests) */
  @property({ attribute: false }) values: number[] = [];

  static override styles = [
    base,
    css`
      :host {
        display: inline-block;
      }
      .title {
        font-weight: 600;
        font-size: 13px;
      }
      text {
        font-size: 10px;
        fill: #4b5563;
      }
      rect.bar {
        transition:
          y 0.35s ease,
          height 0.35s ease;
      }
      .cap {
        font-size: 11.5px;
        color: #4b5563;
        max-width: ${W}px;
      }
    `,
  ];

  private sx(x: number): number {
    return PAD.l + ((x - this.lo) / (this.hi - this.lo || 1)) * (W - PAD.l - PAD.r);
  }

  override render() {
    const n = this.counts.length;
    const max = this.ymax > 0 ? this.ymax : Math.max(1, ...this.counts);
    const bw = (W - PAD.l - PAD.r) / Math.max(1, n);
    const ph = H - PAD.t - PAD.b;
    return html`<div class="title">${this.heading}</div>
      <svg width=${W} height=${H} viewBox="0 0 ${W} ${H}">
        ${this.counts.map((c, i) => svg`<rect class="bar" data-count=${c} x=${PAD.l + i * bw + 0.5} style=${`y: ${PAD.t + ph - (Math.min(c, max) / max) * ph}px; height: ${(Math.min(c, max) / max) * ph}px`} width=${Math.max(0.5, bw - 1)} fill=${this.color} fill-opacity="0.55"></rect>`)}
        <line x1=${PAD.l} x2=${W - PAD.r} y1=${H - PAD.b} y2=${H - PAD.b} stroke="#6b7280"></line>
        <text x=${PAD.l} y=${H - 10} text-anchor="start">${this.lo.toPrecision(3)}</text>
        <text x=${W - PAD.r} y=${H - 10} text-anchor="end">${this.hi.toPrecision(3)}</text>
        <text x=${PAD.l - 3} y=${PAD.t + 8} text-anchor="end">${max}</text>
        ${this.markers.map(
          (m) => svg`<line data-kind=${m.kind ?? ''} data-x=${m.x} x1=${this.sx(m.x)} x2=${this.sx(m.x)} y1=${PAD.t} y2=${H - PAD.b} stroke=${m.color} stroke-width="2" stroke-dasharray=${m.dash ? '4 3' : 'none'}><title>${m.label}</title></line>`,
        )}
      </svg>
      <div class="cap">${this.caption}</div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-histogram': PgHistogram;
  }
}
