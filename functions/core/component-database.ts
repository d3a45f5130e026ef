/**
 * A second database as a platform component (plan-component-database.ts): its RPO gate, read with the others
 * before the main Fence, and its action in its stage, the main database's sequence run through the same adapters:
 * observe, fence, promote, poll until writable, then UPSERT its record and poll the change until in sync. Each
 * ComponentAction runs one phase and returns `pending` while more is to come, so every poll is a WaitForComponent →
 * ComponentAction iteration bounded by the component's maxChecks. Every phase is idempotent (the adapters' own
 * rules: a standalone replica is already promoted, an UPSERT names only the new writer), so a retried invocation,
 * which gets the same iteration again, never promotes twice nor points the record back. Pure: I/O through the port.
 */

import type { ComponentDatabaseProgress, DatabasePhase } from './component-database-progress.js';
import { ComponentTimedOutError, DrFailoverError, PromotionFailedError, ResourceBusyError } from './errors.js';
import type { FailoverMode } from './input.js';
import { judgeLag } from './lag-policy.js';
import { fenceSummary } from './next-steps.js';
import type { DatabaseComponent } from './plan-components.js';
import type { DatabaseFailover, LagReading, PlatformComponents } from './ports.js';
import type { GateVerdict } from './replication-gates.js';
import { judgeFence } from './steps/database-steps.js';

interface RunContext {
  plan: string;
  regions: { primary: string; standby: string };
  mode: FailoverMode;
  dryRun: boolean;
}

const RETRYABLE_READ = (error: unknown): error is DrFailoverError =>
  error instanceof DrFailoverError && error.retryable;

/**
 * The component database's RPO gate: one reading of its adapter's `replicationLag()` (the reading CheckLag takes for
 * the main database), judged against its own `rpo`, else the plan's. A read that fails transiently (the standby does
 * not answer, throttled) is unknown, which is never within: it counts against the plan's lag checks like any gate.
 */
export const readDatabaseGate = async (
  c: DatabaseComponent,
  plan: { regions: RunContext['regions']; rpo: { maxLagSeconds: number; maxLagBytes?: number | undefined } },
  platform: PlatformComponents,
): Promise<GateVerdict> => {
  let reading: LagReading;
  try {
    const db = await platform.database({ regions: plan.regions, database: c.database });
    reading = await db.replicationLag();
  } catch (error) {
    if (!RETRYABLE_READ(error)) throw error;
    return { status: 'unknown', within: false, reason: `lag unknown (${error.name}: ${error.message})` };
  }
  const judged = judgeLag(c.rpo ?? plan.rpo, reading);
  return { status: reading.status, within: judged.within, reason: judged.reason };
};

/** The world as the component's last call saw it, one clause each: old primary, standby, record. */
export const databaseWorld = (c: DatabaseComponent, p: ComponentDatabaseProgress | undefined): string => {
  const promotion = p?.promotion;
  const writable = promotion?.state === 'writable';
  const oldPrimary =
    p?.fence?.byPromotion && !writable
      ? `NOT fenced, still the writer: the ${p.fence.method} demotes it only as it promotes the standby`
      : p?.fence
        ? fenceSummary(p.fence)
        : p?.alreadyWriter
          ? 'not fenced by this run (its standby was already the writer)'
          : 'not fenced yet';
  const standby = writable
    ? `promoted and writable (${promotion.detail})`
    : p?.promote
      ? `promotion ${p.promote.outcome} (${p.promote.detail}), not yet seen writable${p.promotion ? `: ${p.promotion.detail}` : ''}`
      : 'NOT promoted';
  const record = !c.dns
    ? 'no record to move'
    : p?.record
      ? `record ${p.record.recordName} UPSERT to ${p.record.target} (${p.record.status === 'insync' ? 'in sync' : 'pending'})`
      : `record ${c.dns.recordName} not changed by this run`;
  return `old primary: ${oldPrimary}; standby: ${standby}; ${record}`;
};

interface PhaseContext {
  c: DatabaseComponent;
  run: RunContext;
  db: DatabaseFailover;
  platform: PlatformComponents;
}
type Phase = (ctx: PhaseContext, p: ComponentDatabaseProgress) => Promise<ComponentDatabaseProgress>;

/** Observe first: a standby already writable (an earlier run promoted it) is neither fenced nor promoted again. */
const observe: Phase = async ({ db }, p) => {
  const status = await db.promotionStatus();
  if (status.state !== 'writable')
    return { ...p, phase: 'fence', promotion: { state: status.state, detail: status.detail } };
  const writer = status.writerEndpoint ?? (await db.writerEndpoint());
  return {
    ...p,
    phase: 'record',
    alreadyWriter: true,
    promotion: { state: 'writable', detail: status.detail },
    writer,
  };
};

