/**
 * Which way a run goes, from the observed world rather than the plan file. A plan names a pair of nodes (`primary`
 * and `standby` are the names they had when it was written); after a failover and a rebuild the pair is the other
 * way round, and the same plan serves the way back. A run goes from the node that is the writer now to the one
 * streaming from it.
 *
 * The observation is read once, in Prepare, before anything changes. The plan's own direction stands unless the world
 * clearly shows the reverse (the plan's standby writes and the plan's primary streams from it), so that a run
 * whose primary region is dark, or a re-run after a promotion (its old primary dark or fenced), goes on as before.
 * A world that contradicts itself (two writers; two standbys; a rebuilt old primary following a third server) is
 * refused with AmbiguousTopologyError rather than guessed.
 */

import { orientAuroraPlan } from './aurora-failback.js';
import { AmbiguousTopologyError } from './errors.js';
import { orientRdsPlan } from './failback.js';
import type { PgEndpoint, Plan, SecretRef } from './plan.js';

/** A node by the name the plan gives it. */
export type PlanSide = 'primary' | 'standby';

/** What one node of the pair showed (self-managed PostgreSQL: its own view of itself). */
export interface NodeView {
  /** The host the plan names for it. */
  host: string;
  /** False when it did not answer (the region may be dark). */
  reachable: boolean;
  /** `pg_is_in_recovery()`: true for a standby. */
  inRecovery?: boolean;
  /** `default_transaction_read_only`: a fenced old primary is out of recovery but takes no write. */
  readOnly?: boolean;
  /**
   * For a standby: the server it replicates from (its WAL receiver's sender, else its `primary_conninfo`), as the
   * plan's host of that node when it is one of the pair; absent when it cannot tell.
   */
  upstreamHost?: string;
}

export interface Direction {
  /** The side that writes now: the run goes from it to the other. */
  writer: PlanSide;
  /** What was seen, for the timeline. */
  observed: string;
  /** The writer did not answer, or answered fenced: the run goes on as its stack would after an incident there. */
  writerSilent?: true;
}

const describe = (side: PlanSide, v: NodeView): string => {
  if (!v.reachable) return `${side} ${v.host} did not answer`;
  if (!v.inRecovery)
    return `${side} ${v.host} is ${v.readOnly ? 'out of recovery but read-only (fenced)' : 'a writer'}`;
  return `${side} ${v.host} is a standby${v.upstreamHost ? ` following ${v.upstreamHost}` : ''}`;
};

const writes = (v: NodeView) => v.reachable && v.inRecovery === false && v.readOnly !== true;
const standbyOf = (v: NodeView) => v.reachable && v.inRecovery === true;

/**
 * The side that writes now, and what was seen; throws AmbiguousTopologyError on a contradictory world. `home` is the
 * side in the region of the stack that runs it, the side a run there promotes: the plan's standby for the stack of
 * the standby region (and the lab), its primary for the stack of the primary region, which runs the plan turned
 * round. Each stack keeps its own direction unless the world clearly shows the other, so a run whose far region is
 * dark goes on as its stack would go:
 * - home `standby`: the plan as written, unless the plan's standby writes and its primary streams from it;
 * - home `primary`: turned round once the plan's primary is a standby streaming from the plan's standby (or from a
 *   server it cannot tell) and the plan's standby is none (a writer, fenced, or dark: the next incident after a way
 *   out). A plan's primary that writes, is fenced out of recovery (an old primary not rebuilt yet: promoting it would
 *   serve stale data) or does not answer leaves the plan as written, which that stack refuses (Prepare).
 */
export const observedWriter = (views: Record<PlanSide, NodeView>, home: PlanSide = 'standby'): Direction => {
  const observed = `${describe('primary', views.primary)}; ${describe('standby', views.standby)}`;
  const refuse = (why: string): never => {
    throw new AmbiguousTopologyError(
      `${why}: ${observed}. Make one node the writer and the other its streaming standby, then run again`,
    );
  };
  if (writes(views.primary) && writes(views.standby)) return refuse('two writers (split brain)');
  if (standbyOf(views.primary) && standbyOf(views.standby)) return refuse('no writer: both nodes are standbys');
  const reversed = standbyOf(views.primary) && (home === 'primary' ? !standbyOf(views.standby) : writes(views.standby));
  // Turning the plan round needs the old primary to stream from the plan's standby; as written, a standby that
  // reaches its primary by another address (a proxy, another interface) keeps working as it always has.
  const upstream = views.primary.upstreamHost;
  if (reversed && upstream !== undefined && upstream !== views.standby.host) {
    return refuse(`the primary replicates from ${upstream}, not from the standby`);
  }
  return {
    writer: reversed ? 'standby' : 'primary',
    observed,
    ...(reversed && !writes(views.standby) ? { writerSilent: true as const } : {}),
  };
};

