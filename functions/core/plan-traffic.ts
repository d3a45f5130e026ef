/**
 * The plan's `traffic` section: how a run moves clients to the standby. Route 53's control plane
 * (ChangeResourceRecordSets, GetChange) is served from us-east-1 only, so the data-plane mechanisms come first:
 * - `routing-control`: ARC routing controls on a cluster's five regional endpoints, tried in turn; pre-provisioned
 *   failover records tied to the controls' health checks answer with the standby once its control is On.
 * - `health-check`: a pre-provisioned failover record pair whose primary health check follows a CloudWatch alarm
 *   in the standby region, over a metric the step publishes there (regional APIs of the standby region only).
 * - `upsert`: the `dns` record rewritten through Route 53's control plane (or the drill's DNS server); the default,
 *   so plans written before `traffic` existed behave as they did.
 * `dns` still names the record clients resolve, which Verify reads. The data-plane kinds verify through a DNS resolver
 * the way clients do (`verify`, see verifyConfig); `upsert` reads the record through the `dns` adapter unless its
 * plan sets `verify` too.
 */
import * as z from 'zod';
import { parseArn, REGION_PATTERN } from './arn.js';
import { verifyVpc } from './plan-vpc.js';

const dnsName = z
  .string()
  .max(253)
  .regex(/^([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}\.?$/i, 'must be a fully qualified DNS name');

/** An ARC (recovery control configuration) ARN: global, so its region field is empty. */
const arcArn = (resource: RegExp, example: string) =>
  z
    .string()
    .max(2048)
    .refine((v) => {
      const arn = parseArn(v);
      return arn?.service === 'route53-recovery-control' && arn.region === '' && resource.test(arn.resource);
    }, `must be an ARN of the form arn:aws:route53-recovery-control::<account>:${example}`);

const HEX = '[0-9a-f]{1,64}';
export const routingControlArn = arcArn(
  new RegExp(`^controlpanel/${HEX}/routingcontrol/${HEX}$`),
  'controlpanel/<id>/routingcontrol/<id>',
);
const clusterArn = arcArn(/^cluster\/[0-9a-f-]{1,64}$/, 'cluster/<id>');

/** A cluster endpoint as DescribeCluster lists it; loopback http for the drill's stand-in. */
const clusterEndpoint = z
  .object({
    region: z.string().regex(REGION_PATTERN, 'must be an AWS region such as us-west-2'),
    url: z
      .string()
      .regex(
        /^(https:\/\/[a-z0-9.-]+(:\d{1,5})?(\/[\w./-]*)?|http:\/\/127\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d{1,5}\/?)$/,
        'must be an https:// cluster endpoint URL (http:// only on loopback)',
      ),
  })
  .strict();

/** A resolver's address as node:dns takes it: IPv4 with an optional port, or [IPv6] with an optional port. */
const resolverAddress = z
  .string()
  .regex(
    /^((\d{1,3}\.){3}\d{1,3}(:\d{1,5})?|\[[0-9a-f:]{2,39}\](:\d{1,5})?)$/i,
    'must be a resolver IP address, optionally with :port (e.g. 10.0.0.2 or 127.0.0.1:5353)',
  );

/**
 * How Verify asks what clients get: a DNS query through a resolver, never Route 53's control plane (us-east-1).
 * `resolvers` default to the system resolver (in a Lambda function attached to a VPC, the VPC's Route 53 Resolver
 * at the VPC base + 2). A resolver may answer the old address from its cache for up to the record's TTL after the
 * switch, and a health check needs some intervals to turn: Verify keeps checking until the switch + `dns.ttl` +
 * `allowanceSeconds`, then fails saying what it saw.
 */
const verifyConfig = z
  .object({
    resolvers: z.array(resolverAddress).min(1).max(3).optional(),
    /** Bound on each DNS query. */
    queryTimeoutMs: z.number().int().min(200).max(10_000).default(2_000),
    /** Beyond the TTL: health checkers' intervals and failure threshold, resolvers' own delays. */
    allowanceSeconds: z.number().int().min(0).max(900).default(90),
    /**
     * A private hosted zone is answered only by the resolvers of the VPCs associated with it: the VPC (of the standby
     * region, associated with the zone) and the subnets and security groups Verify runs in. Without it Verify runs
     * outside any VPC and asks the Lambda service's resolver, which answers public names only.
     */
    vpc: verifyVpc.optional(),
    /**
     * The same in the primary region, for the stack there that runs the plan's way back: a VPC of that region
     * associated with the zone. Required with `vpc` for that stack to be deployed (infra/wiring.ts).
     */
    wayBackVpc: verifyVpc.optional(),
  })
  .strict();
export type VerifyConfig = z.infer<typeof verifyConfig>;

const failoverRecords = z
  .array(dnsName)
  .min(1, 'must name at least one failover record')
  .max(20)
  .refine((r) => new Set(r.map((n) => n.replace(/\.$/, '').toLowerCase())).size === r.length, 'must not repeat a name');

const routingControl = z
  .object({
    kind: z.literal('routing-control'),
    clusterArn,
    /** The cluster's regional endpoints (five on AWS); tried in turn until one answers. */
    clusterEndpoints: z
      .array(clusterEndpoint)
      .min(1, 'must list the cluster endpoints (DescribeCluster ClusterEndpoints)')
      .max(5, 'must list at most the cluster’s five endpoints')
      .refine((e) => new Set(e.map((x) => x.url)).size === e.length, 'must not list an endpoint twice'),
    /** The routing control that sends traffic to each region of the plan. */
    routingControls: z.object({ primary: routingControlArn, standby: routingControlArn }).strict(),
    /** Failover records tied to the routing controls' health checks (created ahead of time). */
    records: failoverRecords,
    /** Bound on each endpoint's attempt before the next one is tried. */
    endpointTimeoutMs: z.number().int().min(200).max(10_000).default(2_000),
    verify: verifyConfig.prefault({}),
  })
  .strict()
  .refine((t) => t.routingControls.primary !== t.routingControls.standby, {
    message: 'must differ from routingControls.primary',
    path: ['routingControls', 'standby'],
  });

const CLOUDWATCH_NAME = /^[^:*$]{1,255}$/;

const healthCheck = z
  .object({
    kind: z.literal('health-check'),
    /** The failover record pair (PRIMARY with the health check below, SECONDARY the standby), created ahead of time. */
    records: failoverRecords,
    /** The PRIMARY record's health check, which follows the alarm. */
    healthCheckId: z.string().regex(/^[0-9a-f-]{36}$/, 'must be a Route 53 health check id (a UUID)'),
    /** In the standby region: ALARM (the step's metric at or above its threshold) makes the primary unhealthy. */
    alarm: z
      .object({
        name: z.string().regex(/^[\w .:/#+=@-]{1,255}$/, 'must be a CloudWatch alarm name'),
        namespace: z
          .string()
          .regex(/^[A-Za-z0-9._/#:-]{1,255}$/, 'must be a CloudWatch namespace')
          .refine((n) => !n.startsWith('AWS/'), 'must not be an AWS/ namespace: those are reserved for AWS'),
        metricName: z.string().regex(CLOUDWATCH_NAME, 'must be a CloudWatch metric name'),
      })
      .strict(),
    verify: verifyConfig.prefault({}),
  })
  .strict();

/** `verify` on an upsert plan: read the record through a resolver rather than Route 53's control plane. */
const upsert = z.object({ kind: z.literal('upsert'), verify: verifyConfig.optional() }).strict();

export const trafficConfig = z.discriminatedUnion('kind', [routingControl, healthCheck, upsert]);
export type TrafficConfig = z.infer<typeof trafficConfig>;

/** What a plan's traffic section is refused for beside the rest of the plan (issues as `path`, `message`). */
export const trafficIssues = (plan: {
  accountId: string;
  traffic: TrafficConfig;
  dns: { recordName: string };
}): { path: (string | number)[]; message: string }[] => {
  const t = plan.traffic;
  if (t.kind === 'upsert') return [];
  const canonical = (n: string) => n.replace(/\.$/, '').toLowerCase();
  const issues: { path: (string | number)[]; message: string }[] = [];
  if (!t.records.map(canonical).includes(canonical(plan.dns.recordName))) {
    issues.push({
      path: ['traffic', 'records'],
      message: `must include dns.recordName (${plan.dns.recordName}): Verify resolves it`,
    });
  }
  if (t.kind === 'routing-control') {
    const arns: [string, (string | number)[]][] = [
      [t.clusterArn, ['traffic', 'clusterArn']],
      [t.routingControls.primary, ['traffic', 'routingControls', 'primary']],
      [t.routingControls.standby, ['traffic', 'routingControls', 'standby']],
    ];
    for (const [value, path] of arns) {
      const account = parseArn(value)?.account;
      if (account !== plan.accountId) {
        issues.push({ path, message: `must belong to account ${plan.accountId}, not ${account}` });
      }
    }
  }
  return issues;
};
