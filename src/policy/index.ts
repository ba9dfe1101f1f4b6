/** Networks: the flat θ layout, initialisation, batched forward/backward, and the policy heads. */
export * from './layout';
export * from './init';
export * from './mlp';
export * from './heads';
