/**
 * What the drill measures once the run has ended: the RTO (the first write acknowledged by the new primary on a
 * connection opened after the incident), split brain (the old primary restarted must take no write), and the RPO
 * (acknowledged commits missing on the new primary, counted on it).
 */
import { Resolver } from 'node:dns/promises';
import type { Plan } from '#core/plan.js';
import { withClient } from '../postgres/client.js';
import type { LocalRegions } from '../regions.js';
import { writeRejected } from './sql.js';
import { clock, round, since, sleep } from './time.js';
import type { DrillEnvironment, DrillMode, DrillProgress, DrillReport, SplitBrainCheck } from './types.js';
import { type Ack, WORKLOAD_TABLE, type Workload } from './workload.js';

/** The first write the new primary acknowledged on a connection opened after the incident, and the RTO it gives. */
export const measureRto = async (
  env: DrillEnvironment,
  incidentAt: number,
  overheadOf: (rtoMs: number) => number,
  progress: (p: DrillProgress) => void,
): Promise<{ firstAck?: Ack; rto?: DrillReport['rto'] }> => {
  const { workload, regions, plan } = env;
  const firstAck = await workload
    .waitForAck((a, c) => c.openingAt >= incidentAt && a.server === regions.standby.host, 30_000)
    .catch(() => undefined);
  if (!firstAck) return {};
  const rel = since(incidentAt);
  const ms = rel(firstAck.ackAt);
  const connection = workload.connections[firstAck.connection - 1];
  const rto: DrillReport['rto'] = {
    ms,
    targetSeconds: plan.rto.targetSeconds,
    met: ms <= plan.rto.targetSeconds * 1000,
    firstWrite: {
      id: firstAck.id,
      server: firstAck.server,
      connectionOpenedMs: rel(connection?.openedAt ?? firstAck.sentAt),
      ackMs: ms,
    },
    overheadMs: overheadOf(ms),
  };
  progress({
    group: 'check',
    step: 'first write on new primary',
    status: 'done',
    at: firstAck.ackAt,
    ms,
    detail: `id ${firstAck.id} acknowledged by ${firstAck.server} on a connection opened after the incident: RTO ${ms} ms`,
  });
  return { firstAck, rto };
};

