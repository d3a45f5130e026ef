/**
 * Switches an S3 Multi-Region Access Point's routes to the standby bucket through the S3 failover control
 * endpoints, trying each of their five Regions in turn (each request bounded) until one answers, and reading the
 * routes back from the Region that answered. Routes changes "can take up to 2 minutes" to take effect (S3 API
 * reference, SubmitMultiRegionAccessPointRoutes): the result says so.
 */
import {
  GetMultiRegionAccessPointRoutesCommand,
  S3ControlClient,
  SubmitMultiRegionAccessPointRoutesCommand,
} from '@aws-sdk/client-s3-control';
import { translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import { type AccessPointConfig, controlRegionOrder, type RouteState, routesSwitched } from '#core/access-point.js';
import { parseArn } from '#core/arn.js';
import { type DrFailoverError, ServiceUnavailableError } from '#core/errors.js';

export interface AccessPointDeps {
  client?: (region: string) => S3ControlClient;
  /** Bound of each request to one Region. Default 3000 ms. */
  timeoutMs?: number;
}

export interface RouteSwitchResult {
  outcome: 'switched' | 'already-switched';
  /** The failover control Region that answered. */
  answeredBy: string;
  /** Regions tried before it, each with why it did not answer. */
  skipped: string[];
  routes: RouteState[];
  detail: string;
}

/** Reads the routes, or switches them, through the first failover control Region that answers. */
type RouteWork<T> = (client: S3ControlClient, region: string, bound: () => { abortSignal: AbortSignal }) => Promise<T>;

/**
 * Runs `work` in each failover control Region in turn (each request bounded) until one answers; a refusal (bad ARN,
 * access denied) is the same in every Region and ends the turn at once.
 */
const inTurn = async <T>(
  config: AccessPointConfig,
  deps: AccessPointDeps,
  work: RouteWork<T>,
): Promise<{ answer: T; skipped: string[] }> => {
  const clientOf = deps.client ?? ((region: string) => clientFor(S3ControlClient, region, { maxAttempts: 1 }));
  const timeoutMs = deps.timeoutMs ?? 3_000;
  // A fresh bound for each request: one slow answer must not shorten the next.
  const bound = () => ({ abortSignal: AbortSignal.timeout(timeoutMs) });
  const skipped: string[] = [];
  let last: DrFailoverError | undefined;
  for (const region of controlRegionOrder(config.standby.region, config.primary.region)) {
    try {
      return { answer: await work(clientOf(region), region, bound), skipped };
    } catch (error) {
      last = translateAwsError(error, `Multi-Region Access Point routes via ${region}`);
      if (!last.retryable && !isTimeout(error)) throw last;
      skipped.push(`${region}: ${last.message}`);
    }
  }
  throw new ServiceUnavailableError(`no failover control Region answered: ${skipped.join('; ')}`, { cause: last });
};

export const switchAccessPoint = async (
  config: AccessPointConfig,
  deps: AccessPointDeps = {},
): Promise<RouteSwitchResult> => {
  const AccountId = parseArn(config.mrapArn)?.account;
  const Mrap = config.mrapArn;
  type Answer = Omit<RouteSwitchResult, 'skipped'>;
  const { answer, skipped } = await inTurn(config, deps, async (client, region, bound): Promise<Answer> => {
    const before = await readRoutes(client, AccountId, Mrap, bound());
    if (routesSwitched(config, before)) {
      const detail = `${Mrap} already routes to ${config.standby.bucket} only`;
      return { outcome: 'already-switched', answeredBy: region, routes: before, detail };
    }
    await client.send(
      new SubmitMultiRegionAccessPointRoutesCommand({
        AccountId,
        Mrap,
        RouteUpdates: [
          { Bucket: config.standby.bucket, Region: config.standby.region, TrafficDialPercentage: 100 },
          { Bucket: config.primary.bucket, Region: config.primary.region, TrafficDialPercentage: 0 },
        ],
      }),
      bound(),
    );
    const routes = await readRoutes(client, AccountId, Mrap, bound());
    const detail = `${Mrap} routes to ${config.standby.bucket} (${config.standby.region}); takes effect within 2 minutes`;
    return { outcome: 'switched', answeredBy: region, routes, detail };
  });
  return { ...answer, skipped };
};

/** The routes as they are now (readiness), read from the first failover control Region that answers. */
export const readAccessPointRoutes = async (
  config: AccessPointConfig,
  deps: AccessPointDeps = {},
): Promise<{ routes: RouteState[]; answeredBy: string }> => {
  const AccountId = parseArn(config.mrapArn)?.account;
  const { answer } = await inTurn(config, deps, async (client, region, bound) => ({
    routes: await readRoutes(client, AccountId, config.mrapArn, bound()),
    answeredBy: region,
  }));
  return answer;
};

const isTimeout = (error: unknown) => ['AbortError', 'TimeoutError'].includes((error as { name?: string }).name ?? '');

const readRoutes = async (
  client: S3ControlClient,
  AccountId: string | undefined,
  Mrap: string,
  options: { abortSignal: AbortSignal },
): Promise<RouteState[]> => {
  const out = await client.send(new GetMultiRegionAccessPointRoutesCommand({ AccountId, Mrap }), options);
  return (out.Routes ?? []).map((r) => ({
    bucket: r.Bucket ?? '',
    region: r.Region ?? '',
    dial: r.TrafficDialPercentage ?? -1,
  }));
};
