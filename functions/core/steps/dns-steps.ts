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

/**
 * Until when a stale answer is still expected: the switch (in sync, else the first check) + the record's TTL (a
 * resolver may serve its cached answer that long) + the plan's allowance (health checks turning, resolvers' delays).
 * Undefined when Verify reads the authoritative answer (upsert without `traffic.verify`): no cache to wait out.
 */
const staleUntil = (state: FailoverState, firstCheckAt: string): { until: Date; since: string } | undefined => {
  const allowance = state.plan.traffic?.verify?.allowanceSeconds;
  if (allowance === undefined) return undefined;
  const since = state.dns?.insyncAt ?? firstCheckAt;
  return { since, until: new Date(Date.parse(since) + (state.plan.dns.ttl + allowance) * 1000) };
};

/**
 * Asks what the record answers now (through a resolver, as clients do, for the data-plane mechanisms) and checks it
 * is the new writer. A stale answer within the TTL and the plan's allowance is `pending`: the state machine waits
 * and checks again; after it, DnsVerificationFailedError says what was seen.
 */
export const verify = async ({ state }: StepPayload, deps: Pick<StepDeps, 'now' | 'dns'>): Promise<FailoverState> => {
  const step = beginStep(state, 'Verify', deps.now);
  const dns = await deps.dns(state.plan);
  const recordName = state.plan.dns.recordName;
  const answer = await dns.resolve(recordName);
  const target = state.dns?.target;
  const matches = target !== undefined && answer.map(normalise).includes(normalise(target));
  const seen = answer.join(', ') || 'nothing';
  if (state.input.dryRun) {
    return step.done(
      { verify: { answer, matches, dryRun: true } },
      `dry run: ${recordName} answers ${seen}; would answer ${target}`,
    );
  }
  const checks = (state.verify?.checks ?? 0) + 1;
  if (matches) {
    return step.done({ verify: { answer, matches, status: 'matched', checks } }, `${recordName} answers ${seen}`);
  }
  const firstCheckAt = state.verify?.firstCheckAt ?? deps.now().toISOString();
  const window = staleUntil(state, firstCheckAt);
  const expected = `expected ${target ?? '(no target)'}`;
  if (!window || deps.now() >= window.until) {
    const waited = window
      ? ` after ${checks} checks from ${window.since} to ${deps.now().toISOString()} (TTL ${state.plan.dns.ttl} s + allowance ${state.plan.traffic?.verify?.allowanceSeconds} s)`
      : '';
    throw new DnsVerificationFailedError(`${recordName} answers ${seen}, ${expected}${waited}`);
  }
  return step.done(
    { verify: { answer, matches, status: 'pending', checks, firstCheckAt } },
    `${recordName} still answers ${seen} (${expected}; cached answers may last until ${window.until.toISOString()})`,
  );
};