/**
 * The plan as a run from `writer` sees it: unchanged from its primary; from its standby, the pair and the regions
 * the other way round. Self-managed PostgreSQL, RDS (towards the replica the way back builds, core/failback.ts) and
 * Aurora (towards the old primary once it rejoined, core/aurora-failback.ts).
 */
export const orientPlan = (plan: Plan, writer: PlanSide): Plan => {
  if (writer === 'primary') return plan;
  const turned = turnDatabase(plan);
  return {
    ...turned,
    // The alarms that start a run from the other stack are the ones that watch the other region.
    trigger: { ...plan.trigger, alarms: plan.trigger.wayBackAlarms, wayBackAlarms: plan.trigger.alarms },
    traffic: verifyIn(turned.traffic),
    notify: notifyIn(plan.notify, turned.regions.standby),
  };
};

/** Verify runs in the stack that runs the plan: turned round, its VPC is the primary region's (`wayBackVpc`). */
const verifyIn = (traffic: Plan['traffic']): Plan['traffic'] => {
  const verify = traffic.verify;
  if (!verify?.vpc && !verify?.wayBackVpc) return traffic;
  const { vpc, wayBackVpc, ...rest } = verify;
  return {
    ...traffic,
    verify: { ...rest, ...(wayBackVpc ? { vpc: wayBackVpc } : {}), ...(vpc ? { wayBackVpc: vpc } : {}) },
  };
};

/**
 * A secret named by name is read in the region of the stack that runs the plan; turned round, that is the other
 * region. The plan's secrets live in its standby region (core/plan-database.ts), which the way back does not leave
 * (it is the writer's), so a name becomes a partial ARN there: the same secret, the same key, read across regions.
 * Not a name ending in a hyphen and six characters, which Secrets Manager would take for a complete ARN's suffix
 * ("Finding a secret from a partial ARN", Secrets Manager User Guide, troubleshooting): it stays a name, read in the
 * primary region (a replica of the secret there).
 */
const pinSecret = (ref: SecretRef, region: string, accountId: string): SecretRef =>
  'secretsManager' in ref && !ref.secretsManager.startsWith('arn:') && !/-[A-Za-z0-9]{6}$/.test(ref.secretsManager)
    ? { ...ref, secretsManager: `arn:aws:secretsmanager:${region}:${accountId}:secret:${ref.secretsManager}` }
    : ref;

const pinEndpoint = (endpoint: PgEndpoint, plan: Plan): PgEndpoint => ({
  ...endpoint,
  credentials: pinSecret(endpoint.credentials, plan.regions.standby, plan.accountId),
});

const turnDatabase = (plan: Plan): Plan => {
  const db = plan.database;
  if (db.kind === 'rds-instance') return orientRdsPlan({ ...plan, database: db });
  if (db.kind === 'aurora-global') return orientAuroraPlan({ ...plan, database: db });
  // writerAddress names where clients reach the plan's standby once promoted: it does not apply the other way.
  const { writerAddress: _unused, vpc, wayBackVpc, ...rest } = db;
  return {
    ...plan,
    regions: { primary: plan.regions.standby, standby: plan.regions.primary },
    database: {
      ...rest,
      primary: pinEndpoint(db.standby, plan),
      standby: pinEndpoint(db.primary, plan),
      ...(wayBackVpc ? { vpc: wayBackVpc } : {}),
      ...(vpc ? { wayBackVpc: vpc } : {}),
    },
  };
};

/**
 * The plan's topic in `region`. A plan names its topic in its standby region (the plan schema refuses any other) and
 * the stack there creates it, admitting only its own roles; a run the other way round is run by the stack in the
 * other region, which creates a topic of the same name in its own region (infra/wiring.ts) and pages through that:
 * the written ARN would be refused from there. A bus named by name is the stack's own in each region already; a bus
 * named by ARN is not the stack's to create and stays as written.
 */
const notifyIn = (notify: Plan['notify'], region: string): Plan['notify'] =>
  notify.snsTopicArn
    ? { ...notify, snsTopicArn: notify.snsTopicArn.replace(/^(arn:[^:]+:sns:)[^:]*:/, `$1${region}:`) }
    : notify;
