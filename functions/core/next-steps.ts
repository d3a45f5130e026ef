import { parseArn } from './arn.js';
import { componentLines } from './components.js';
import type { Plan } from './plan.js';
import type { FenceResult } from './ports.js';
import type { FailoverState } from './state.js';

/**
 * What on-call must do next when a run ends without success, by error name. The notification carries it, so the
 * person paged at 3 a.m. reads the state of the world and the next action in the message itself.
 */
const NEXT_STEPS: Record<string, string> = {
  InvalidInputError: 'Nothing was changed. Fix the named field and start the run again.',
  PlanValidationError: 'Nothing was changed. The deployed plan is invalid: fix it, redeploy, start again.',
  ConfigurationError: 'Nothing was changed by this step. Fix the deployment setting named in the error.',
  ReplicationLagExceededError:
    "Nothing was changed. The standby is too far behind for the plan's RPO. Restore the primary, or accept the loss and start a run with a plan whose onExceeded is proceed, or approve when asked.",
  ArtifactsMissingError:
    "Nothing was changed. Model versions the registry lists are not known to be in the standby region's buckets (named above): wait for S3 Replication to copy them, or copy them by hand, and run again; or run with a plan whose artifacts.onMissing is report.",
  ApprovalDeniedError: 'Nothing was changed. The failover was denied by a person.',
  ApprovalTimedOutError:
    'Nothing was changed: nobody answered the approval request by its deadline. If the failover is still needed, start a run by hand (console or CLI); check why the request reached nobody (subscriptions of the plan topic, on-call rota).',
  StoppedByOperator:
    'A person stopped the run (the reason is above); nothing after its last step ran and nothing was undone. Read the state of the world above: a promotion requested just before the stop may still complete, so check the standby. To fail over after all, start a new run: it finds what this one changed and goes on from there.',
  'States.Runtime':
    'The run failed in the state machine itself, outside its steps (for example an input that is not a JSON object). Read the state of the world above: with no plan resolved, nothing was changed; fix the input and start again.',
  'States.Timeout':
    'The step did not answer in time. For an approval request nothing was changed. Otherwise check the step named in the timeline, then re-run: every step is idempotent.',
  FenceFailedError:
    'Nothing was promoted: a planned run could not fully fence the old primary and stopped. The old primary line above says what the fence left. If it IS read-only, applications cannot write to it now: end the sessions named (or stop it) and re-run, or undo the fence to resume on it (see the runbook). If it was not changed, fence it by hand (read-only or stopped) and re-run, or run unplanned if it is down.',
  PromotionFailedError:
    'The standby refused promotion. DNS still points at the old primary. Inspect the standby (events, logs), then promote by hand or re-run.',
  PromotionTimedOutError:
    'Promotion was requested but the standby is not writable yet. DNS still points at the old primary. Watch the standby; once writable, re-run (it finds the standby already the writer and switches DNS) or update DNS by hand.',
  DnsChangeFailedError:
    'The standby IS promoted and writable, but DNS still points at the old primary. Update the record by hand now (see the runbook) — writes are failing until you do.',
  DnsSyncTimedOutError:
    'The standby IS promoted; the DNS change is submitted but not yet in sync. Check the change status; clients may still resolve the old address for up to the TTL.',
  DnsVerificationFailedError:
    'The standby IS promoted; the record does not answer the new writer. Check the record by hand and correct it.',
  RebuildFailedError:
    'Nothing was promoted and the old primary is as it was (its snapshot, if taken, is named above). The replica the way back built, or the snapshot, failed: read its RDS events, delete the failed replica if it is one, then run the failback again.',
  RebuildTimedOutError:
    'Nothing was promoted. RDS is still building the replica of the current writer in the old region: run the failback again later, it finds the replica and waits for it.',
  AmbiguousTopologyError:
    'Nothing was changed. The pair does not show one writer and its replica (the message says what each showed and, for a replica fenced by its own group, what to do): make it so, then run again.',
  AlreadyInProgressError:
    'Nothing was changed. Another run of this plan goes first (named above): follow that one. Inside the cooldown after a successful failover, a person may still start a manual run with overrideCooldown: true.',
};

