import * as z from 'zod';
import {
  APPROVAL_TIMEOUT_DEFAULT_MINUTES,
  APPROVAL_TIMEOUT_MAX_MINUTES,
  APPROVAL_TIMEOUT_MIN_MINUTES,
} from './approval.js';
import { parseArn, REGION_PATTERN } from './arn.js';
import { PlanValidationError } from './errors.js';
import { longestFailback, longestRun, MAX_RUN_SECONDS } from './limits.js';
import { artifactCheckConfig, artifactIssues } from './plan-artifacts.js';
import { componentIssues, componentsConfig } from './plan-components.js';
import { arnOf, type DatabaseConfig, databaseArns, databaseConfig, dnsTargetOf } from './plan-database.js';
import { type DnsConfig, dnsConfig, recordTypeRefusal } from './plan-dns.js';
import { roundTripConfig, roundTripIssues } from './plan-gameday.js';
import { type TrafficConfig, trafficConfig, trafficIssues } from './plan-traffic.js';
import { cleanText } from './text.js';

export { parseArn } from './arn.js';
export type { DatabaseConfig, PgEndpoint, SecretRef } from './plan-database.js';

/**
 * The DR plan: one source of truth for the runtime (Prepare resolves it, the state machine reads its limits)
 * and for the infrastructure (serverless.yml wires alarms, schedules and IAM ARNs from it).
 */

const region = z.string().regex(REGION_PATTERN, 'must be an AWS region such as eu-west-1');
const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');

/** Printable text without control characters, bounded. */
const text = cleanText;

/**
 * A plan name becomes part of execution names (`<plan>-<kind>-<window>`, at most 80 characters),
 * rule names and resource names, so it is a short lowercase slug.
 */
export const planName = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,29}[a-z0-9]$/,
    'must be 2-31 characters: lowercase letters, digits and -, starting with a letter',
  );

/** SNS topic names: letters, digits, - and _, at most 256 (FIFO topics end in .fifo). */
const snsTopicArn = arnOf('sns', /^[A-Za-z0-9_-]{1,256}(\.fifo)?$/, '<topic name>');
/** Event bus names: letters, digits and . - _ /, at most 256 (partner buses have slashes). */
const EVENT_BUS_NAME = /^[A-Za-z0-9._/-]{1,256}$/;
const eventBus = z.union(
  [
    z.string().regex(EVENT_BUS_NAME, 'must be an event bus name (letters, digits, . - _ /) or an event bus ARN'),
    arnOf('events', /^event-bus\/[A-Za-z0-9._/-]{1,256}$/, 'event-bus/<name>'),
  ],
  { error: 'must be an event bus name (letters, digits, . - _ /) or an event bus ARN' },
);

export type { DnsConfig } from './plan-dns.js';
export type { TrafficConfig } from './plan-traffic.js';

const notifyConfig = z
  .object({
    /** Event bus name or ARN that receives Failover * events. */
    eventBus,
    /** SNS topic for people (on-call paging, chat). */
    snsTopicArn: snsTopicArn.optional(),
  })
  .strict();

/** The partition a region belongs to; undefined for the isolated partitions, which are not checked. */
const partitionOf = (region: string): string | undefined => {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return /-iso/.test(region) ? undefined : 'aws';
};

/**
 * A run still going at the state machine's TimeoutSeconds ends TIMED_OUT, wherever it is: a plan whose longest
 * run does not fit is refused, naming each field that adds to it.
 */
const refuseRunsPastTimeout = (plan: Parameters<typeof longestRun>[0], ctx: z.RefinementCtx) => {
  // The way back of an RDS or Aurora plan adds its rebuild to a planned run: it must fit too.
  const failback = longestFailback(plan);
  const run = failback && failback.seconds > longestRun(plan).seconds ? failback : longestRun(plan);
  if (run.seconds <= MAX_RUN_SECONDS) return;
  for (const part of run.parts) {
    if (!part.field.includes('.')) continue;
    ctx.addIssue({
      code: 'custom',
      path: part.field.split('.'),
      message:
        `allows ${part.seconds} s of a ${run === failback ? 'failback ' : ''}run whose worst case, ${run.seconds} s, ` +
        `is longer than the state machine's ${MAX_RUN_SECONDS} s (TimeoutSeconds): lower the checks or their interval`,
    });
  }
};