export const standbyInRecovery = (regions: LocalRegions): Promise<boolean> =>
  withClient(regions.standby.connectionConfig(), async (c) => {
    return (await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r ?? false;
  });

/** Acknowledged by the old primary, missing on the new one: the commits the failover lost. */
export const countLost = async (
  regions: LocalRegions,
  acks: readonly Ack[],
  incidentAt: number,
): Promise<NonNullable<DrillReport['rpo']>> => {
  const byOld = acks.filter((a) => a.server === regions.primary.host);
  const present = new Set(
    await withClient(regions.standby.connectionConfig(), async (c) => {
      const r = await c.query<{ id: string }>(`SELECT id FROM ${WORKLOAD_TABLE} WHERE id = ANY($1::bigint[])`, [
        byOld.map((a) => a.id),
      ]);
      return r.rows.map((row) => Number(row.id));
    }),
  );
  const lost = byOld.filter((a) => !present.has(a.id));
  const first = lost[0];
  const last = lost.at(-1);
  const rel = since(incidentAt);
  return {
    lostCount: lost.length,
    lostIds: lost.map((a) => a.id),
    ...(first && last
      ? { spanMs: { first: rel(first.ackAt), last: rel(last.ackAt), ms: round(last.ackAt - first.ackAt) } }
      : {}),
    acknowledgedByOldPrimary: byOld.length,
    ackedAfterIncident: byOld.filter((a) => a.ackAt >= incidentAt).length,
  };
};

/**
 * Restarts the old primary (a region coming back) and checks that it takes no workload write: fenced, out of
 * DNS, and no id the workload tried after the restart on it.
 */
export const checkSplitBrain = async (
  regions: LocalRegions,
  plan: Plan,
  workload: Workload,
  mode: DrillMode,
  windowMs: number,
): Promise<SplitBrainCheck> => {
  const { primary } = regions;
  const restartAt = clock();
  // A planned run left it running (fenced): stop it first, so the check covers a real restart.
  if (mode === 'planned') await primary.stop();
  await primary.start();
  const restartMs = round(clock() - restartAt);
  const lastIdBefore = workload.lastAttemptedId();
  const state = await withClient(primary.connectionConfig(), async (c) => {
    const r = await c.query<{ r: boolean; ro: string }>(
      `SELECT pg_is_in_recovery() AS r, current_setting('default_transaction_read_only') AS ro`,
    );
    return { inRecovery: r.rows[0]?.r ?? false, readOnly: r.rows[0]?.ro === 'on' };
  });
  const rejected = await writeRejected(primary.connectionConfig());
  // The workload keeps resolving and writing while the old primary is back.
  await sleep(windowMs);
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  if (plan.dns.kind !== 'local') throw new Error('the drill plan uses the local DNS server');
  resolver.setServers([plan.dns.nameserver]);
  const dnsAnswer = await resolver.resolve4(plan.dns.recordName);
  const rows = await withClient(primary.connectionConfig(), async (c) => {
    const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${WORKLOAD_TABLE} WHERE id > $1`, [lastIdBefore]);
    return Number(r.rows[0]?.n ?? 0);
  });
  const acksAfter = workload.acks.filter((a) => a.ackAt >= restartAt && a.server === primary.host).length;
  let refence: SplitBrainCheck['refence'];
  if (!rejected && mode === 'unplanned') {
    // It was dark when the run's Fence step tried: apply the same fence now, as the runbook says.
    const { PostgresFailover } = await import('#adapters/database/postgres.js');
    if (plan.database.kind !== 'postgres') throw new Error('the drill plan uses the postgres adapter');
    const fence = await new PostgresFailover({ ...plan, database: plan.database }).fenceOldPrimary('unplanned');
    refence = { fence, writeRejected: await writeRejected(primary.connectionConfig()) };
  }
  const outOfDns = !dnsAnswer.includes(primary.host);
  return {
    restartMs,
    inRecovery: state.inRecovery,
    readOnlyOnReturn: state.readOnly,
    writeRejectedOnReturn: rejected,
    dnsAnswer,
    outOfDns,
    workloadRowsAfterRestart: rows,
    workloadAcksAfterRestart: acksAfter,
    windowMs,
    ...(refence ? { refence } : {}),
    ok: outOfDns && rows === 0 && acksAfter === 0,
  };
};

export const splitBrainLine = (s: SplitBrainCheck): string =>
  [
    `old primary restarted in ${s.restartMs} ms`,
    s.writeRejectedOnReturn
      ? 'fenced (read-only) on return'
      : `came back WRITABLE (it was dark when Fence ran)${s.refence ? `, re-fenced then: writes ${s.refence.writeRejected ? 'rejected' : 'STILL ACCEPTED'}` : ''}`,
    s.outOfDns ? `out of DNS (record → ${s.dnsAnswer.join(', ')})` : `STILL IN DNS (${s.dnsAnswer.join(', ')})`,
    `${s.workloadRowsAfterRestart} workload writes landed on it in ${s.windowMs} ms`,
  ].join('; ');

export const lostCommitsLine = (r: NonNullable<DrillReport['rpo']>): string =>
  r.lostCount === 0
    ? `0 of ${r.acknowledgedByOldPrimary} commits acknowledged by the old primary are missing on the new one`
    : `${r.lostCount} of ${r.acknowledgedByOldPrimary} acknowledged commits missing on the new primary ` +
      `(acknowledged ${r.spanMs?.first} … ${r.spanMs?.last} ms relative to the incident, a ${r.spanMs?.ms} ms span; ` +
      `${r.ackedAfterIncident} of the acknowledgements arrived after the kill instant)`;

export interface Findings {
  rto?: DrillReport['rto'];
  splitBrain?: SplitBrainCheck;
  /** Read only when the run did not succeed: whether the standby was left a replica. */
  standbyInRecovery?: boolean;
  rpo?: DrillReport['rpo'];
  /** The workload's acknowledgements when it stopped (it keeps running with `keep`). */
  acks: Ack[];
}

/**
 * The checks, in the order the world allows them: the RTO while the workload still writes, the old primary's
 * return, then the workload stopped and the RPO counted whenever the standby was promoted, even by a run that
 * failed after that (what it lacks is then lost).
 */
export const checkAfterRun = async (
  env: DrillEnvironment,
  run: { succeeded: boolean; mode: DrillMode; incidentAt: number; keep: boolean; splitBrainWindowMs: number },
  overheadOf: (rtoMs: number) => number,
  progress: (p: DrillProgress) => void,
): Promise<Findings> => {
  const { regions, plan, workload } = env;
  const { firstAck, rto } = run.succeeded ? await measureRto(env, run.incidentAt, overheadOf, progress) : {};
  const splitBrain =
    run.succeeded && firstAck
      ? await checkSplitBrain(regions, plan, workload, run.mode, run.splitBrainWindowMs)
      : undefined;
  if (splitBrain) {
    progress({
      group: 'check',
      step: 'split-brain check',
      status: splitBrain.ok ? 'done' : 'failed',
      at: clock(),
      detail: splitBrainLine(splitBrain),
    });
  }
  const inRecovery = run.succeeded ? undefined : await standbyInRecovery(regions);
  const acks = [...workload.acks];
  if (!run.keep) await workload.stop();
  const rpo =
    (run.succeeded && firstAck) || inRecovery === false ? await countLost(regions, acks, run.incidentAt) : undefined;
  if (rpo) {
    progress({
      group: 'check',
      step: 'RPO count',
      status: run.mode === 'planned' && rpo.lostCount > 0 ? 'failed' : 'done',
      at: clock(),
      detail: lostCommitsLine(rpo),
    });
  }
  return {
    ...(rto ? { rto } : {}),
    ...(splitBrain ? { splitBrain } : {}),
    ...(inRecovery !== undefined ? { standbyInRecovery: inRecovery } : {}),
    ...(rpo ? { rpo } : {}),
    acks,
  };
};