/** Where the run left the world when it failed, as the notification states it. */
export interface WorldState {
  promoted: boolean;
  dnsSwitched: boolean;
  /** The run fenced the old primary, or made it read-only, or asked for that (Fence ran before the failure). */
  oldPrimaryFenced?: boolean;
  /** Promote's call was accepted (not a dry run): the promotion may complete even though the run stopped. */
  promotionRequested?: boolean;
  /** The run's plan and state, when it got that far: the next steps then name the resources and the commands. */
  plan?: Plan;
  dns?: FailoverState['dns'];
}

/** The command that shows whether the standby is writable yet, for the plan's database kind. */
const promotionCheck = (plan: Plan): string => {
  const db = plan.database;
  const region = plan.regions.standby;
  switch (db.kind) {
    case 'aurora-global':
      return (
        `aws rds describe-global-clusters --global-cluster-identifier ${db.globalClusterIdentifier} --region ${region} ` +
        `--query 'GlobalClusters[0].[FailoverState,GlobalClusterMembers[?IsWriter].DBClusterArn]'`
      );
    case 'rds-instance':
      return (
        `aws rds describe-db-instances --db-instance-identifier ${parseArn(db.replicaInstanceArn)?.resource.replace(/^db:/, '') ?? db.replicaInstanceArn} ` +
        `--region ${region} --query 'DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier]'`
      );
    case 'postgres':
      return 'SELECT pg_is_in_recovery() on the standby (false once it is promoted)';
  }
};

const promotionTimedOut = (plan: Plan): string =>
  'Promotion was requested but the standby is not writable yet; it may still complete. DNS still points at the old ' +
  `primary. Watch the standby: ${promotionCheck(plan)}. Once it is writable, re-run the plan (a re-run finds the ` +
  'standby already the writer, passes the RPO guard, promotes nothing and switches DNS), or point ' +
  `${plan.dns.recordName} at the new writer by hand (see the runbook). If it never becomes writable, treat it as ` +
  'PromotionFailedError. Until then keep the old primary fenced or down.';

const dnsSyncTimedOut = (plan: Plan, dns: NonNullable<FailoverState['dns']>): string => {
  const check =
    plan.dns.kind === 'route53' && dns.changeId
      ? `Check it: aws route53 get-change --id ${dns.changeId}. Once INSYNC, check what the record answers: aws route53 ` +
        `test-dns-answer --hosted-zone-id ${plan.dns.hostedZoneId} --record-name ${dns.recordName} --record-type ${plan.dns.recordType}. `
      : `Check what ${dns.recordName} answers on the zone's name servers. `;
  return (
    `The standby IS promoted and writable. The DNS change of ${dns.recordName} to ${dns.target} is submitted but was ` +
    `not reported in sync; it usually completes by itself. ${check}Clients may resolve the old primary for up to ` +
    `the record's TTL (${dns.ttl} s) after that. If the change never completes, point the record by hand (see the ` +
    'runbook). Keep the old primary fenced or down meanwhile.'
  );
};

/** The human message of a Lambda error's Cause (`{"errorMessage": ...}`), or the Cause itself. */
export const causeMessage = (cause: string | undefined): string | undefined => {
  if (cause === undefined) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: States.* errors carry plain text.
  }
  return cause;
};

/**
 * How a fence result leaves the old primary, in its words: fenced; read-only but not fully fenced (what it left,
 * sessions included, is in its detail); or not fenced. Pure.
 */
export const fenceSummary = (fence: FenceResult): string => {
  if (fence.fenced) return `fenced (${fence.method})`;
  if (fence.pending) return `fence asked for, not yet confirmed (${fence.method}): ${fence.detail}`;
  if (fence.readOnly) return `READ-ONLY but not fully fenced (${fence.method}): ${fence.detail}`;
  return `NOT fenced (${fence.method}): ${fence.detail}`;
};

/**
 * The old primary as the run left it. A planned run whose fence failed carries no fence result, only the error:
 * its message is the adapter's account of what the fence left (read-only or unchanged), so it is quoted.
 */
