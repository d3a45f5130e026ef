/**
 * Resolves a plan's secret reference into database credentials. Plans carry references, never secrets; the
 * value is read at run time, cached for the life of the execution environment, and never put in a message.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseArn } from '#core/arn.js';
import { ConfigurationError, type DrFailoverError } from '#core/errors.js';
import type { SecretRef } from '#core/plan.js';
import { translateAwsError } from './aws-errors.js';
import { clientFor } from './client-cache.js';

export interface DbCredentials {
  username: string;
  password: string;
}

export interface ResolveSecretDeps {
  secretsManager?: (region?: string) => SecretsManagerClient;
  env?: NodeJS.ProcessEnv;
}

/** Names the reference for messages: where the secret lives, never what it holds. */
export const describeSecretRef = (ref: SecretRef): string =>
  'env' in ref ? `env:${ref.env}` : 'file' in ref ? `file:${ref.file}` : `secretsManager:${ref.secretsManager}`;

const cache = new Map<string, DbCredentials>();

/** Forgets a cached secret (after an authentication failure, so a rotated secret is read again). */
export const forgetSecret = (ref: SecretRef): void => {
  cache.delete(describeSecretRef(ref));
};

/** Forgets every cached secret (tests). */
export const clearSecretCache = (): void => cache.clear();

const parseCredentials = (raw: string, what: string): DbCredentials => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // No `cause`: a JSON syntax error quotes the text it choked on, which is the secret.
    throw new ConfigurationError(`secret ${what} is not JSON of the form {"username": ..., "password": ...}`);
  }
  const { username, password } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
    throw new ConfigurationError(`secret ${what} must hold non-empty string fields "username" and "password"`);
  }
  return { username, password };
};

const fromEnv = (name: string, what: string, env: NodeJS.ProcessEnv): DbCredentials => {
  const raw = env[name];
  if (raw === undefined || raw === '') throw new ConfigurationError(`secret ${what}: environment variable is not set`);
  return parseCredentials(raw, what);
};

const fromFile = async (file: string, what: string): Promise<DbCredentials> => {
  const { readFile } = await import('node:fs/promises');
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigurationError(`secret ${what} cannot be read (${code})`, { cause: error });
  }
  return parseCredentials(raw, what);
};

const fromSecretsManager = async (
  id: string,
  what: string,
  deps: ResolveSecretDeps,
  env: NodeJS.ProcessEnv,
): Promise<DbCredentials> => {
  const region = parseArn(id)?.region || env.AWS_REGION;
  if (!region) throw new ConfigurationError(`secret ${what}: not an ARN with a region and AWS_REGION is not set`);
  // Loaded on first use: a plan with an env or file reference never pays for the SDK client at cold start.
  const sm = await import('@aws-sdk/client-secrets-manager');
  const client = deps.secretsManager?.(region) ?? clientFor(sm.SecretsManagerClient, region);
  let secretString: string | undefined;
  try {
    secretString = (await client.send(new sm.GetSecretValueCommand({ SecretId: id }))).SecretString;
  } catch (error) {
    const translated: DrFailoverError = translateAwsError(error, `GetSecretValue ${what}`);
    // Throttling and transport failures clear by retrying; not found and access denied are configuration.
    if (translated.retryable) throw translated;
    throw new ConfigurationError(translated.message, { cause: error });
  }
  if (secretString === undefined) throw new ConfigurationError(`secret ${what} has no SecretString`);
  return parseCredentials(secretString, what);
};

/**
 * `{ env: NAME }` → JSON `{username,password}` in that variable; `{ file: path }` → a JSON file;
 * `{ secretsManager: arnOrName }` → GetSecretValue's SecretString (region from the ARN, else AWS_REGION).
 * Missing or malformed → ConfigurationError naming the reference, never its value.
 */
export const resolveSecret = async (ref: SecretRef, deps: ResolveSecretDeps = {}): Promise<DbCredentials> => {
  const what = describeSecretRef(ref);
  const cached = cache.get(what);
  if (cached) return cached;
  const env = deps.env ?? process.env;
  const credentials =
    'env' in ref
      ? fromEnv(ref.env, what, env)
      : 'file' in ref
        ? await fromFile(ref.file, what)
        : await fromSecretsManager(ref.secretsManager, what, deps, env);
  cache.set(what, credentials);
  return credentials;
};
