/**
 * The round trip on real PostgreSQL: an unplanned failover (kill), the old primary back and preserved with its
 * lost-write ledger, rebuilt as the new primary's standby, and a planned failback, with the workload writing
 * throughout. Counted independently of the drill's own bookkeeping where the servers still run.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loseWritesBeforeKill } from '#lab/drill/lose-writes.js';
import { runRoundTrip } from '#lab/drill/run-drill.js';
import type { DrillProgress } from '#lab/drill/types.js';
import { stopDrills } from './support.js';

// A round trip stops what it started before it returns; one that timed out runs on, and this stops it.
afterAll(() => stopDrills());

it('fails over, keeps the old primary and its lost writes, rebuilds it, and fails back losing nothing acknowledged', async () => {
  // Prepare
  const progress: DrillProgress[] = [];
  const preserved: string[] = [];

  // Act
  const report = await runRoundTrip({
    warmupMs: 500,
    splitBrainWindowMs: 500,
    onProgress: (p) => progress.push(p),
    // The standby stops receiving a moment before the kill: the five commits the primary acknowledges alone are lost.
    beforeIncident: loseWritesBeforeKill(5),
    // Rebuilt and streaming: the old primary's own data directory is still there beside it, as it was.
    beforeFailback: async ({ regions }) => {
      const dir = regions.primary.dataDir;
      for (const name of await fs.readdir(path.dirname(dir))) {
        if (!name.startsWith(`${path.basename(dir)}.preserved-`)) continue;
        const copy = path.join(path.dirname(dir), name);
        await fs.stat(path.join(copy, 'global', 'pg_control'));
        const signal = await fs.stat(path.join(copy, 'standby.signal')).catch(() => undefined);
        if (signal === undefined) preserved.push(copy);
      }
    },
  });

  // Assess: the way out, an unplanned failover measured as the drill measures it
  const { out, back, ledger, ledgerCheck, returned } = report;
  expect(out.outcome).toBe('succeeded');
  expect(out.incident.kind).toBe('kill');
  expect(out.rto?.firstWrite.server).toBe('127.0.0.2');
  expect(out.rpo?.lostCount).toBeGreaterThanOrEqual(5);

  // Assess: the old primary came back fenced, out of DNS, its data preserved
  expect(returned).toMatchObject({ writeRejected: true, outOfDns: true });
  expect(preserved).toEqual([returned?.preservedDataDir]);

  // Assess: the ledger lists exactly the acknowledged commits the workload's record says the first leg lost
  expect(ledger).toMatchObject({ oldTimeline: 1, newTimeline: 2 });
  expect(ledger?.transactions).toBeDefined();
  expect(ledgerCheck?.acknowledged.toSorted((a, b) => a - b)).toEqual(out.rpo?.lostIds.toSorted((a, b) => a - b));
  expect(ledgerCheck?.matches).toBe(true);
  expect(ledger?.transactions?.length).toBeGreaterThanOrEqual(ledgerCheck?.ledgerIds.length ?? 0);
  expect(ledger?.bytesAfterFork).toBeGreaterThan(0);
  expect(ledgerCheck?.inDoubt.every((id) => !out.rpo?.lostIds.includes(id))).toBe(true);

  // Assess: rebuilt and caught up, then the planned failback lost nothing acknowledged
  expect(report.rebuild?.catchUp.replayLsn).toBeDefined();
  // ... in this order on one time axis: the kill, the return, the rebuild, the failback request (whole ms, rounded)
  const at = (iso: string | undefined) => Date.parse(iso ?? '');
  expect(at(returned?.at)).toBeGreaterThan(at(out.incident.at));
  expect(at(report.rebuild?.at)).toBeGreaterThanOrEqual(at(returned?.at) + (returned?.ms ?? 0) - 1);
  expect(at(back?.incident.at)).toBeGreaterThanOrEqual(at(report.rebuild?.at) + (report.rebuild?.ms ?? 0) - 1);
  expect(back?.phases.trigger?.ms).toBeGreaterThanOrEqual(0);
  expect(back?.outcome).toBe('succeeded');
  expect(back?.mode).toBe('planned');
  // The same plan as written, started as a failback: Prepare observed the rebuilt pair and ran it the other way round
  expect(back?.trigger?.executionName).toMatch(/^drill-failback-\d{8}T\d{4}Z$/);
  expect(back?.execution?.timeline[0]?.outcome).toMatch(/eu-west-1 → us-east-1.*the pair observed the other way round/);
  expect(back?.execution?.fence).toMatchObject({ fenced: true, method: 'read-only' });
  expect(back?.rto?.firstWrite.server).toBe('127.0.0.1');
  expect(back?.rpo).toMatchObject({ lostCount: 0 });
  expect(back?.rpo?.acknowledgedByOldPrimary).toBeGreaterThan(0);
  expect(back?.splitBrain).toMatchObject({ ok: true, writeRejectedOnReturn: true });

  // Assess: never two writable nodes; DNS only ever named one of them at a time
  expect(report.writers.samples).toBeGreaterThan(20);
  expect(report.writers.bothWritable).toBe(0);
  expect(report.writers.dnsAnswers.toSorted()).toEqual(['127.0.0.1', '127.0.0.2']);
  expect(report.outcome).toBe('succeeded');
}, 180_000);
