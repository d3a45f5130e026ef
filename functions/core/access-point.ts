/**
 * An S3 Multi-Region Access Point's routes: which bucket, in which Region, serves the platform's S3 traffic. A run
 * makes the standby's route active (100) and the primary's passive (0) in one request, so at least one Region is
 * active at every moment (S3 API reference, SubmitMultiRegionAccessPointRoutes). Never flips back.
 */
import * as z from 'zod';
import { REGION_PATTERN } from './arn.js';
import { bucketName } from './s3-names.js';

const route = z
  .object({ bucket: bucketName, region: z.string().regex(REGION_PATTERN, 'must be an AWS region') })
  .strict();

export const accessPointConfig = z
  .object({
    /** arn:aws:s3::<account>:accesspoint/<alias> */
    mrapArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:s3::\d{12}:accesspoint\/[a-z0-9]+\.mrap$/, 'must be a Multi-Region Access Point ARN'),
    primary: route,
    standby: route,
  })
  .strict();
export type AccessPointConfig = z.infer<typeof accessPointConfig>;

/**
 * The Regions that serve Multi-Region Access Point failover controls (S3 API reference,
 * SubmitMultiRegionAccessPointRoutes): a request is tried in each in turn until one answers, the standby's own
 * first when it is one of them.
 */
export const FAILOVER_CONTROL_REGIONS = ['us-east-1', 'us-west-2', 'ap-southeast-2', 'ap-northeast-1', 'eu-west-1'];

export const controlRegionOrder = (standby: string, primary: string): string[] => {
  const rest = FAILOVER_CONTROL_REGIONS.filter((r) => r !== standby && r !== primary);
  // The primary's Region last: it is the one most likely to be in trouble.
  return [
    ...(FAILOVER_CONTROL_REGIONS.includes(standby) ? [standby] : []),
    ...rest,
    ...(FAILOVER_CONTROL_REGIONS.includes(primary) ? [primary] : []),
  ];
};

export interface RouteState {
  bucket: string;
  region: string;
  dial: number;
}

/** Whether the routes already send traffic to the standby only. */
export const routesSwitched = (config: AccessPointConfig, routes: readonly RouteState[]): boolean => {
  const dial = (r: { bucket: string; region: string }) =>
    routes.find((x) => x.bucket === r.bucket && x.region === r.region)?.dial;
  return dial(config.standby) === 100 && dial(config.primary) === 0;
};
