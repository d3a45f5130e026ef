import { ConfigurationError } from '#core/errors.js';
import type { StackNames } from '#core/ports.js';

/** Reads a required environment variable once, at cold start. */
export const requireEnv = (name: string, env: NodeJS.ProcessEnv = process.env): string => {
  const value = env[name];
  if (value === undefined || value === '') throw new ConfigurationError(`Environment variable ${name} is required`);
  return value;
};

export const optionalEnv = (name: string, env: NodeJS.ProcessEnv = process.env): string | undefined => {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
};

/** The stack's names, from the environment serverless.yml sets on the readiness function (read once, at cold start). */
export const stackFromEnv = (env: NodeJS.ProcessEnv = process.env): StackNames => ({
  stage: requireEnv('DR_FAILOVER_STAGE', env),
  stateMachineArn: requireEnv('STATE_MACHINE_ARN', env),
  triggerFunctionArn: requireEnv('TRIGGER_FUNCTION_ARN', env),
  functionNames: requireEnv('STACK_FUNCTIONS', env)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
});