/** The main Fence's rule (judgeFence): planned must be confirmed, counted with the component's checks. */
const fence: Phase = async ({ c, run, db }, p) => {
  const previous = p.fence?.pending ? p.fence : undefined;
  const result = judgeFence(run.mode, await db.fenceOldPrimary(run.mode, previous), previous, c.maxChecks);
  return { ...p, phase: result.pending ? 'fence' : 'promote', fence: result };
};

/** Idempotent in every adapter. A planned PostgreSQL standby still replaying the fenced primary's WAL: wait. */
const promote: Phase = async ({ run, db }, p) => {
  try {
    const { status, outcome, detail } = await db.promote(run.mode, p.fence ? { fence: p.fence } : {});
    if (status?.state === 'writable') {
      const writer = status.writerEndpoint ?? (await db.writerEndpoint());
      return {
        ...p,
        phase: 'record',
        promote: { outcome, detail },
        promotion: { state: 'writable', detail: status.detail },
        writer,
      };
    }
    return { ...p, phase: 'status', promote: { outcome, detail } };
  } catch (error) {
    if (!(error instanceof ResourceBusyError) || run.mode !== 'planned') throw error;
    return { ...p, phase: 'promote', promotion: { state: 'pending', detail: error.message } };
  }
};

const status: Phase = async ({ c, db }, p) => {
  const seen = await db.promotionStatus();
  if (seen.state === 'failed') {
    throw new PromotionFailedError(`promotion of ${c.name}'s standby failed: ${seen.detail}. ${databaseWorld(c, p)}`);
  }
  const promotion = { state: seen.state, detail: seen.detail };
  if (seen.state === 'pending') return { ...p, phase: 'status', promotion };
  return { ...p, phase: 'record', promotion, writer: seen.writerEndpoint ?? (await db.writerEndpoint()) };
};

/** UPSERT of its record to its writer: idempotent, and it only ever names the promoted standby. */
const record: Phase = async ({ c, run, platform, db }, p) => {
  if (!c.dns) return { ...p, phase: 'done' };
  const dns = await platform.record({ name: `${run.plan} (component ${c.name})`, dns: c.dns });
  const target = p.writer ?? (await db.writerEndpoint());
  const change = await dns.point(c.dns.recordName, target, c.dns.ttl);
  const status = change.status ?? 'pending';
  const next = status === 'insync' ? 'done' : 'record-status';
  return { ...p, phase: next, record: { recordName: c.dns.recordName, target, changeId: change.changeId, status } };
};

const recordStatus: Phase = async ({ c, run, platform }, p) => {
  if (!c.dns || !p.record) return { ...p, phase: 'record' };
  const status = await (await platform.record({ name: `${run.plan} (component ${c.name})`, dns: c.dns })).changeStatus(
    p.record.changeId,
  );
  return { ...p, phase: status === 'insync' ? 'done' : 'record-status', record: { ...p.record, status } };
};

const PHASES: Record<Exclude<DatabasePhase, 'done'>, Phase> = {
  observe,
  fence,
  promote,
  status,
  record,
  'record-status': recordStatus,
};

/** A dry run reads its lag and promotion state, and says what it would do. */
const dryRun = async (c: DatabaseComponent, run: RunContext, db: DatabaseFailover) => {
  const [lag, seen] = await Promise.all([db.replicationLag(), db.promotionStatus()]);
  const lagNow = lag.status === 'known' ? `${lag.seconds ?? '?'} s` : 'unknown';
  const record = c.dns ? `, UPSERT ${c.dns.recordName} to its writer` : '';
  return {
    status: 'dry-run' as const,
    detail: `would fence its old primary (${run.mode}), promote its standby${record}; now: lag ${lagNow}, standby ${seen.state} (${seen.detail})`,
  };
};

/**
 * One ComponentAction of a component database: the next phase (observe first, then chained into the fence in the
 * same call, since observing changes nothing). `pending` while phases remain; after `maxChecks` calls,
 * ComponentTimedOutError naming the phase and the world.
 */
export const databaseAction = async (
  c: DatabaseComponent,
  run: RunContext,
  previous: ComponentDatabaseProgress | undefined,
  checks: number,
  platform: PlatformComponents,
): Promise<{ status: 'pending' | 'done' | 'dry-run'; detail: string; database?: ComponentDatabaseProgress }> => {
  const db = await platform.database({ regions: run.regions, database: c.database });
  if (run.dryRun) return dryRun(c, run, db);
  const ctx = { c, run, db, platform };
  let p = previous ?? { phase: 'observe' as const };
  if (p.phase === 'observe') p = await observe(ctx, p);
  if (p.phase !== 'done') p = await PHASES[p.phase](ctx, p);
  const detail = databaseWorld(c, p);
  if (p.phase === 'done') return { status: 'done', detail, database: p };
  if (checks >= c.maxChecks) {
    throw new ComponentTimedOutError(`${c.name} not done after ${checks} checks (next: ${p.phase}): ${detail}`);
  }
  return { status: 'pending', detail, database: p };
};
