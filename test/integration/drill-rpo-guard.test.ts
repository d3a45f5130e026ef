import type pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { runDrill } from '#lab/drill/run-drill.js';
import type { DrillResult } from '#lab/drill/types.js';
import { inRecovery, kept as keptOf, query, stopDrills } from './support.js';

const one = async <R extends pg.QueryResultRow>(config: pg.ClientConfig, sql: string): Promise<R | undefined> =>
  (await query<R>(config, sql))[0];

let result: DrillResult | undefined;

afterEach(async () => {
  await stopDrills(result);
  result = undefined;
});

it('aborts the run, notified, with nothing promoted, when lag exceeds the plan (replay paused, writes going on)', async () => {
  // Act
  result = await runDrill({
    mode: 'unplanned',
    start: 'manual',
    keep: true,
    warmupMs: 300,
    rpo: { maxLagSeconds: 60, maxLagBytes: 1024, maxLagChecks: 2, onExceeded: 'abort' },
    beforeIncident: async ({ regions }) => {
      await one(regions.standby.connectionConfig(), 'SELECT pg_wal_replay_pause()');
      // The workload keeps writing: wait until the primary is clearly past the standby's replay position.
      const replayed = await one<{ lsn: string }>(
        regions.standby.connectionConfig(),
        'SELECT pg_last_wal_replay_lsn()::text AS lsn',
      );
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
        const ahead = await one<{ bytes: number }>(
          regions.primary.connectionConfig(),
          `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${replayed?.lsn}')::float8 AS bytes`,
        );
        if ((ahead?.bytes ?? 0) > 8192) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('the lag never grew past 8 KiB');
    },
  });

  // Assess
  const { report } = result;
  const kept = keptOf(result);
  expect(report.outcome).toBe('aborted');
  expect(report.execution).toMatchObject({ status: 'FAILED', error: 'ReplicationLagExceededError' });
  expect(report.execution?.visited.at(-1)).toBe('Aborted');
  expect(report.execution?.visited).not.toContain('Promote');
  expect(report.execution?.lag).toMatchObject({ decision: 'exceeded', reading: { status: 'known' } });
  expect(report.execution?.lag?.reading.bytes).toBeGreaterThan(1024);
  expect(report.notifications.map((n) => n.type)).toContain('Failover Aborted');
  expect(report.standbyInRecovery).toBe(true);
  // Counted independently: the standby is still a standby and DNS still names the primary.
  expect(await inRecovery(kept.regions.standby.connectionConfig())).toBe(true);
  expect(kept.dns.get(kept.plan.dns.recordName)?.address).toBe(kept.regions.primary.host);
  await one(kept.regions.standby.connectionConfig(), 'SELECT pg_wal_replay_resume()');
}, 60_000);
