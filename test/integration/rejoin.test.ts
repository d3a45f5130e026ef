/**
 * The old primary's way back, step by step on real servers: writes the standby never received, the old primary
 * preserved and returned fenced, its lost-write ledger, its rebuild as the new primary's standby, and the failback
 * gate refusing while the rebuilt standby lags.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresPair } from '#adapters/database/postgres-pair.js';
import { observedWriter } from '#core/direction.js';
import { ReplicationLagExceededError } from '#core/errors.js';
import type { LostWriteLedger } from '#core/ledger.js';
import { type PlanWithDatabase, parsePlan } from '#core/plan.js';
import { preserveDataDir, readLedger, rebuildAsStandby, requireCaughtUp, startFenced } from '#lab/postgres/rejoin.js';
import { type LocalRegions, startLocalRegions } from '#lab/regions.js';
import { inRecovery, query, waitFor } from './support.js';

const ids = async (config: Parameters<typeof query>[0]) =>
  (await query<{ id: string }>(config, 'SELECT id FROM t ORDER BY id')).map((r) => Number(r.id));

/** The pair as Prepare observes it, through the adapter, and the direction it gives. */
const observe = async (regions: LocalRegions) => {
  const plan = parsePlan(
    {
      name: 'rejoin',
      accountId: '111122223333',
      regions: { primary: 'us-east-1', standby: 'eu-west-1' },
      trigger: {},
      rpo: { maxLagSeconds: 5, onExceeded: 'abort' },
      rto: { targetSeconds: 60 },
      database: regions.databaseConfig({ file: regions.credentialsFile }),
      dns: {
        kind: 'local',
        controlEndpoint: '127.0.0.1:5380',
        nameserver: '127.0.0.1:5353',
        recordName: 'db.x.internal',
        ttl: 1,
      },
      notify: { eventBus: 'dr-failover' },
    },
    'test',
  ) as PlanWithDatabase<'postgres'>;
  const views = await new PostgresPair(plan).observe();
  return { views, direction: observedWriter(views) };
};

