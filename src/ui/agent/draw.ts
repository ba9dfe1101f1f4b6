/**
 * The agent on screen: what each env looks like at one step of a Trajectory, as pure data. `scene`
 * turns (trajectory, step) into a list of shapes in a fixed 320 × 200 box (geometry only, unit-tested
 * without a canvas); `paint` draws such a list on any 2-D canvas context at a scale. The pictures are
 * read from the record: CartPole and Pendulum from the observation, the tiny envs from the state
 * (the corridor's observation is aliased: the cell is in the state), the limit-order book from the
 * observation, the action and the reward.
 *
 *   cartpole    track with the limits ±x_threshold (2.4), the cart at x, the pole at angle θ
 *               (θ > 0 leans right, as in Gymnasium), the pushed direction
 *   pendulum    the rod at θ = atan2(sin θ, cos θ) from upright, an arc arrow for the clipped torque
 *   corridor    the four cells, the switched cell, the goal, the agent and the move it chose
 *   bandit      the two arms with their success probabilities, the pulled arm and its reward
 *   twostate    the two states, the current one, the action
 *   limitorder  the mid price path of the episode so far, the order (size f·q, limit 1 + m + δ), fills
 */
import type { EnvName, Trajectory } from '../../core/types';
import { ENVS } from '../../envs';
import type { CartPoleParams } from '../../envs/cartpole';
import type { CorridorParams } from '../../envs/corridor';
import { CORRIDOR_GOAL, CORRIDOR_SWITCHED } from '../../envs/corridor';
import type { BanditParams } from '../../envs/bandit';
import type { LimitOrderParams } from '../../envs/limitorder';
import type { PendulumParams } from '../../envs/pendulum';

/** The logical size every scene is laid out in (paint scales it). */
export const SCENE_W = 320;
export const SCENE_H = 200;

/** A drawing primitive; `id` names the parts tests and the page look for (e.g. 'pole', 'agent'). */
export type Shape =
  | { kind: 'line'; x1: number; y1: number; x2: number; y2: number; color: string; width: number; id?: string; dash?: boolean }
  | { kind: 'rect'; x: number; y: number; w: number; h: number; fill?: string; stroke?: string; id?: string }
  | { kind: 'circle'; x: number; y: number; r: number; fill?: string; stroke?: string; id?: string }
  | { kind: 'text'; x: number; y: number; text: string; color?: string; size?: number; align?: 'left' | 'center' | 'right'; id?: string }
  | { kind: 'arrow'; x1: number; y1: number; x2: number; y2: number; color: string; width: number; id?: string }
  /** an arc around (x, y) from angle a0 to a1 (radians, canvas convention: clockwise from +x), head at a1 */
  | { kind: 'arc'; x: number; y: number; r: number; a0: number; a1: number; color: string; width: number; id?: string }
  | { kind: 'path'; points: number[]; color: string; width: number; id?: string };

/** One step of a trajectory, sliced. */
export interface Frame {
  t: number;
  obs: Float32Array;
  state: Float32Array;
  action: Float32Array;
  reward: number;
  terminated: boolean;
  truncated: boolean;
}

export function frameOf(tr: Trajectory, t: number): Frame {
  return {
    t,
    obs: tr.obs.subarray(t * tr.obsDim, (t + 1) * tr.obsDim),
    state: tr.states.subarray(t * tr.stateDim, (t + 1) * tr.stateDim),
    action: tr.actions.subarray(t * tr.actDim, (t + 1) * tr.actDim),
    reward: tr.rewards[t],
    terminated: tr.terminated[t] !== 0,
    truncated: tr.truncated[t] !== 0,
  };
}

/** The first step of the episode that step t belongs to (0, or the step after the last done before t). */
export function episodeStart(tr: Trajectory, t: number): number {
  for (let s = t - 1; s >= 0; s--) if (tr.terminated[s] || tr.truncated[s]) return s + 1;
  return 0;
}

/** Seconds of env time per step: CartPole τ, Pendulum dt; null where a step is not a time (the others). */
export function stepSeconds(env: EnvName): number | null {
  if (env === 'cartpole') return (ENVS.cartpole.params as CartPoleParams).tau;
  if (env === 'pendulum') return (ENVS.pendulum.params as PendulumParams).dt;
  return null;
}

const INK = '#1f2937';
const MUTED = '#9ca3af';
const ACCENT = '#2563eb';
const WARN = '#dc2626';
const GOOD = '#059669';

