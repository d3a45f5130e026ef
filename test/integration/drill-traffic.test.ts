import { afterEach, describe, expect, it } from 'vitest';
import { runDrill } from '#lab/drill/run-drill.js';
import type { DrillResult } from '#lab/drill/types.js';
import { DRILL_CONTROLS } from '#lab/drill/world.js';
import { kept as keptOf, stopDrills } from './support.js';

describe('the drill moving traffic on the data plane, with the control plane down', () => {
  let result: DrillResult | undefined;

  afterEach(async () => {
    await stopDrills(result);
    result = undefined;
  });

  it('routing-control: succeeds through the third cluster endpoint, the record pair following the controls', async () => {
    // Act
    result = await runDrill({
      mode: 'unplanned',
      traffic: 'routing-control',
      controlPlane: 'down',
      clusterEndpointsDown: ['us-west-2', 'eu-west-1'],
      keep: true,
      warmupMs: 500,
      splitBrainWindowMs: 1000,
    });

    // Assess
    const { report } = result;
    const kept = keptOf(result);
    expect(report.outcome).toBe('succeeded');
    expect(report.rto?.firstWrite.server).toBe(kept.regions.standby.host);
    expect(report.where.traffic).toMatchObject({ kind: 'routing-control', controlPlane: 'down' });
    // The real SDK client reached the stand-in: the two unreachable endpoints never answered.
    const answered = report.where.traffic?.clusterAnswered ?? {};
    expect(answered['ap-northeast-1']).toBeGreaterThan(0);
    expect(answered['us-west-2']).toBeUndefined();
    expect(answered['eu-west-1']).toBeUndefined();
    expect(kept.cluster?.state(DRILL_CONTROLS.standby)).toBe('On');
    expect(kept.cluster?.state(DRILL_CONTROLS.primary)).toBe('Off');
    expect(kept.dns.get(kept.plan.dns.recordName)?.address).toBe(kept.regions.standby.host);
  }, 120_000);

  it('health-check: the take-over datapoint on the CloudWatch stand-in moves the record pair to the standby', async () => {
    // Act
    result = await runDrill({
      mode: 'unplanned',
      traffic: 'health-check',
      controlPlane: 'down',
      keep: true,
      warmupMs: 500,
      splitBrainWindowMs: 1000,
    });

    // Assess
    const { report } = result;
    const kept = keptOf(result);
    expect(report.outcome).toBe('succeeded');
    expect(report.where.traffic).toMatchObject({ kind: 'health-check', controlPlane: 'down' });
    expect(report.execution?.visited).toContain('WaitForDns');
    expect(kept.dns.get(kept.plan.dns.recordName)?.address).toBe(kept.regions.standby.host);
  }, 120_000);

  it('upsert: ends promoted with the record unchanged, and tells on-call to point it by hand', async () => {
    // Act
    result = await runDrill({
      mode: 'unplanned',
      traffic: 'upsert',
      controlPlane: 'down',
      retryIntervalMs: 10,
      keep: true,
      warmupMs: 500,
      splitBrainWindowMs: 1000,
    });

    // Assess
    const { report, notifications } = result;
    const kept = keptOf(result);
    expect(report.outcome).not.toBe('succeeded');
    expect(report.execution?.error).toBe('ServiceUnavailableError');
    expect(kept.dns.get(kept.plan.dns.recordName)?.address).toBe(kept.regions.primary.host);
    const failed = notifications.find((n) => n.type === 'Failover Failed');
    expect(failed?.detail).toMatchObject({ promoted: true });
    expect(String(failed?.detail.nextSteps)).toMatch(/by hand/);
  }, 120_000);
});
