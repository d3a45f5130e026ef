import { DnsSyncTimedOutError, DnsVerificationFailedError } from '../errors.js';
import { beginStep, type FailoverState } from '../state.js';
import type { StepDeps, StepPayload } from './deps.js';

type DnsDeps = Pick<StepDeps, 'now' | 'database' | 'dns'>;

const normalise = (name: string) => name.replace(/\.$/, '').toLowerCase();

/**
 * Points the plan's record at the new writer (UPSERT: idempotent; a retry or a duplicate run writes the same
 * target again and never points it back). The previous answer is read first, best-effort, for the report.
 */
export const updateDns = async ({ state }: StepPayload, deps: DnsDeps): Promise<FailoverState> => {
  const step = beginStep(state, 'UpdateDns', deps.now);
  const { recordName, ttl } = state.plan.dns;
  const db = await deps.database(state.plan);
  const dns = await deps.dns(state.plan);
  const target = await db.writerEndpoint();
  let previousAnswer: string[] | undefined;
  try {
    previousAnswer = await dns.resolve(recordName);
  } catch {
    // Reading the old answer is for the report only; the switch must not depend on it.
    previousAnswer = undefined;
  }
  const was = previousAnswer ? { previousAnswer } : {};
  const kind = state.plan.traffic?.kind ?? 'upsert';
  if (state.input.dryRun) {
    const now = previousAnswer ? previousAnswer.join(', ') : 'unknown';
    const would =
      kind === 'upsert' ? `UPSERT ${recordName} → ${target} (TTL ${ttl} s)` : `move ${recordName} by ${kind}`;
    return step.done(
      { dns: { recordName, target, ttl, status: 'skipped', checks: 0, ...was } },
      `dry run: would ${would}, now ${now}`,
    );
  }
  const change = await dns.point(recordName, target, ttl);
  const { changeId } = change;
  const status = change.status ?? 'pending';
  const how = {
    ...(change.mechanism ? { mechanism: change.mechanism } : {}),
    ...(change.endpoint ? { endpoint: change.endpoint } : {}),
  };
  // A change the service answers INSYNC needs no wait: the state machine goes straight to Verify.
  const insyncAt = status === 'insync' ? { insyncAt: deps.now().toISOString() } : {};
  return step.done(
    { dns: { recordName, target, ttl, changeId, ...how, status, checks: 0, ...was, ...insyncAt } },
    change.detail ?? `UPSERT ${recordName} → ${target} (${changeId}${status === 'insync' ? ', in sync' : ''})`,
  );
};

/** One DNS change status check; after the plan's number of checks a change still pending ends the run. */
export const dnsStatus = async (
  { state }: StepPayload,
  deps: Pick<StepDeps, 'now' | 'dns'>,
): Promise<FailoverState> => {
  const step = beginStep(state, 'DnsStatus', deps.now);
  const current = state.dns;
  if (!current || current.status === 'skipped' || !current.changeId) {
    return step.done({}, 'no change to wait for (dry run)');
  }
  const dns = await deps.dns(state.plan);
  const status = await dns.changeStatus(current.changeId);
  const checks = current.checks + 1;
  if (status === 'pending' && checks >= state.plan.dnsSync.maxStatusChecks) {
    throw new DnsSyncTimedOutError(
      `DNS change ${current.changeId} (${current.recordName} → ${current.target}) not in sync after ${checks} checks. ` +
        'The standby is promoted and writable; clients may still reach the old address until the change propagates.',
    );
  }
  const insyncAt = status === 'insync' ? { insyncAt: deps.now().toISOString() } : {};
  return step.done({ dns: { ...current, status, checks, ...insyncAt } }, `${current.changeId} ${status}`);
};

/** Asks the authoritative servers what the record answers now and checks it is the new writer. */
export const verify = async ({ state }: StepPayload, deps: Pick<StepDeps, 'now' | 'dns'>): Promise<FailoverState> => {
  const step = beginStep(state, 'Verify', deps.now);
  const dns = await deps.dns(state.plan);
  const recordName = state.plan.dns.recordName;
  const answer = await dns.resolve(recordName);
  const target = state.dns?.target;
  const matches = target !== undefined && answer.map(normalise).includes(normalise(target));
  if (!matches && !state.input.dryRun) {
    throw new DnsVerificationFailedError(
      `${recordName} answers ${answer.join(', ') || 'nothing'}, expected ${target ?? '(no target)'}`,
    );
  }
  const outcome = state.input.dryRun
    ? `dry run: ${recordName} answers ${answer.join(', ')}; would answer ${target}`
    : `${recordName} answers ${answer.join(', ')}`;
  return step.done({ verify: { answer, matches, ...(state.input.dryRun ? { dryRun: true } : {}) } }, outcome);
};