/** The shapes of `tr` at step t (clamped to [0, T−1]). */
export function scene(tr: Trajectory, t: number): Shape[] {
  const f = frameOf(tr, Math.max(0, Math.min(tr.T - 1, Math.floor(t))));
  switch (tr.envName) {
    case 'cartpole':
      return cartpoleScene(f);
    case 'pendulum':
      return pendulumScene(f);
    case 'corridor':
      return corridorScene(f);
    case 'bandit':
      return banditScene(f);
    case 'twostate':
      return twostateScene(f);
    case 'limitorder':
      return limitorderScene(tr, f);
  }
}

/** CartPole geometry: world x → px (the track spans ±1.25·x_threshold), the pole 2·length long. */
export function cartpoleGeometry(params: CartPoleParams = ENVS.cartpole.params as CartPoleParams) {
  const span = 2 * params.xThreshold * 1.25;
  const scale = SCENE_W / span;
  return { scale, x0: SCENE_W / 2, trackY: 150, poleLen: 2 * params.length * scale, cartW: 40, cartH: 20 };
}

function cartpoleScene(f: Frame): Shape[] {
  const p = ENVS.cartpole.params as CartPoleParams;
  const g = cartpoleGeometry(p);
  const [x, , theta] = f.obs;
  const cx = g.x0 + x * g.scale;
  const top = g.trackY - g.cartH;
  const px = cx + g.poleLen * Math.sin(theta);
  const py = top - g.poleLen * Math.cos(theta);
  const push = f.action[0] > 0.5 ? 1 : -1;
  const lim = p.xThreshold * g.scale;
  return [
    { kind: 'line', x1: 0, y1: g.trackY, x2: SCENE_W, y2: g.trackY, color: MUTED, width: 2, id: 'track' },
    { kind: 'line', x1: g.x0 - lim, y1: g.trackY - 40, x2: g.x0 - lim, y2: g.trackY + 10, color: WARN, width: 2, id: 'limit-left', dash: true },
    { kind: 'line', x1: g.x0 + lim, y1: g.trackY - 40, x2: g.x0 + lim, y2: g.trackY + 10, color: WARN, width: 2, id: 'limit-right', dash: true },
    { kind: 'rect', x: cx - g.cartW / 2, y: top, w: g.cartW, h: g.cartH, fill: INK, id: 'cart' },
    { kind: 'line', x1: cx, y1: top, x2: px, y2: py, color: '#d97706', width: 6, id: 'pole' },
    { kind: 'circle', x: cx, y: top, r: 3, fill: MUTED, id: 'axle' },
    { kind: 'arrow', x1: cx + push * (g.cartW / 2 + 2), y1: g.trackY - g.cartH / 2, x2: cx + push * (g.cartW / 2 + 22), y2: g.trackY - g.cartH / 2, color: ACCENT, width: 2, id: 'push' },
    ...doneMark(f),
  ];
}

/** Pendulum geometry: the pivot and the rod's length in px. */
export const PENDULUM_GEOMETRY = { x: SCENE_W / 2, y: SCENE_H / 2, len: 70, torqueR: 28 };

function pendulumScene(f: Frame): Shape[] {
  const p = ENVS.pendulum.params as PendulumParams;
  const g = PENDULUM_GEOMETRY;
  const [c, s] = f.obs;
  const theta = Math.atan2(s, c);
  // θ = 0 is upright; θ grows clockwise on screen (y down), as in Gymnasium's picture
  const ex = g.x + g.len * Math.sin(theta);
  const ey = g.y - g.len * Math.cos(theta);
  const u = Math.max(-p.maxTorque, Math.min(p.maxTorque, f.action[0]));
  const rodAngle = theta - Math.PI / 2; // canvas angle of the rod
  const span = (u / p.maxTorque) * (Math.PI * 0.75);
  return [
    { kind: 'line', x1: g.x, y1: g.y, x2: ex, y2: ey, color: '#dc2626', width: 8, id: 'rod' },
    { kind: 'circle', x: g.x, y: g.y, r: 4, fill: INK, id: 'pivot' },
    { kind: 'arc', x: g.x, y: g.y, r: g.torqueR, a0: rodAngle, a1: rodAngle + span, color: ACCENT, width: 2, id: 'torque' },
    { kind: 'text', x: 8, y: 16, text: `u = ${u.toFixed(2)}`, color: ACCENT, align: 'left', id: 'torque-label' },
    ...doneMark(f),
  ];
}

/** Corridor geometry: cell i's left edge and width. */
export const CORRIDOR_GEOMETRY = { x0: 20, w: 70, y: 80, h: 50 };

