/** What every page shares: URL params in, `params-change` out, hidden when not current. */
import { LitElement, css } from 'lit';
import { property } from 'lit/decorators.js';
import type { Page } from '../url';
import type { ParamsChangeDetail } from '../app';

export abstract class PageBase extends LitElement {
  /** the page's settings as read from the URL (text, unvalidated) */
  @property({ attribute: false }) params: Record<string, string> = {};

  abstract readonly page: Page;

  static pageStyles = css`
    :host {
      display: block;
    }
    :host([hidden]) {
      display: none;
    }
  `;

  /** Report the page's current settings (the app writes them into the URL). */
  protected publish(params: Record<string, string>): void {
    this.dispatchEvent(new CustomEvent<ParamsChangeDetail>('params-change', { detail: { page: this.page, params }, bubbles: true, composed: true }));
  }
}
