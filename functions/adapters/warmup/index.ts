import type { Warmer } from '#core/warm-up.js';

/** Warms nothing: the lab, and a deployment without a stage. */
const none: Warmer = { warm: async () => ({ warmed: [], failed: [], ms: 0 }) };

/** The stage's warm-up through Lambda (loaded on first use), or none outside a deployed stack. */
export const warmerFor = async (): Promise<Warmer> => {
  const stage = process.env.DR_FAILOVER_STAGE;
  if (!stage || !process.env.AWS_LAMBDA_FUNCTION_NAME) return none;
  return new (await import('./lambda.js')).LambdaWarmer(stage);
};