function corridorScene(f: Frame): Shape[] {
  const g = CORRIDOR_GEOMETRY;
  const cell = Math.round(f.state[0]);
  const shapes: Shape[] = [];
  for (let i = 0; i <= CORRIDOR_GOAL; i++) {
    const goal = i === CORRIDOR_GOAL;
    const switched = i === CORRIDOR_SWITCHED;
    shapes.push({ kind: 'rect', x: g.x0 + i * g.w, y: g.y, w: g.w, h: g.h, fill: goal ? '#d1fae5' : switched ? '#fef3c7' : '#f9fafb', stroke: MUTED, id: goal ? 'goal' : switched ? 'switched' : `cell-${i}` });
    shapes.push({ kind: 'text', x: g.x0 + (i + 0.5) * g.w, y: g.y + g.h + 16, text: goal ? 'G' : switched ? '⇄ switched' : i === 0 ? 'S' : String(i), align: 'center', color: INK, size: 11 });
  }
  const ax = g.x0 + (cell + 0.5) * g.w;
  shapes.push({ kind: 'circle', x: ax, y: g.y + g.h / 2, r: 14, fill: ACCENT, id: 'agent' });
  const dir = f.action[0] > 0.5 ? 1 : -1;
  shapes.push({ kind: 'text', x: ax, y: g.y - 12, text: dir > 0 ? 'pressed right →' : '← pressed left', align: 'center', color: ACCENT, size: 11, id: 'pressed' });
  const stepReward = (ENVS.corridor.params as CorridorParams).stepReward;
  shapes.push({ kind: 'text', x: 8, y: 16, text: `reward ${stepReward} per step`, align: 'left', color: MUTED, size: 11 });
  return [...shapes, ...doneMark(f)];
}

/** Bandit arms: arm a's box. */
export const BANDIT_GEOMETRY = { x0: 60, w: 80, gap: 60, y: 60, h: 80 };

function banditScene(f: Frame): Shape[] {
  const g = BANDIT_GEOMETRY;
  const p = ENVS.bandit.params as BanditParams;
  const arm = f.action[0] > 0.5 ? 1 : 0;
  const shapes: Shape[] = [];
  [p.p0, p.p1].forEach((pa, a) => {
    const x = g.x0 + a * (g.w + g.gap);
    shapes.push({ kind: 'rect', x, y: g.y, w: g.w, h: g.h, fill: a === arm ? '#dbeafe' : '#f9fafb', stroke: a === arm ? ACCENT : MUTED, id: `arm-${a}` });
    shapes.push({ kind: 'text', x: x + g.w / 2, y: g.y + g.h / 2, text: `arm ${a}`, align: 'center', color: INK });
    shapes.push({ kind: 'text', x: x + g.w / 2, y: g.y + g.h + 16, text: `p = ${pa}`, align: 'center', color: MUTED, size: 11 });
  });
  const x = g.x0 + arm * (g.w + g.gap) + g.w / 2;
  shapes.push({ kind: 'text', x, y: g.y - 10, text: f.reward > 0 ? 'reward 1' : 'reward 0', align: 'center', color: f.reward > 0 ? GOOD : WARN, id: 'payout' });
  return shapes;
}

/** Two-state MDP: state s's circle. */
export const TWOSTATE_GEOMETRY = { x0: 100, dx: 120, y: 100, r: 30 };

function twostateScene(f: Frame): Shape[] {
  const g = TWOSTATE_GEOMETRY;
  const s = Math.round(f.state[0]);
  const a = f.action[0] > 0.5 ? 1 : 0;
  const shapes: Shape[] = [0, 1].flatMap((i): Shape[] => [
    { kind: 'circle', x: g.x0 + i * g.dx, y: g.y, r: g.r, fill: i === s ? '#dbeafe' : '#f9fafb', stroke: i === s ? ACCENT : MUTED, id: i === s ? 'current' : `state-${i}` },
    { kind: 'text', x: g.x0 + i * g.dx, y: g.y + 4, text: `s${i}`, align: 'center', color: INK },
  ]);
  const to = g.x0 + a * g.dx;
  const from = g.x0 + s * g.dx;
  if (to !== from) shapes.push({ kind: 'arrow', x1: from + Math.sign(to - from) * g.r, y1: g.y - g.r - 6, x2: to - Math.sign(to - from) * g.r, y2: g.y - g.r - 6, color: ACCENT, width: 2, id: 'action' });
  shapes.push({ kind: 'text', x: SCENE_W / 2, y: 30, text: `action ${a}`, align: 'center', color: ACCENT, id: 'action-label' });
  return [...shapes, ...doneMark(f)];
}

