/**
 * The "score × return microscope": one trajectory, one row per timestep —
 *   ∇_{θ[s]} log π(a_t|s_t) (the score), the signal Ψ_t, the discount γ^t and their product —
 * and the sum of the products, which is that trajectory's gradient estimate.
 */
import { LitElement, html, css, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { base } from '../styles';
import type { Trajectory } from '../lab/tiny-model';

const f = (v: number): string => (Math.abs(v) < 5e-5 ? '0.0000' : v.toFixed(4));

@customElement('pg-microscope')
export class PgMicroscope extends LitElement {
  /** the trajectory shown */
  @property({ attribute: false }) trajectory: Trajectory | null = null;
  /** names of the policy rows (states as the agent sees them) */
  @property({ type: Array }) stateNames: string[] = [];
  /** name of the signal Ψ_t */
  @property() psiLabel = 'Ψ_t';
  /** rows shown at most (long trajectories are cut, the sum still covers all) */
  @property({ type: Number }) maxRows = 30;

  static override styles = [
    base,
    css`
      :host {
        display: block;
        overflow-x: auto;
      }
      tfoot td {
        font-weight: 600;
        border-top: 2px solid #9ca3af;
      }
      td.l,
      th.l {
        text-align: left;
      }
    `,
  ];

  override render() {
    const tr = this.trajectory;
    if (!tr) return html`<p class="muted">No trajectory sampled yet.</p>`;
    const rows = tr.steps.slice(0, this.maxRows);
    return html`<table id="microscope">
      <thead>
        <tr>
          <th>t</th><th class="l">s_t</th><th>a_t</th><th>r_t</th><th>π(a_t|s_t)</th><th>γ^t</th>
          <th>∂log π/∂θ[s][0]</th><th>∂log π/∂θ[s][1]</th><th>${this.psiLabel}</th>
          <th>γ^t·score₀·Ψ</th><th>γ^t·score₁·Ψ</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (s) => html`<tr class="step" data-disc=${s.disc} data-score0=${s.score[0]} data-score1=${s.score[1]} data-psi=${s.psi} data-prod0=${s.prod[0]} data-prod1=${s.prod[1]}>
            <td>${s.t}</td><td class="l">${this.stateNames[s.s] ?? s.s}</td><td>${s.a}</td><td>${s.r}</td><td>${f(s.pa)}</td><td>${f(s.disc)}</td>
            <td>${f(s.score[0])}</td><td>${f(s.score[1])}</td><td>${f(s.psi)}</td><td>${f(s.prod[0])}</td><td>${f(s.prod[1])}</td>
          </tr>`,
        )}
        ${tr.steps.length > rows.length ? html`<tr><td colspan="11" class="l muted">… ${tr.steps.length - rows.length} more steps</td></tr>` : nothing}
      </tbody>
      <tfoot>
        <tr><td colspan="11" class="l">Return R(τ) = ${f(tr.ret)}; trajectory estimate ĝ(τ) = Σ_t rows = (${Array.from(tr.grad, f).join(', ')})</td></tr>
      </tfoot>
    </table>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-microscope': PgMicroscope;
  }
}
