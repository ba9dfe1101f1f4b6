/**
 * The 2-D parameter plane of the Tiny-MDP lab (SVG, not a chart): the J(θ) landscape as a heat map,
 * the current θ, gradient arrows drawn from θ, and step end points (PPO toggle).
 */
import { LitElement, html, svg, css, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { base } from '../styles';

export interface PlaneArrow {
  /** vector in parameter units (before `arrowScale`) */
  dx: number;
  dy: number;
  color: string;
  width?: number;
  opacity?: number;
  /** legend / tooltip text */
  label?: string;
  /** data-kind attribute, for tests and styling */
  kind?: string;
}

export interface PlanePoint {
  x: number;
  y: number;
  color: string;
  label: string;
  kind?: string;
}

const W = 460;
const H = 400;
const PAD = { l: 52, r: 14, t: 12, b: 40 };

@customElement('pg-plane')
export class PgPlane extends LitElement {
  /** grid x coordinates of `values` (ascending) */
  @property({ type: Array }) xs: number[] = [];
  /** grid y coordinates of `values` (ascending) */
  @property({ type: Array }) ys: number[] = [];
  /** J on the grid, row-major [ys.length][xs.length] */
  @property({ attribute: false }) values: ArrayLike<number> = [];
  /** current θ in the plane */
  @property({ type: Array }) point: [number, number] = [0, 0];
  /** arrows drawn from `point` */
  @property({ type: Array }) arrows: PlaneArrow[] = [];
  /** multiplies every arrow (so small gradients are visible); shown in the caption */
  @property({ type: Number }) arrowScale = 1;
  /** marked points (e.g. step end points) */
  @property({ type: Array }) points: PlanePoint[] = [];
  @property() xLabel = 'x';
  @property() yLabel = 'y';

  static override styles = [
    base,
    css`
      :host {
        display: inline-block;
      }
      svg {
        background: #fff;
        border: 1px solid #e5e7eb;
        border-radius: 6px;
      }
      text {
        font-size: 11px;
        fill: #374151;
      }
      .cap {
        font-size: 12px;
        color: #4b5563;
      }
    `,
  ];

  private sx(x: number): number {
    const lo = this.xs[0] ?? -1;
    const hi = this.xs[this.xs.length - 1] ?? 1;
    return PAD.l + ((x - lo) / (hi - lo)) * (W - PAD.l - PAD.r);
  }
  private sy(y: number): number {
    const lo = this.ys[0] ?? -1;
    const hi = this.ys[this.ys.length - 1] ?? 1;
    return H - PAD.b - ((y - lo) / (hi - lo)) * (H - PAD.t - PAD.b);
  }

  /** Heat map of J as an image (one canvas pixel per grid cell, scaled up). */
  private heatmap(): string {
    const nx = this.xs.length;
    const ny = this.ys.length;
    if (nx === 0 || ny === 0 || this.values.length !== nx * ny) return '';
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < this.values.length; i++) {
      lo = Math.min(lo, this.values[i]);
      hi = Math.max(hi, this.values[i]);
    }
    const c = document.createElement('canvas');
    c.width = nx;
    c.height = ny;
    const ctx = c.getContext('2d');
    if (!ctx) return '';
    const img = ctx.createImageData(nx, ny);
    for (let r = 0; r < ny; r++) {
      for (let k = 0; k < nx; k++) {
        const v = (this.values[r * nx + k] - lo) / (hi - lo || 1);
        const o = ((ny - 1 - r) * nx + k) * 4; // row 0 (lowest y) at the bottom
        // light blue (low J) → light amber (high J)
        img.data[o] = Math.round(219 + (253 - 219) * v);
        img.data[o + 1] = Math.round(234 + (230 - 234) * v);
        img.data[o + 2] = Math.round(254 + (138 - 254) * v);
        img.data[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    return c.toDataURL();
  }

  private ticks(lo: number, hi: number): number[] {
    const out: number[] = [];
    const step = Math.max(1, Math.round((hi - lo) / 6));
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(v);
    return out;
  }

  override render() {
    if (this.xs.length === 0) return nothing;
    const x0 = this.xs[0];
    const x1 = this.xs[this.xs.length - 1];
    const y0 = this.ys[0];
    const y1 = this.ys[this.ys.length - 1];
    const [px, py] = this.point;
    const heat = this.heatmap();
    const s = this.arrowScale;
    return html`<svg width=${W} height=${H} viewBox="0 0 ${W} ${H}" role="img" aria-label="parameter plane">
        <defs>
          ${['#111827', '#2563eb', '#dc2626', '#059669', '#9ca3af', '#d97706', '#7c3aed'].map(
            (c) => svg`<marker id="h${c.slice(1)}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill=${c}></path></marker>`,
          )}
          <clipPath id="plot"><rect x=${PAD.l} y=${PAD.t} width=${W - PAD.l - PAD.r} height=${H - PAD.t - PAD.b}></rect></clipPath>
        </defs>
        ${heat ? svg`<image href=${heat} x=${PAD.l} y=${PAD.t} width=${W - PAD.l - PAD.r} height=${H - PAD.t - PAD.b} preserveAspectRatio="none" style="image-rendering: pixelated"></image>` : nothing}
        ${this.ticks(x0, x1).map((v) => svg`<line x1=${this.sx(v)} x2=${this.sx(v)} y1=${H - PAD.b} y2=${H - PAD.b + 4} stroke="#6b7280"></line><text x=${this.sx(v)} y=${H - PAD.b + 15} text-anchor="middle">${v}</text>`)}
        ${this.ticks(y0, y1).map((v) => svg`<line x1=${PAD.l - 4} x2=${PAD.l} y1=${this.sy(v)} y2=${this.sy(v)} stroke="#6b7280"></line><text x=${PAD.l - 6} y=${this.sy(v) + 4} text-anchor="end">${v}</text>`)}
        <rect x=${PAD.l} y=${PAD.t} width=${W - PAD.l - PAD.r} height=${H - PAD.t - PAD.b} fill="none" stroke="#9ca3af"></rect>
        <text x=${(PAD.l + W - PAD.r) / 2} y=${H - 6} text-anchor="middle">${this.xLabel}</text>
        <text transform="translate(13 ${(PAD.t + H - PAD.b) / 2}) rotate(-90)" text-anchor="middle">${this.yLabel}</text>
        <g clip-path="url(#plot)">
          ${this.arrows.map(
            (a) => svg`<line data-kind=${a.kind ?? ''} x1=${this.sx(px)} y1=${this.sy(py)} x2=${this.sx(px + s * a.dx)} y2=${this.sy(py + s * a.dy)}
              stroke=${a.color} stroke-width=${a.width ?? 1.5} stroke-opacity=${a.opacity ?? 1} marker-end="url(#h${a.color.slice(1)})"><title>${a.label ?? ''}</title></line>`,
          )}
          ${this.points.map(
            (p) => svg`<line x1=${this.sx(px)} y1=${this.sy(py)} x2=${this.sx(p.x)} y2=${this.sy(p.y)} stroke=${p.color} stroke-width="1.5" stroke-dasharray="5 3"></line>
              <circle data-kind=${p.kind ?? ''} cx=${this.sx(p.x)} cy=${this.sy(p.y)} r="5.5" fill=${p.color} stroke="#fff" stroke-width="1.5"><title>${p.label}</title></circle>`,
          )}
          <circle data-kind="theta" cx=${this.sx(px)} cy=${this.sy(py)} r="6" fill="#111827" stroke="#fff" stroke-width="2"></circle>
        </g>
      </svg>
      <div class="cap">Background: J(θ) (blue low → amber high). Arrows from θ, scaled ×${s.toPrecision(3)}.</div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-plane': PgPlane;
  }
}
