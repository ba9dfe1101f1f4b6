/**
 * <pg-app>: the nav bar and the four pages. The URL query holds the page and its settings
 * (src/ui/url.ts); pages report setting changes with `params-change` and the app writes them back
 * with history.replaceState, so every view can be shared and reloaded. Pages stay alive while
 * hidden, so a training run keeps going while you look at a lab.
 */
import { LitElement, html, css } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { base } from './styles';
import { readUrl, writeUrl, PAGES, type Page, type UrlState } from './url';
import { detectWebGpu, type GpuAvailability } from './gpu-detect';
import './pages/trainer-page';
import './pages/variance-page';
import './pages/tiny-page';
import './pages/bench-page';

const TITLES: Record<Page, string> = {
  trainer: 'Trainer',
  variance: 'Variance lab',
  tiny: 'Tiny-MDP lab',
  bench: 'Benchmark',
};

export interface ParamsChangeDetail {
  page: Page;
  params: Record<string, string>;
}

@customElement('pg-app')
export class PgApp extends LitElement {
  @state() private page: Page = 'trainer';
  /** the params each page was last given / reported */
  @state() private params: Record<Page, Record<string, string>> = { trainer: {}, variance: {}, tiny: {}, bench: {} };
  /** which pages have been opened (created lazily, then kept) */
  @state() private opened = new Set<Page>();
  @state() private gpu: GpuAvailability | null = null;

  static override styles = [
    base,
    css`
      :host {
        display: block;
      }
      nav {
        display: flex;
        align-items: center;
        gap: 4px;
        background: #111827;
        color: #f9fafb;
        padding: 0 16px;
        height: 48px;
      }
      .brand {
        font-weight: 700;
        margin-right: 18px;
        letter-spacing: 0.02em;
      }
      nav a {
        color: #d1d5db;
        text-decoration: none;
        padding: 14px 12px;
        border-bottom: 3px solid transparent;
      }
      nav a[aria-current='page'] {
        color: #fff;
        border-bottom-color: #60a5fa;
      }
      .gpu {
        margin-left: auto;
        font-size: 12px;
        color: #9ca3af;
      }
      main {
        padding: 16px;
        max-width: 1500px;
        margin: 0 auto;
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    this.applyUrl(readUrl());
    addEventListener('popstate', this.onPop);
    void detectWebGpu().then((g) => (this.gpu = g));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    removeEventListener('popstate', this.onPop);
  }

  private onPop = (): void => this.applyUrl(readUrl());

  private applyUrl(s: UrlState): void {
    this.page = s.page;
    this.params = { ...this.params, [s.page]: s.params };
    this.opened = new Set([...this.opened, s.page]);
  }

  private go(e: Event, page: Page): void {
    e.preventDefault();
    if (page === this.page) return;
    this.page = page;
    this.opened = new Set([...this.opened, page]);
    writeUrl({ page, params: this.params[page] }, true);
  }

  private onParams(e: CustomEvent<ParamsChangeDetail>): void {
    const { page, params } = e.detail;
    this.params[page] = params;
    if (page === this.page) writeUrl({ page, params });
  }

  private renderPage(p: Page) {
    if (!this.opened.has(p)) return null;
    const hidden = p !== this.page;
    const params = this.params[p];
    switch (p) {
      case 'trainer':
        return html`<pg-trainer-page ?hidden=${hidden} .params=${params} .gpu=${this.gpu}></pg-trainer-page>`;
      case 'variance':
        return html`<pg-variance-page ?hidden=${hidden} .params=${params} .gpu=${this.gpu}></pg-variance-page>`;
      case 'tiny':
        return html`<pg-tiny-page ?hidden=${hidden} .params=${params}></pg-tiny-page>`;
      case 'bench':
        return html`<pg-bench-page ?hidden=${hidden} .params=${params} .gpu=${this.gpu}></pg-bench-page>`;
    }
  }

  override render() {
    const g = this.gpu;
    return html`<nav>
        <span class="brand">policygrad</span>
        ${PAGES.map((p) => html`<a href="?page=${p}" data-page=${p} aria-current=${p === this.page ? 'page' : 'false'} @click=${(e: Event) => this.go(e, p)}>${TITLES[p]}</a>`)}
        <span class="gpu" id="gpu-status">${g === null ? 'checking WebGPU…' : g.ok ? `WebGPU: ${g.adapter}` : 'WebGPU unavailable — CPU engine'}</span>
      </nav>
      <main @params-change=${this.onParams}>${PAGES.map((p) => this.renderPage(p))}</main>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-app': PgApp;
  }
}
