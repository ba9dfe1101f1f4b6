/** Shared look (each component adopts it into its own shadow root; nothing leaks between them). */
import { css } from 'lit';

export const COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#db2777', '#0891b2', '#4b5563'];

/** A stable colour per estimator / algorithm name. */
export const ALGO_COLORS: Record<string, string> = {
  reinforce: '#6b7280',
  'reinforce-rtg': '#d97706',
  'reinforce-baseline': '#7c3aed',
  'actor-critic': '#dc2626',
  gae: '#059669',
  ppo: '#2563eb',
  gpu: '#059669',
  cpu: '#2563eb',
};

export const base = css`
  :host {
    font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    color: #1f2937;
    font-size: 14px;
  }
  h2 {
    font-size: 18px;
    margin: 0 0 8px;
  }
  h3 {
    font-size: 15px;
    margin: 12px 0 6px;
  }
  p.lead {
    margin: 0 0 12px;
    color: #4b5563;
    max-width: 70em;
  }
  .card {
    background: #fff;
    border: 1px solid #e5e7eb;
    border-radius: 8px;
    padding: 12px 14px;
    box-shadow: 0 1px 2px rgba(0, 0, 0, 0.04);
  }
  button {
    font: inherit;
    padding: 6px 14px;
    border-radius: 6px;
    border: 1px solid #d1d5db;
    background: #f9fafb;
    cursor: pointer;
  }
  button.primary {
    background: #2563eb;
    border-color: #2563eb;
    color: #fff;
  }
  button:disabled {
    opacity: 0.45;
    cursor: default;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    align-items: center;
  }
  .error {
    color: #b91c1c;
  }
  .notice {
    background: #fffbeb;
    border: 1px solid #f59e0b;
    color: #78350f;
    border-radius: 6px;
    padding: 8px 12px;
    margin: 8px 0;
  }
  .notice.bad {
    background: #fef2f2;
    border-color: #ef4444;
    color: #7f1d1d;
  }
  .muted {
    color: #6b7280;
  }
  table {
    border-collapse: collapse;
    font-variant-numeric: tabular-nums;
  }
  th,
  td {
    border-bottom: 1px solid #e5e7eb;
    padding: 3px 8px;
    text-align: right;
  }
  th {
    background: #f3f4f6;
    font-weight: 600;
  }
  code,
  .mono {
    font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
    font-size: 12.5px;
  }
`;