const alarmNames = z
  .array(
    z
      .string()
      .regex(/^[\w .:/#+=@-]{1,255}$/, 'must be a CloudWatch alarm name')
      // The rule matches the name exactly: a space at either end (or a name of spaces) is a typo no alarm has.
      .refine((name) => name.trim() === name && name !== '', 'must not begin or end with a space'),
  )
  // One EventBridge rule per alarm: keep well inside the 300 rules of a bus.
  .max(50, 'must list at most 50 alarms')
  .refine((a) => new Set(a).size === a.length, 'must not list an alarm twice')
  .default([]);

/**
 * Whether every run of the plan observes which node writes (core/direction.ts), so that the stack of either region
 * may run it, whichever way the pair stands: a self-managed PostgreSQL plan without components. An RDS or Aurora run
 * observes that only on the way back (a failback run).
 */
export const everyRunObservesTheWriter = (plan: { database: { kind: string }; components?: unknown }): boolean =>
  plan.database.kind === 'postgres' && !plan.components;

/** Only a plan whose every run observes the writer runs turned round on an incident. */
const wayBackAlarmIssues = (plan: {
  trigger: { wayBackAlarms: string[] };
  database: { kind: string };
  components?: unknown;
}) =>
  plan.trigger.wayBackAlarms.length > 0 && !everyRunObservesTheWriter(plan)
    ? [
        {
          path: ['trigger', 'wayBackAlarms'],
          message:
            'is for a self-managed PostgreSQL plan without components only: the run they start must observe which node writes',
        },
      ]
    : [];

export const planSchema = z
  .object({
    name: planName,
    description: text(512).optional(),
    regions: z.object({ primary: region, standby: region }).strict(),
    /** Account that owns the plan's resources; ARNs must name it. */
    accountId,
    trigger: z
      .object({
        /** Alarm names, in the standby region, whose transition into ALARM starts a run. */
        alarms: alarmNames,
        /**
         * Alarm names, in the primary region, that watch the standby region: their ALARM starts, in the primary
         * region's stack, an unplanned run of the plan turned round (the next incident after a way out).
         */
        wayBackAlarms: alarmNames,
        /** false: page on-call and wait for approval instead of failing over by itself. */
        automatic: z.boolean().default(true),
        /** Alarms within this window coalesce into one execution name. */
        windowMinutes: z.number().int().min(1).max(1440).default(15),
        /** No real run starts within this long after a real run succeeded, unless started by hand with overrideCooldown. */
        cooldownMinutes: z.number().int().min(0).max(10080).default(60),
      })
      .strict(),
    rpo: z
      .object({
        maxLagSeconds: z.number().min(0).max(86400),
        maxLagBytes: z.number().int().min(0).optional(),
        /** How many lag checks before the plan's onExceeded applies. */
        maxLagChecks: z.number().int().min(1).max(100).default(6),
        lagCheckIntervalSeconds: z.number().int().min(1).max(3600).default(10),
        onExceeded: z.enum(['abort', 'wait-for-approval', 'proceed']),
      })
      .strict(),
    /**
     * A person's answer to Approval Required (trigger.automatic: false, rpo.onExceeded: wait-for-approval): no
     * answer within timeoutMinutes aborts the run, notified, nothing changed.
     */
    approval: z
      .object({
        timeoutMinutes: z
          .number()
          .int()
          .min(APPROVAL_TIMEOUT_MIN_MINUTES)
          .max(APPROVAL_TIMEOUT_MAX_MINUTES)
          .default(APPROVAL_TIMEOUT_DEFAULT_MINUTES),
      })
      .strict()
      .default({ timeoutMinutes: APPROVAL_TIMEOUT_DEFAULT_MINUTES }),
    rto: z.object({ targetSeconds: z.number().int().min(1).max(86400) }).strict(),
    /**
     * Failovers are rare, so every step of a deployed run starts cold. With `warmUp`, the start of a run (the
     * trigger, and Prepare) invokes each function the run will call asynchronously with a warm-up event that
     * returns before any handler logic, so their cold starts overlap instead of adding up.
     */
    coldStarts: z
      .object({ warmUp: z.boolean().default(true) })
      .strict()
      .default({ warmUp: true }),
    promotion: z
      .object({
        maxStatusChecks: z.number().int().min(1).max(500).default(60),
        statusCheckIntervalSeconds: z.number().int().min(1).max(300).default(10),
      })
      .strict()
      .default({ maxStatusChecks: 60, statusCheckIntervalSeconds: 10 }),
    database: databaseConfig,
    dns: dnsConfig,
    /** How a run moves traffic (plan-traffic.ts); without it, the `dns` record is UPSERT as before. */
    traffic: trafficConfig.default({ kind: 'upsert' }),
    /**
     * The platform's other parts (plan-components.ts): replicated buckets, global tables, capacity, custom actions,
     * in stages. Without it, a run fails over the database and moves traffic, as always.
     */
    components: componentsConfig.optional(),
    /**
     * The model-artifact consistency check (plan-artifacts.ts): the registry's query of the artifacts that must be
     * loadable, checked in the standby region's buckets before a planned run changes anything (a gate) and after
     * every run's promotion (a finding).
     */
    artifacts: artifactCheckConfig.optional(),
    dnsSync: z
      .object({
        maxStatusChecks: z.number().int().min(1).max(500).default(30),
        statusCheckIntervalSeconds: z.number().int().min(1).max(300).default(5),
      })
      .strict()
      .default({ maxStatusChecks: 30, statusCheckIntervalSeconds: 5 }),
    notify: notifyConfig,
    gameday: z
      .object({
        schedule: z
          .string()
          .max(256, 'must be at most 256 characters')
          .regex(
            /^(cron|rate)\([ -~]+\)$/,
            'must be an EventBridge schedule expression: cron(...) or rate(...), printable ASCII',
          ),
        dryRun: z.boolean().default(true),
        mode: z.enum(['planned', 'unplanned']).default('planned'),
        /** A round trip: the way out, then the way back scheduled after it (core/game-day-return.ts). */
        roundTrip: roundTripConfig.optional(),
      })
      .strict()
      .optional(),
    /**
     * DR readiness: the scheduled `readiness` function checks the standby, lag, backups, DNS, trigger alarms and the
     * stack, and publishes a `Readiness Report` event and CloudWatch metrics (namespace DrFailover).
     */
    readiness: z
      .object({
        /** false: no schedule is deployed for this plan (the CLI can still run the checks). */
        enabled: z.boolean().default(true),
        schedule: z
          .string()
          .regex(/^(cron|rate)\(.+\)$/, 'must be an EventBridge schedule expression: cron(...) or rate(...)')
          .default('rate(5 minutes)'),
        /** Bound on each check: a check that needs the primary region must not hold up the others. */
        checkTimeoutSeconds: z.number().int().min(1).max(50).default(20),
        /** The newest backup or snapshot in the standby region must be at most this old. */
        maxBackupAgeHours: z.number().min(1).max(8760).default(26),
        /** Lag above this share of rpo.maxLagSeconds (or maxLagBytes) is a WARN; above the limit, CRITICAL. */
        lagWarnPercent: z.number().int().min(1).max(100).default(50),
        /** A trigger alarm in INSUFFICIENT_DATA for longer than this is blind: CRITICAL (shorter: WARN). */
        alarmInsufficientDataMinutes: z.number().int().min(1).max(10080).default(30),
      })
      .strict()
      .default({
        enabled: true,
        schedule: 'rate(5 minutes)',
        checkTimeoutSeconds: 20,
        maxBackupAgeHours: 26,
        lagWarnPercent: 50,
        alarmInsufficientDataMinutes: 30,
      }),
  })
  .strict()
  .superRefine((plan, ctx) => {
    if (plan.regions.primary === plan.regions.standby) {
      ctx.addIssue({ code: 'custom', path: ['regions', 'standby'], message: 'must differ from regions.primary' });
    }
    const expect = (value: string | undefined, path: (string | number)[], wantRegion: string) => {
      const arn = value === undefined ? undefined : parseArn(value);
      if (!arn) return;
      if (arn.region !== wantRegion) {
        ctx.addIssue({ code: 'custom', path, message: `must be in region ${wantRegion}, not ${arn.region}` });
      }
      const partition = partitionOf(wantRegion);
      if (partition !== undefined && arn.partition !== partition) {
        ctx.addIssue({ code: 'custom', path, message: `must be in partition ${partition}, not ${arn.partition}` });
      }
      if (arn.account !== plan.accountId) {
        ctx.addIssue({ code: 'custom', path, message: `must belong to account ${plan.accountId}, not ${arn.account}` });
      }
    };
    const db = plan.database;
    for (const arn of databaseArns(db)) expect(arn.value, ['database', ...arn.path], plan.regions[arn.side]);
    // The artifact check reads the registry from the standby region, as the databases' secrets are read.
    const registry = plan.artifacts?.registry.credentials;
    if (registry && 'secretsManager' in registry) {
      const at = ['artifacts', 'registry', 'credentials'];
      if (registry.secretsManager.startsWith('arn:'))
        expect(registry.secretsManager, [...at, 'secretsManager'], plan.regions.standby);
      expect(registry.kmsKeyArn, [...at, 'kmsKeyArn'], plan.regions.standby);
    }
    const recordType = recordTypeRefusal(plan.dns, dnsTargetOf(db));
    if (recordType) ctx.addIssue({ code: 'custom', path: ['dns', 'recordType'], message: recordType });
    for (const issue of trafficIssues(plan)) ctx.addIssue({ code: 'custom', ...issue });
    for (const issue of roundTripIssues(plan)) ctx.addIssue({ code: 'custom', ...issue });
    for (const issue of componentIssues(plan)) ctx.addIssue({ code: 'custom', ...issue });
    for (const issue of artifactIssues(plan)) ctx.addIssue({ code: 'custom', ...issue });
    for (const issue of wayBackAlarmIssues(plan)) ctx.addIssue({ code: 'custom', ...issue });
    refuseRunsPastTimeout(plan, ctx);
    expect(plan.notify.snsTopicArn, ['notify', 'snsTopicArn'], plan.regions.standby);
    if (plan.notify.eventBus.startsWith('arn:'))
      expect(plan.notify.eventBus, ['notify', 'eventBus'], plan.regions.standby);
  });

/** A validated plan, defaults applied. */
export type Plan = z.infer<typeof planSchema>;
/** The database section of one kind. */
export type DatabaseConfigOf<K extends DatabaseConfig['kind']> = Extract<DatabaseConfig, { kind: K }>;
/** The DNS section of one kind. */
export type DnsConfigOf<K extends DnsConfig['kind']> = Extract<DnsConfig, { kind: K }>;
/** A plan whose database is of one kind. */
export type PlanWithDatabase<K extends DatabaseConfig['kind']> = Plan & { database: DatabaseConfigOf<K> };
/** What a database adapter needs: the pair's regions and one database section (the plan's, or a component's). */
export type DatabaseScope<K extends DatabaseConfig['kind'] = DatabaseConfig['kind']> = Pick<Plan, 'regions'> & {
  database: DatabaseConfigOf<K>;
};
/** What a DNS adapter needs: whose record (for its messages) and one `dns` section (the plan's, or a component's). */
export type DnsScope<K extends DnsConfig['kind'] = DnsConfig['kind']> = Pick<Plan, 'name'> & { dns: DnsConfigOf<K> };
/** A plan whose DNS is of one kind. */
export type PlanWithDns<K extends DnsConfig['kind']> = Plan & { dns: DnsConfigOf<K> };
/** The traffic section of one kind. */
export type TrafficConfigOf<K extends TrafficConfig['kind']> = Extract<TrafficConfig, { kind: K }>;
/** A plan whose traffic moves by one mechanism. */
export type PlanWithTraffic<K extends TrafficConfig['kind']> = Plan & { traffic: TrafficConfigOf<K> };
/** A plan as written in a file, before defaults. */
export type PlanInput = z.input<typeof planSchema>;

/** Formats zod issues as `path: message` pairs with dotted paths. */
export const formatIssues = (issues: readonly z.core.$ZodIssue[]) =>
  issues.flatMap((i) =>
    // An unknown key is reported at its own path, so a typo (`trigger.alarm`) is named exactly.
    i.code === 'unrecognized_keys'
      ? i.keys.map((key) => ({ path: [...i.path, key].map(String).join('.'), message: 'unknown field' }))
      : [{ path: i.path.map(String).join('.'), message: i.message }],
  );

/**
 * Validates a parsed plan document. Throws PlanValidationError naming every bad field.
 * @param source where it came from, for the message (a file path)
 */
export const parsePlan = (document: unknown, source: string): Plan => {
  const result = planSchema.safeParse(document);
  if (!result.success) throw new PlanValidationError(source, formatIssues(result.error.issues));
  return result.data;
};
