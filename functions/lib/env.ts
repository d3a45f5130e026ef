import { ConfigurationError } from '#core/errors.js';

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