/** Limit-order book geometry: the price axis spans 1 ± `halfRange` around the start price 1. */
export const LIMITORDER_GEOMETRY = { x0: 30, x1: 300, yMid: 100, halfRange: 0.15, pxPerUnit: 80 / 0.15, barX: 8, barW: 12 };

/** The screen y of a price (1 at the middle). */
export function priceY(price: number): number {
  const g = LIMITORDER_GEOMETRY;
  return g.yMid - (price - 1) * g.pxPerUnit;
}

/**
 * What one limit-order step did, from the record: mid price m = obs₁·σ√H, inventory q = obs₀, time
 * step = obs₂·H; order fraction f = clip(a₀, 0, 1), limit offset δ = δmax·clip(a₁, 0, 1); filled iff the
 * reward exceeds what no fill pays (0, or −φ·q at the horizon).
 */
export function limitOrderStep(f: Frame, params: LimitOrderParams = ENVS.limitorder.params as LimitOrderParams) {
  const [q, mObs, tObs] = f.obs;
  const m = mObs * params.sigma * Math.sqrt(params.H);
  const frac = Math.min(Math.max(f.action[0], 0), 1);
  const delta = params.deltaMax * Math.min(Math.max(f.action[1], 0), 1);
  const step = Math.round(tObs * params.H);
  const atH = step + 1 >= params.H;
  const noFill = atH ? -params.phi * q : 0;
  const filled = frac * q > 0 && f.reward > noFill + 1e-7;
  return { q, mid: 1 + m, size: frac * q, limit: 1 + m + delta, delta, step, filled };
}

function limitorderScene(tr: Trajectory, f: Frame): Shape[] {
  const g = LIMITORDER_GEOMETRY;
  const params = ENVS.limitorder.params as LimitOrderParams;
  const t0 = episodeStart(tr, f.t);
  const xOf = (step: number) => g.x0 + (step / params.H) * (g.x1 - g.x0);
  const points: number[] = [];
  const shapes: Shape[] = [{ kind: 'line', x1: g.x0, y1: priceY(1), x2: g.x1, y2: priceY(1), color: '#e5e7eb', width: 1, id: 'start-price' }];
  for (let s = t0; s <= f.t; s++) {
    const st = limitOrderStep(frameOf(tr, s), params);
    points.push(xOf(st.step), priceY(st.mid));
    if (s < f.t && st.filled) shapes.push({ kind: 'circle', x: xOf(st.step), y: priceY(st.limit), r: 3, fill: GOOD, id: 'fill' });
  }
  const now = limitOrderStep(f, params);
  shapes.push({ kind: 'path', points, color: INK, width: 2, id: 'price' });
  shapes.push({ kind: 'circle', x: xOf(now.step), y: priceY(now.mid), r: 3.5, fill: INK, id: 'mid' });
  shapes.push({ kind: 'text', x: g.x0 + 4, y: priceY(1) - 4, text: 'mid price (start = 1)', color: MUTED, size: 10, align: 'left' });
  shapes.push({ kind: 'text', x: g.x1, y: SCENE_H - 22, text: `step ${now.step + 1} of ${params.H}, inventory ${(100 * now.q).toFixed(0)}%`, color: MUTED, size: 10, align: 'right' });
  shapes.push({ kind: 'line', x1: xOf(now.step) - 10, y1: priceY(now.limit), x2: xOf(now.step) + 10, y2: priceY(now.limit), color: now.filled ? GOOD : WARN, width: 3, id: 'limit' });
  // the inventory as a bar on the left: the order's share of it in colour
  const barH = 120;
  const barY = 40;
  shapes.push({ kind: 'rect', x: g.barX, y: barY + barH * (1 - now.q), w: g.barW, h: barH * now.q, fill: '#e5e7eb', stroke: MUTED, id: 'inventory' });
  shapes.push({ kind: 'rect', x: g.barX, y: barY + barH * (1 - now.q), w: g.barW, h: barH * now.size, fill: now.filled ? GOOD : '#fca5a5', id: 'order' });
  shapes.push({ kind: 'text', x: g.x1, y: 16, text: `sell ${(100 * now.size).toFixed(0)}% @ ${now.limit.toFixed(3)} ${now.filled ? 'filled' : 'not filled'}`, align: 'right', color: now.filled ? GOOD : WARN, size: 11, id: 'order-label' });
  return [...shapes, ...doneMark(f)];
}

/** A label when the step ends the episode. */
function doneMark(f: Frame): Shape[] {
  if (f.terminated) return [{ kind: 'text', x: SCENE_W - 8, y: SCENE_H - 8, text: 'terminated', color: WARN, align: 'right', size: 11, id: 'done' }];
  if (f.truncated) return [{ kind: 'text', x: SCENE_W - 8, y: SCENE_H - 8, text: 'time limit', color: MUTED, align: 'right', size: 11, id: 'done' }];
  return [];
}

