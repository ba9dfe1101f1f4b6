/** What every page shares: URL params in, `params-change` out, hidden when not current. */
import { LitElement, css } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { Page } from '../url';
import type { ParamsChangeDetail } from '../app';
import type { FieldErrors } from '../form';
import { WorkerClient } from '../worker-client';
import type { FromWorker } from '../protocol';

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

/**
 * A page with a validated form that drives the training worker: its field texts come from the URL
 * (over the page's defaults) and are validated on every change; it owns one WorkerClient, started
 * on first use and ended when the page goes away.
 */
export abstract class WorkerPage extends PageBase {
  @state() protected texts: Record<string, string> = {};
  @state() protected errors: FieldErrors = {};
  protected client: WorkerClient | null = null;

  /** the form's texts before the URL says otherwise */
  protected abstract get defaults(): Record<string, string>;
  /** validate `texts`; the page's own parsed values ride along with the errors */
  protected abstract validate(): { errors: FieldErrors };
  protected abstract onWorker(m: FromWorker): void;

  override connectedCallback(): void {
    super.connectedCallback();
    if (Object.keys(this.texts).length === 0) this.texts = { ...this.defaults };
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.client?.terminate();
    this.client = null;
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('params')) {
      this.texts = this.textsFrom(this.params);
      this.errors = this.validate().errors;
    }
  }

  /** The form's texts for the URL's params: the URL over the page's defaults. */
  protected textsFrom(params: Record<string, string>): Record<string, string> {
    return { ...this.defaults, ...params };
  }

  protected worker(): WorkerClient {
    if (!this.client) {
      this.client = new WorkerClient();
      this.client.on((m) => this.onWorker(m));
    }
    return this.client;
  }
}