describe('an old primary returning after an unplanned failover', () => {
  let regions: LocalRegions;
  let preserved: string;
  let ledger: LostWriteLedger;
  const seen: Awaited<ReturnType<typeof observe>>[] = [];

  beforeAll(async () => {
    regions = await startLocalRegions();
    const primary = regions.primary.connectionConfig();
    const standby = regions.standby.connectionConfig();
    await query(primary, 'CREATE EXTENSION pg_walinspect');
    await query(primary, 'CREATE TABLE t (id bigint PRIMARY KEY)');
    seen.push(await observe(regions));
    for (let id = 1; id <= 10; id++) await query(primary, 'INSERT INTO t VALUES ($1)', [id]);
    await waitFor('the standby to have ids 1..10', async () => (await ids(standby)).length === 10);
    // The standby stops receiving: what the primary commits from now on is acknowledged and never replicated.
    await query(standby, "ALTER SYSTEM SET primary_conninfo = ''");
    await query(standby, 'SELECT pg_reload_conf()');
    await waitFor('the WAL receiver to stop', async () => {
      const r = await query<{ n: string }>(standby, 'SELECT count(*) AS n FROM pg_stat_wal_receiver');
      return r[0]?.n === '0';
    });
    for (let id = 11; id <= 15; id++) await query(primary, 'INSERT INTO t VALUES ($1)', [id]);
    await regions.primary.kill();
    await query(standby, 'SELECT pg_promote(true, 60)');
    preserved = await preserveDataDir(regions.primary, 'test');
    seen.push(await observe(regions));
    await startFenced(regions.primary);
    seen.push(await observe(regions));
    ledger = await readLedger(regions.standby, regions.primary);
  }, 90_000);

  afterAll(async () => {
    await regions?.cleanup();
  });

  it('returns fenced: writes refused, its rows kept, its data directory preserved', async () => {
    // Act
    const insert = query(regions.primary.connectionConfig(), 'INSERT INTO t VALUES (99)');

    // Assess
    await expect(insert).rejects.toMatchObject({ code: '25006' });
    expect(await ids(regions.primary.connectionConfig())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(await ids(regions.standby.connectionConfig())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await expect(fs.stat(path.join(preserved, 'global', 'pg_control'))).resolves.toBeDefined();
    expect(preserved).not.toBe(regions.primary.dataDir);
  });

  it('records in the ledger exactly the five commits the new primary lacks, after the fork point', async () => {
    // Act
    const xids = (ledger.transactions ?? []).map((t) => t.xid);
    const rows = await query<{ id: string }>(
      regions.primary.connectionConfig(),
      'SELECT id FROM t WHERE xmin::text = ANY($1::text[]) ORDER BY id',
      [xids],
    );

    // Assess
    expect(ledger).toMatchObject({ oldTimeline: 1, newTimeline: 2 });
    expect(ledger.bytesAfterFork).toBeGreaterThan(0);
    expect(ledger.transactions).toHaveLength(5);
    expect(ledger.transactions?.every((t) => t.committedAt !== undefined)).toBe(true);
    expect(rows.map((r) => Number(r.id))).toEqual([11, 12, 13, 14, 15]);
  });

  it('is rebuilt as the new primary streaming standby, and the failback is refused while it lags', async () => {
    // Prepare
    await rebuildAsStandby(regions.primary, regions.standby, regions.credentials);
    const rebuilt = regions.primary.connectionConfig();
    const newPrimary = regions.standby.connectionConfig();
    await requireCaughtUp(regions.standby, regions.primary, 15_000);
    expect(await inRecovery(rebuilt)).toBe(true);
    expect(await ids(rebuilt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await query(rebuilt, 'SELECT pg_wal_replay_pause()');
    await query(newPrimary, 'INSERT INTO t VALUES (16)');

    // Act
    const refused = requireCaughtUp(regions.standby, regions.primary, 500);

    // Assess: refused by name, nothing changed
    await expect(refused).rejects.toBeInstanceOf(ReplicationLagExceededError);
    await expect(refused).rejects.toThrow(/failback refused: 127\.0\.0\.1 is \d+ bytes behind/);
    expect(await inRecovery(rebuilt)).toBe(true);
    expect(await inRecovery(newPrimary)).toBe(false);

    // Act: replay resumes, the gate opens
    await query(rebuilt, 'SELECT pg_wal_replay_resume()');
    const caught = await requireCaughtUp(regions.standby, regions.primary, 15_000);

    // Assess
    expect(caught.replayLsn).toBe(caught.primaryLsn);
    expect(await ids(rebuilt)).toContain(16);
  }, 60_000);

  it('was observed by the pair adapter as each stage left it, the direction turning only once rebuilt', async () => {
    // Act
    const rebuilt = await observe(regions);

    // Assess: as written; promoted with the old primary dark, then back fenced (a re-run finishes as written)
    expect(seen.map((s) => s.direction.writer)).toEqual(['primary', 'primary', 'primary']);
    expect(seen[0]?.views).toEqual({
      primary: { host: '127.0.0.1', reachable: true, inRecovery: false, readOnly: false },
      standby: { host: '127.0.0.2', reachable: true, inRecovery: true, readOnly: false, upstreamHost: '127.0.0.1' },
    });
    expect(seen[1]?.views.primary).toEqual({ host: '127.0.0.1', reachable: false });
    expect(seen[2]?.views.primary).toMatchObject({ reachable: true, inRecovery: false, readOnly: true });
    // Rebuilt: the old primary streams from the new one, and the plan runs the other way round
    expect(rebuilt.views.primary).toMatchObject({ inRecovery: true, upstreamHost: '127.0.0.2' });
    expect(rebuilt.direction.writer).toBe('standby');
    // From the primary region's stack, no stage before the rebuild turns the plan round: nothing there to promote.
    expect(seen.map((s) => observedWriter(s.views, 'primary').writer)).toEqual(['primary', 'primary', 'primary']);
  });

  it('is, at the next incident (the writer dark), what the primary region stack promotes, and only that stack', async () => {
    // Prepare: the plan's standby, the writer since the way out, dies with its region.
    await regions.standby.kill();

    // Act
    const { views } = await observe(regions);
    const fromPrimaryRegion = observedWriter(views, 'primary');
    const fromStandbyRegion = observedWriter(views, 'standby');

    // Assess
    expect(views.standby).toEqual({ host: '127.0.0.2', reachable: false });
    expect(views.primary).toMatchObject({ reachable: true, inRecovery: true, upstreamHost: '127.0.0.2' });
    expect(fromPrimaryRegion).toMatchObject({ writer: 'standby', writerSilent: true });
    // The standby region's stack is in the dark region; were it up, it would not turn round (and Prepare refuses
    // the plan as written in the primary region's stack).
    expect(fromStandbyRegion.writer).toBe('primary');
  }, 30_000);
});
