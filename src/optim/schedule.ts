/**
 * Learning-rate schedules.
 *
 * CleanRL's linear annealing: for update u = 1, 2, …, U (counted from 1),
 *   frac = 1 − (u − 1)/U,   lr_u = frac · lr₀
 * so the first update uses lr₀ and the last lr₀/U (never 0).
 */
export function linearLr(lr0: number, update: number, numUpdates: number): number {
  const frac = 1 - (update - 1) / numUpdates;
  return frac * lr0;
}
