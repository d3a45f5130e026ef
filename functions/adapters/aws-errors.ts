import {
  AwsRequestFailedError,
  type DrFailoverError,
  ResourceBusyError,
  ServiceUnavailableError,
  ThrottledError,
} from '#core/errors.js';

/** Error codes AWS uses for throttling across services (SDK v3 `error.name`). */
const THROTTLING_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
]);

/** Transport-level failures the SDK surfaces by name when no HTTP response arrived. */
const TRANSPORT_CODES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'NetworkingError',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

interface AwsLikeError {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/** Whether an AWS SDK v3 failure carries one of these error codes (its exceptions are named after their code). */
export const hasAwsErrorName = (error: unknown, ...names: string[]): boolean =>
  names.includes((error as AwsLikeError | null)?.name ?? '');

/**
 * Translates an AWS SDK v3 failure into a dr-failover named error, keeping the original as `cause`.
 *
 * @param what   what was being done, for the message (`PromoteReadReplica orders-eu`)
 * @param busyCodes service-specific codes meaning "busy, try again" (InvalidDBClusterStateFault, PriorRequestNotComplete)
 */
export const translateAwsError = (error: unknown, what: string, busyCodes: readonly string[] = []): DrFailoverError => {
  const e = (error ?? {}) as AwsLikeError;
  const code = e.name ?? 'UnknownError';
  const detail = `${what} failed: ${code}${e.message ? `: ${e.message}` : ''}`;
  if (THROTTLING_CODES.has(code)) return new ThrottledError(detail, { cause: error });
  if (busyCodes.includes(code)) return new ResourceBusyError(detail, { cause: error });
  const status = e.$metadata?.httpStatusCode;
  if (e.$fault === 'server' || (status !== undefined && status >= 500) || TRANSPORT_CODES.has(code)) {
    return new ServiceUnavailableError(detail, { cause: error });
  }
  return new AwsRequestFailedError(detail, { cause: error });
};

/**
 * One AWS Describe call for one resource: its first result, or `undefined` when AWS answers with one of the
 * `notFound` codes or lists nothing; any other failure is translated (`what` names the call for the message).
 */
export const describeFirst = async <T>(
  what: string,
  call: () => Promise<readonly T[] | undefined>,
  notFound: readonly string[] = [],
): Promise<T | undefined> => {
  try {
    return (await call())?.[0];
  } catch (error) {
    if (hasAwsErrorName(error, ...notFound)) return undefined;
    throw translateAwsError(error, what);
  }
};

/** As describeFirst, for a resource that must exist: nothing listed is an `AwsRequestFailedError`. */
export const describeOne = async <T>(what: string, call: () => Promise<readonly T[] | undefined>): Promise<T> => {
  const found = await describeFirst(what, call);
  if (found === undefined) throw new AwsRequestFailedError(`${what} returned nothing`);
  return found;
};
