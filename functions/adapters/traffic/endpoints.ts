/**
 * Calls on an ARC cluster, tried on its regional endpoints in turn. AWS: "ARC ensures that at least three out of
 * the five Regional cluster endpoints are always accessible ... Your process for getting and changing routing
 * control states should try each endpoint in rotation, as needed, since cluster endpoints are cycled through
 * available and unavailable states for regular maintenance and updates."
 * https://docs.aws.amazon.com/r53recovery/latest/dg/routing-control.update.api.html
 * https://docs.aws.amazon.com/r53recovery/latest/dg/getting-started-cli-routing.control-state.html
 */
import { Route53RecoveryClusterClient } from '@aws-sdk/client-route53-recovery-cluster';
import { translateAwsError } from '#adapters/aws-errors.js';
import { DnsChangeFailedError, type DrFailoverError, ServiceUnavailableError, ThrottledError } from '#core/errors.js';

export interface ClusterEndpoint {
  region: string;
  url: string;
}

/** ConflictException: "There was a conflict with this request. Try again." (the API reference's wording). */
const BUSY_CODES = ['ConflictException'];
/** The endpoint is down or cycling; another endpoint of the cluster can answer. */
const ENDPOINT_DOWN_CODES = new Set(['EndpointTemporarilyUnavailableException', 'InternalServerException']);

/** An attempt on one endpoint that ran past its bound: the next endpoint is tried. */
class EndpointTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

const clients = new Map<string, Route53RecoveryClusterClient>();

/**
 * One client per endpoint, kept for the life of the execution environment. One attempt each (the rotation is the
 * retry), and the SDK's own bounds on connecting and on the request.
 */
export const clusterClient = (endpoint: ClusterEndpoint, timeoutMs: number): Route53RecoveryClusterClient => {
  let client = clients.get(endpoint.url);
  if (!client) {
    client = new Route53RecoveryClusterClient({
      region: endpoint.region,
      endpoint: endpoint.url,
      maxAttempts: 1,
      requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
    });
    clients.set(endpoint.url, client);
  }
  return client;
};

const bounded = async <T>(call: (signal: AbortSignal) => Promise<T>, ms: number, what: string): Promise<T> => {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new EndpointTimeoutError(what, ms));
    }, ms);
  });
  try {
    return await Promise.race([call(abort.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
};

/** What one endpoint's failure means: a terminal refusal stops the rotation (any endpoint would refuse it too). */
const classify = (error: unknown, what: string): DrFailoverError => {
  const name = (error as { name?: string } | null)?.name ?? '';
  if (ENDPOINT_DOWN_CODES.has(name) || name === 'AbortError') {
    return new ServiceUnavailableError(`${what} failed: ${name}`, { cause: error });
  }
  const translated = translateAwsError(error, what, BUSY_CODES);
  return translated.retryable ? translated : new DnsChangeFailedError(translated.message, { cause: error });
};

export interface OnClusterResult<T> {
  value: T;
  /** The endpoint that answered. */
  endpoint: ClusterEndpoint;
  /** The endpoints tried before it, each with why it was passed over. */
  skipped: string[];
}

/**
 * Runs `call` on each endpoint in the plan's order until one answers, each attempt bounded by `timeoutMs`. A
 * terminal refusal (access denied, validation, not found) is thrown at once as DnsChangeFailedError; when every
 * endpoint failed transiently, ThrottledError if all throttled, otherwise ServiceUnavailableError, naming each.
 */
export const onCluster = async <T>(
  endpoints: readonly ClusterEndpoint[],
  timeoutMs: number,
  what: string,
  call: (client: Route53RecoveryClusterClient, signal: AbortSignal) => Promise<T>,
  clientOf: (endpoint: ClusterEndpoint, timeoutMs: number) => Route53RecoveryClusterClient = clusterClient,
): Promise<OnClusterResult<T>> => {
  const failures: DrFailoverError[] = [];
  for (const endpoint of endpoints) {
    const where = `${what} on ${endpoint.region} (${endpoint.url})`;
    try {
      const client = clientOf(endpoint, timeoutMs);
      const value = await bounded((signal) => call(client, signal), timeoutMs, where);
      return { value, endpoint, skipped: failures.map((f) => f.message) };
    } catch (error) {
      const failure = classify(error, where);
      if (!failure.retryable) throw failure;
      failures.push(failure);
    }
  }
  const summary = `${what}: no cluster endpoint answered (${failures.map((f) => f.message).join('; ')})`;
  if (failures.length > 0 && failures.every((f) => f instanceof ThrottledError)) {
    throw new ThrottledError(summary, { cause: failures });
  }
  throw new ServiceUnavailableError(summary, { cause: failures });
};