/** The part of CanvasRenderingContext2D `paint` uses. */
export type Ctx2D = Pick<
  CanvasRenderingContext2D,
  'save' | 'restore' | 'scale' | 'clearRect' | 'beginPath' | 'moveTo' | 'lineTo' | 'stroke' | 'fill' | 'arc' | 'fillRect' | 'strokeRect' | 'fillText' | 'setLineDash'
> & { strokeStyle: unknown; fillStyle: unknown; lineWidth: number; font: string; textAlign: CanvasTextAlign; lineCap: CanvasLineCap };

/** Draw `shapes` (laid out in SCENE_W × SCENE_H) on `ctx`, scaled by `scale`. */
export function paint(ctx: Ctx2D, shapes: readonly Shape[], scale = 1): void {
  ctx.save();
  ctx.scale(scale, scale);
  ctx.clearRect(0, 0, SCENE_W, SCENE_H);
  ctx.lineCap = 'round';
  const head = (x1: number, y1: number, x2: number, y2: number) => {
    const a = Math.atan2(y2 - y1, x2 - x1);
    ctx.beginPath();
    ctx.moveTo(x2, y2);
    ctx.lineTo(x2 - 7 * Math.cos(a - 0.45), y2 - 7 * Math.sin(a - 0.45));
    ctx.lineTo(x2 - 7 * Math.cos(a + 0.45), y2 - 7 * Math.sin(a + 0.45));
    ctx.fill();
  };
  for (const s of shapes) {
    switch (s.kind) {
      case 'line':
      case 'arrow':
        ctx.strokeStyle = s.color;
        ctx.fillStyle = s.color;
        ctx.lineWidth = s.width;
        ctx.setLineDash(s.kind === 'line' && s.dash ? [4, 4] : []);
        ctx.beginPath();
        ctx.moveTo(s.x1, s.y1);
        ctx.lineTo(s.x2, s.y2);
        ctx.stroke();
        ctx.setLineDash([]);
        if (s.kind === 'arrow') head(s.x1, s.y1, s.x2, s.y2);
        break;
      case 'rect':
        if (s.fill) {
          ctx.fillStyle = s.fill;
          ctx.fillRect(s.x, s.y, s.w, s.h);
        }
        if (s.stroke) {
          ctx.strokeStyle = s.stroke;
          ctx.lineWidth = 1;
          ctx.strokeRect(s.x, s.y, s.w, s.h);
        }
        break;
      case 'circle':
        ctx.beginPath();
        ctx.arc(s.x, s.y, s.r, 0, 2 * Math.PI);
        if (s.fill) {
          ctx.fillStyle = s.fill;
          ctx.fill();
        }
        if (s.stroke) {
          ctx.strokeStyle = s.stroke;
          ctx.lineWidth = 1.5;
          ctx.stroke();
        }
        break;
      case 'arc': {
        if (Math.abs(s.a1 - s.a0) < 1e-3) break;
        ctx.strokeStyle = s.color;
        ctx.fillStyle = s.color;
        ctx.lineWidth = s.width;
        ctx.beginPath();
        ctx.arc(s.x, s.y, s.r, s.a0, s.a1, s.a1 < s.a0);
        ctx.stroke();
        // the head: tangent at a1 in the direction of travel
        const dir = Math.sign(s.a1 - s.a0);
        const ex = s.x + s.r * Math.cos(s.a1);
        const ey = s.y + s.r * Math.sin(s.a1);
        // the direction of travel at a1: dir · (−sin a1, cos a1)
        head(ex + dir * 6 * Math.sin(s.a1), ey - dir * 6 * Math.cos(s.a1), ex, ey);
        break;
      }
      case 'path':
        if (s.points.length < 2) break;
        ctx.strokeStyle = s.color;
        ctx.lineWidth = s.width;
        ctx.beginPath();
        ctx.moveTo(s.points[0], s.points[1]);
        for (let i = 2; i + 1 < s.points.length; i += 2) ctx.lineTo(s.points[i], s.points[i + 1]);
        ctx.stroke();
        break;
      case 'text':
        ctx.fillStyle = s.color ?? INK;
        ctx.font = `${s.size ?? 12}px system-ui, sans-serif`;
        ctx.textAlign = s.align ?? 'left';
        ctx.fillText(s.text, s.x, s.y);
        break;
    }
  }
  ctx.restore();
}
