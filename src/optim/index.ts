/** Optimisation: Adam (PyTorch semantics), global-norm clipping, learning-rate schedules. */
export * from './adam';
export * from './clip';
export * from './schedule';
