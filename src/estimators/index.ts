/** Estimators and losses: Ψ_t (returns, TD errors, GAE), baselines, PPO / critic losses, gradient statistics. */
export * from './rollout';
export * from './returns';
export * from './baseline';
export * from './losses';
export * from './variance';
export * from './exact';