const oldPrimaryLine = (state: Partial<FailoverState>): string => {
  if (state.fence?.byPromotion && !standbyPromoted(state)) {
    return (
      `Old primary: NOT fenced, still the writer: the ${state.fence.method} demotes it only as it promotes the ` +
      'standby, and the standby was not promoted.'
    );
  }
  if (state.fence) return `Old primary: ${fenceSummary(state.fence)}${state.fence.fenced ? '.' : ''}`;
  if (state.error?.Error === 'FenceFailedError') {
    return `Old primary: the fence did not complete: ${causeMessage(state.error.Cause) ?? 'no detail recorded'}`;
  }
  return 'Old primary: not fenced by this run.';
};

/** Whether the run saw the standby promoted: writable at its last status check, or already promoted at Promote. */
export const standbyPromoted = (state: Partial<FailoverState>): boolean =>
  state.promotion?.state === 'writable' || state.promote?.outcome === 'already-promoted';

/**
 * Where the run left the database, DNS and the old primary, one line each, for the Failover Failed notification:
 * the person paged reads what is true now before what to do about it. Pure.
 */
export const describeWorld = (state: Partial<FailoverState>, plan: Plan): string[] => {
  if (state.input?.dryRun) return ['Dry run: nothing was changed.'];
  const { standby, primary } = plan.regions;
  const promotion = state.promotion;
  const promote = state.promote;
  const dns = state.dns;
  const promoted = standbyPromoted(state);
  const database = promoted
    ? `Database: the standby in ${standby} IS promoted and writable (${promotion?.detail ?? promote?.detail ?? ''}).`
    : promote
      ? `Database: promotion of the standby in ${standby} was requested at ${promote.at} (${promote.detail}) but it is ` +
        `not writable yet${promotion ? ` (last status check: ${promotion.detail})` : ''}; it may still complete.`
      : `Database: nothing was promoted; the primary in ${primary} is the writer as far as this run knows.`;
  const before = dns?.previousAnswer?.length
    ? ` (${dns.recordName} answered ${dns.previousAnswer.join(', ')} before the change)`
    : '';
  const record =
    dns?.status === 'insync'
      ? `DNS: ${dns.recordName} → ${dns.target} is in sync.`
      : dns?.changeId
        ? `DNS: ${dns.recordName} → ${dns.target} was submitted as change ${dns.changeId} (TTL ${dns.ttl} s) and is ` +
          `not in sync yet: resolvers may still get the old primary${before}.`
        : `DNS: not changed by this run: ${plan.dns.recordName} still points at the old primary.`;
  // Each component of the plan as the run left it (done, failed and why, not started), after the database.
  const components = plan.components
    ? componentLines(plan.components, state.components).map((l) => `Component ${l}`)
    : [];
  return [database, ...components, record, oldPrimaryLine(state)];
};

const PROMOTED_DNS_NOT_SWITCHED =
  'The standby IS promoted and writable, but the DNS record still points at the old primary: applications are not ' +
  'writing to the new primary. Point the record at the new writer by hand (see the runbook) or re-run the plan once ' +
  'the DNS service answers (the re-run finds the standby already the writer, passes the RPO guard, promotes ' +
  'nothing and switches DNS). Until then keep the old primary fenced or down: if it comes back writable, clients ' +
  'resolving the record would write to it.';

const TRAFFIC_ERRORS = new Set(['DnsChangeFailedError', 'DnsSyncTimedOutError', 'DnsVerificationFailedError']);

/**
 * A data-plane plan's traffic failed after the promotion: the manual step is the routing controls or the take-over
 * alarm, never an edit of the pre-provisioned failover records (the UPSERT advice would break the pair).
 */
const dataPlaneTraffic = (plan: Plan, errorName: string, switched: boolean): string | undefined => {
  const t = plan.traffic;
  if (t.kind === 'upsert') return undefined;
  const how =
    t.kind === 'routing-control'
      ? `set routing control ${t.routingControls.standby} On and ${t.routingControls.primary} Off in one ` +
        'UpdateRoutingControlStates call, on any of the cluster endpoints'
      : `put the take-over alarm ${t.alarm.name} in ALARM (a datapoint of ${t.alarm.namespace}/${t.alarm.metricName} in ${plan.regions.standby})`;
  if (errorName !== 'DnsVerificationFailedError' || !switched) {
    return (
      'The standby IS promoted and writable, but traffic was not moved: clients still reach the old primary. ' +
      `By hand, ${how}; do not edit the failover records. Keep the old primary fenced or down.`
    );
  }
  return (
    'The standby IS promoted and writable and the traffic switch IS made, but the record still answered the old ' +
    'primary after its TTL and the allowance: the Route 53 health check behind the failover records has not turned, ' +
    'or the resolver Verify asks cannot see the zone (traffic.verify.resolvers). Check the health checks and resolve ' +
    `the record from a client network; do not switch traffic back. If the switch was lost: ${how}.`
  );
};

