/**
 * The next incident after a way out, on real PostgreSQL: an unplanned failover (kill), the old primary preserved and
 * rebuilt as the new primary's standby, then the new primary's region lost too. The stack of the plan's primary
 * region, holding the plan as written, is started by the plan's trigger.wayBackAlarms alarm and fails over to the
 * rebuilt old primary: its Prepare observes the pair from its own side (core/direction.ts), with the writer dark.
 */
import { afterAll, expect, it } from 'vitest';
import { runRoundTrip } from '#lab/drill/run-drill.js';
import { stopDrills } from './support.js';

// A round trip stops what it started before it returns; one that timed out runs on, and this stops it.
afterAll(() => stopDrills());

it('fails over again, from the primary region stack, to the rebuilt old primary when the new primary region is lost', async () => {
  // Act
  const report = await runRoundTrip({ warmupMs: 500, splitBrainWindowMs: 500, secondIncident: true });

  // Assess: the way out, as any drill's
  const { out, back } = report;
  expect(out.outcome).toBe('succeeded');
  expect(out.rto?.firstWrite.server).toBe('127.0.0.2');
  expect(report.rebuild?.catchUp.replayLsn).toBeDefined();

  // Assess: the second incident, a kill of the writer, detected in the primary region by the wayBack alarm
  expect(back?.mode).toBe('unplanned');
  expect(back?.incident.kind).toBe('kill');
  expect(back?.trigger?.executionName).toMatch(/^drill-alarm-\d{8}T\d{4}Z$/);
  expect(back?.execution?.timeline[0]?.outcome).toMatch(
    /eu-west-1 → us-east-1.*the pair observed the other way round.*standby 127\.0\.0\.2 did not answer/,
  );
  expect(back?.execution?.visited).toEqual(expect.arrayContaining(['Fence', 'Promote', 'UpdateDns', 'Verify']));
  expect(back?.outcome).toBe('succeeded');
  // Clients write on the rebuilt old primary again; what the dead writer acknowledged alone is counted, not bounded.
  expect(back?.rto?.firstWrite.server).toBe('127.0.0.1');
  expect(back?.rpo?.acknowledgedByOldPrimary).toBeGreaterThan(0);

  // Assess: never two writable nodes
  expect(report.writers.bothWritable).toBe(0);
  expect(report.writers.dnsAnswers.toSorted()).toEqual(['127.0.0.1', '127.0.0.2']);
  expect(report.outcome).toBe('succeeded');
}, 180_000);
