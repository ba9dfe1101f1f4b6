/**
 * One labelled form field with its allowed range as a hint and an inline error. It renders state
 * and reports edits as a `field-input` event ({ name, value: text }); validation happens in the
 * page through config.ts.
 */
import { LitElement, html, css, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { base } from '../styles';

export interface FieldInputDetail {
  name: string;
  value: string;
}

@customElement('pg-field')
export class PgField extends LitElement {
  /** the field's key (config.ts name or a page key); sent back in events */
  @property() name = '';
  /** visible label */
  @property() label = '';
  /** current text */
  @property() value = '';
  /** allowed range / meaning shown under the input */
  @property() hint = '';
  /** inline error message; empty when valid */
  @property() error = '';
  /** 'text' (numbers too: typed text is validated, not blocked), 'select' or 'checkbox' */
  @property() kind: 'text' | 'select' | 'checkbox' = 'text';
  /** choices of a select */
  @property({ type: Array }) options: readonly string[] = [];
  /** greys the field out (e.g. while training) */
  @property({ type: Boolean }) disabled = false;
  /** marks the field as changed from the preset (a dot after the label) */
  @property({ type: Boolean }) edited = false;
  /** compact side-panel form: the hint becomes the field's tooltip instead of a line under it */
  @property({ type: Boolean, reflect: true }) compact = false;

  static override styles = [
    base,
    css`
      :host {
        display: block;
        min-width: 150px;
      }
      label {
        display: block;
        font-weight: 600;
        font-size: 12.5px;
        margin-bottom: 2px;
      }
      input[type='text'],
      select {
        font: inherit;
        width: 100%;
        box-sizing: border-box;
        padding: 4px 6px;
        border: 1px solid #d1d5db;
        border-radius: 5px;
        background: #fff;
      }
      input.bad,
      select.bad {
        border-color: #dc2626;
        background: #fef2f2;
      }
      .hint {
        font-size: 11.5px;
        color: #6b7280;
        margin-top: 1px;
      }
      .error {
        font-size: 12px;
        margin-top: 2px;
      }
      .edited {
        color: #2563eb;
        margin-left: 3px;
      }
      :host([compact]) {
        min-width: 0;
      }
      :host([compact]) label {
        font-weight: 500;
        font-size: 12px;
        margin-bottom: 1px;
      }
      :host([compact]) input[type='text'],
      :host([compact]) select {
        padding: 2px 5px;
      }
    `,
  ];

  private emit(value: string): void {
    this.dispatchEvent(new CustomEvent<FieldInputDetail>('field-input', { detail: { name: this.name, value }, bubbles: true, composed: true }));
  }

  override render() {
    const bad = this.error !== '';
    let input;
    if (this.kind === 'select') {
      input = html`<select id="in" class=${bad ? 'bad' : ''} ?disabled=${this.disabled} @change=${(e: Event) => this.emit((e.target as HTMLSelectElement).value)}>
        ${this.options.map((o) => html`<option .value=${o} ?selected=${o === this.value}>${o}</option>`)}
      </select>`;
    } else if (this.kind === 'checkbox') {
      input = html`<input id="in" type="checkbox" .checked=${this.value === 'true'} ?disabled=${this.disabled} @change=${(e: Event) => this.emit(String((e.target as HTMLInputElement).checked))} />`;
    } else {
      input = html`<input id="in" type="text" spellcheck="false" class=${bad ? 'bad' : ''} .value=${this.value} ?disabled=${this.disabled} aria-invalid=${bad ? 'true' : 'false'} @input=${(e: Event) => this.emit((e.target as HTMLInputElement).value)} />`;
    }
    const tip = this.compact ? this.hint : '';
    return html`<label for="in" title=${tip}>${this.label || this.name}${this.edited ? html`<span class="edited" title="changed from the preset">•</span>` : nothing}</label>${input}
      ${this.hint && !this.compact ? html`<div class="hint">${this.hint}</div>` : nothing}
      ${bad ? html`<div class="error" role="alert">${this.error}</div>` : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-field': PgField;
  }
}