/**
 * AmbiguousTopologyError raised after Fence (Promote or PromotionStatus saw the pair change since the RPO guard read
 * it): the generic "Nothing was changed" would be false, the old primary refuses writes.
 */
const AMBIGUOUS_AFTER_FENCE =
  'Nothing was promoted and DNS was not changed, but this run had already fenced the old primary (the old primary ' +
  'line above says how): applications cannot write to it now. The pair changed after the RPO guard read it and no ' +
  'longer shows one writer and its replica (the message says what each showed). Decide which side is the writer: ' +
  'undo the fence to resume on the old primary (see the runbook), or make the pair one writer and its replica and ' +
  'run again.';

/**
 * AmbiguousTopologyError raised by PromotionStatus after Promote's call was accepted (the promoted replica turned out
 * fenced by its own group, say): the promotion may complete, so "Nothing was promoted" would be false too.
 */
const AMBIGUOUS_AFTER_PROMOTE =
  'A promotion of the standby WAS requested and may complete (the database line above says what the last check ' +
  'saw), but the run stopped: the standby does not show itself the writer (the message says what it showed), and ' +
  'DNS was not changed. Do not start another run until the promotion settles. Then decide which side is the ' +
  'writer: check the standby (its status, whether it takes writes); if it must not be the writer, keep traffic on ' +
  'the old primary and undo its fence if this run set one (see the runbook).';

/** Advice naming the run's own resources and commands, for the errors that leave work half done. */
const concreteSteps = (errorName: string | undefined, world: WorldState | undefined): string | undefined => {
  if (errorName === 'AmbiguousTopologyError' && world?.promotionRequested && !world.promoted)
    return AMBIGUOUS_AFTER_PROMOTE;
  if (errorName === 'AmbiguousTopologyError' && world?.oldPrimaryFenced && !world.promoted)
    return AMBIGUOUS_AFTER_FENCE;
  if (!world?.plan) return undefined;
  if (errorName && TRAFFIC_ERRORS.has(errorName) && world.promoted) {
    const advice = dataPlaneTraffic(world.plan, errorName, world.dnsSwitched);
    if (advice) return advice;
  }
  if (errorName === 'PromotionTimedOutError') return promotionTimedOut(world.plan);
  if (errorName === 'DnsSyncTimedOutError' && world.dns) return dnsSyncTimedOut(world.plan, world.dns);
  return undefined;
};

const PROMOTED_DNS_SWITCHED =
  'The standby IS promoted and writable and the DNS change is in sync: the failover itself is done; the run stopped ' +
  'while checking it. Check that the record answers the new writer (see the runbook) and that applications write ' +
  'to it. Keep the old primary fenced or down.';

/** Where the run stopped, when that says more than the error's name: once the standby is promoted, it always does. */
const fromWhereItStopped = (world: WorldState | undefined): string | undefined => {
  if (!world?.promoted) return undefined;
  return world.dnsSwitched ? PROMOTED_DNS_SWITCHED : PROMOTED_DNS_NOT_SWITCHED;
};

/** Names that say how a step failed, not what it left behind (a Task timeout can happen at any step). */
const STEP_AGNOSTIC = new Set(['States.Timeout', 'States.Runtime', 'StoppedByOperator']);

export const nextStepsFor = (errorName: string | undefined, world?: WorldState): string =>
  concreteSteps(errorName, world) ||
  (errorName && !STEP_AGNOSTIC.has(errorName) && NEXT_STEPS[errorName]) ||
  // A transient error that outlasted its retries (a DNS service down, throttling), a crash or a timeout: what to
  // do depends on how far the run got, not on the error's name.
  fromWhereItStopped(world) ||
  (errorName && NEXT_STEPS[errorName]) ||
  'Check the execution history for the failed step and the state of the database and DNS; every step is idempotent and safe to re-run.';
