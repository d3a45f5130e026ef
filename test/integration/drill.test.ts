import { afterEach, describe, expect, it } from 'vitest';
import { runDrill } from '#lab/drill/run-drill.js';
import type { DrillResult } from '#lab/drill/types.js';
import { kept as keptOf, lossOnNewPrimary, missingOn, query, stopDrills } from './support.js';

describe('the local drill, on real PostgreSQL', () => {
  let result: DrillResult | undefined;

  afterEach(async () => {
    await stopDrills(result);
    result = undefined;
  });

  it('fails over an unplanned kill, reports the RPO the new primary really shows, and keeps the old primary out of writes', async () => {
    // Act
    result = await runDrill({ mode: 'unplanned', keep: true, warmupMs: 500, splitBrainWindowMs: 1000 });

    // Assess: the run itself
    const { report, acks } = result;
    const kept = keptOf(result);
    expect(report.outcome).toBe('succeeded');
    expect(report.execution?.status).toBe('SUCCEEDED');
    expect(report.execution?.visited).toEqual(
      expect.arrayContaining(['Prepare', 'CheckLag', 'Fence', 'Promote', 'UpdateDns', 'Verify', 'Succeeded']),
    );
    // Promote confirmed the standby writable in its own session: no status check between it and the switch, and
    // the report's promotion phase is Promote itself.
    expect(report.execution?.visited).not.toContain('PromotionStatus');
    expect(report.phases.promotion?.ms).toBeGreaterThan(0);
    expect(report.detection?.event).toMatchObject({
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      detail: { state: { value: 'ALARM' }, previousState: { value: 'OK' } },
    });
    expect(report.trigger?.outcome).toBe('started');
    expect(report.rto?.ms).toBeGreaterThan(0);
    expect(report.rto?.firstWrite.server).toBe(kept.regions.standby.host);

    // Assess: RPO counted independently on the new primary
    const newPrimary = kept.regions.standby.connectionConfig();
    const { ackedByOld, missing } = await lossOnNewPrimary(kept, acks);
    expect(report.rpo).toMatchObject({
      lostCount: missing.length,
      lostIds: missing,
      acknowledgedByOldPrimary: ackedByOld.length,
    });
    // Every write the new primary acknowledged is there (nothing counted twice, nothing invented).
    const ackedByNew = acks.filter((a) => a.server === kept.regions.standby.host).map((a) => a.id);
    expect(ackedByNew.length).toBeGreaterThan(0);
    expect(await missingOn(newPrimary, ackedByNew)).toEqual([]);

    // Assess: the restarted old primary never received a workload write
    expect(report.splitBrain).toMatchObject({ ok: true, outOfDns: true, workloadRowsAfterRestart: 0 });
    const oldPrimary = kept.regions.primary.connectionConfig();
    const firstOnNew = Math.min(...ackedByNew);
    const onOldAfterFailover = await query<{ n: string }>(
      oldPrimary,
      'SELECT count(*) AS n FROM drill_writes WHERE id >= $1',
      [firstOnNew],
    );
    expect(Number(onOldAfterFailover[0]?.n)).toBe(0);
    expect(kept.dns.get(kept.plan.dns.recordName)?.address).toBe(kept.regions.standby.host);
  }, 90_000);

  it('switches over on request (planned) with zero acknowledged commits lost', async () => {
    // Act
    result = await runDrill({ mode: 'planned', keep: true, warmupMs: 500, splitBrainWindowMs: 1000 });

    // Assess
    const { report, acks } = result;
    const kept = keptOf(result);
    expect(report.outcome).toBe('succeeded');
    const visited = report.execution?.visited ?? [];
    expect(visited.indexOf('Fence')).toBeLessThan(visited.indexOf('Promote'));
    expect(report.execution?.fence).toMatchObject({ fenced: true, method: 'read-only' });
    const ids = acks.map((a) => a.id);
    expect(ids.length).toBeGreaterThan(10);
    expect(await missingOn(kept.regions.standby.connectionConfig(), ids)).toEqual([]);
    expect(report.rpo?.lostCount).toBe(0);
    expect(report.splitBrain).toMatchObject({ ok: true, writeRejectedOnReturn: true, workloadRowsAfterRestart: 0 });
  }, 90_000);
});
