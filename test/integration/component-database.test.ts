/**
 * A second database as a platform component, on real PostgreSQL: two streaming pairs (lab/regions.ts), the plan's
 * main database and a component database. The main one is fenced and promoted by its adapter; then the component
 * function's real handler runs the component's ComponentAction calls, one phase each, as the stage Map's
 * WaitForComponent loop would: its old primary fenced, its standby caught up and promoted once, every write its old
 * primary acknowledged present on it.
 */
import type { Context } from 'aws-lambda';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresFailover } from '#adapters/database/postgres.js';
import { clearSecretCache } from '#adapters/secrets.js';
import type { ComponentIteration } from '#core/components.js';
import { type PlanWithDatabase, parsePlan } from '#core/plan.js';
import { type LocalRegions, startLocalRegions } from '#lab/regions.js';
import { createHandler } from '../../functions/component.js';
import { inRecovery, query } from './support.js';

const MAIN_ENV = 'DR_TEST_MAIN_PG';
const COMPONENT_ENV = 'DR_TEST_COMPONENT_PG';
const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-test:platform-manual-1';
const context = { getRemainingTimeInMillis: () => 54_000 } as Context;

const planFor = (main: LocalRegions, component: LocalRegions) =>
  parsePlan(
    {
      name: 'platform',
      accountId: '111122223333',
      regions: { primary: 'us-east-1', standby: 'eu-west-1' },
      trigger: {},
      rpo: { maxLagSeconds: 5, onExceeded: 'abort' },
      rto: { targetSeconds: 60 },
      database: main.databaseConfig({ env: MAIN_ENV }),
      dns: {
        kind: 'local',
        controlEndpoint: '127.0.0.1:5380',
        nameserver: '127.0.0.1:5353',
        recordName: 'db.platform.internal',
        ttl: 1,
      },
      components: [
        {
          name: 'feature-metadata',
          kind: 'database',
          database: component.databaseConfig({ env: COMPONENT_ENV }),
          maxChecks: 10,
          checkIntervalSeconds: 1,
        },
      ],
      notify: { eventBus: 'dr-failover' },
    },
    'test',
  );

/** A steady writer on one connection until its session is ended: every id in `acked` was acknowledged by COMMIT. */
const startWriter = (config: pg.ClientConfig) => {
  const acked: number[] = [];
  const done = (async () => {
    const client = new pg.Client(config);
    client.on('error', () => undefined);
    await client.connect();
    for (let id = 1; ; id++) {
      try {
        await client.query('INSERT INTO features (id) VALUES ($1)', [id]);
        acked.push(id);
      } catch {
        break;
      }
    }
    await client.end().catch(() => undefined);
  })();
  return { acked, done };
};

const timelineOf = async (config: pg.ClientConfig): Promise<number> =>
  (
    await query<{ tli: number }>(
      config,
      "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS tli",
    )
  )[0]?.tli ?? 0;

describe('a PostgreSQL component database, promoted by the component function after the main one', () => {
  let main: LocalRegions;
  let component: LocalRegions;

  beforeAll(async () => {
    [main, component] = await Promise.all([startLocalRegions(), startLocalRegions()]);
    process.env[MAIN_ENV] = JSON.stringify(main.credentials);
    process.env[COMPONENT_ENV] = JSON.stringify(component.credentials);
    clearSecretCache();
    await query(component.primary.connectionConfig(), 'CREATE TABLE features (id int PRIMARY KEY)');
  }, 120_000);

  afterAll(async () => {
    delete process.env[MAIN_ENV];
    delete process.env[COMPONENT_ENV];
    clearSecretCache();
    await Promise.all([main?.cleanup(), component?.cleanup()]);
  });

  it('planned: fenced with writes in flight, caught up, promoted once, nothing acknowledged lost', async () => {
    // Prepare: the main database is switched over first, as the state machine does before the stages.
    const plan = planFor(main, component);
    const mainDb = new PostgresFailover(plan as PlanWithDatabase<'postgres'>);
    const mainFence = await mainDb.fenceOldPrimary('planned');
    await mainDb.promote('planned', { fence: mainFence });
    expect(await inRecovery(main.standby.connectionConfig())).toBe(false);
    const writer = startWriter(component.primary.connectionConfig());
    while (writer.acked.length < 50) await new Promise((resolve) => setTimeout(resolve, 10));
    const handler = createHandler();
    const first: ComponentIteration = {
      component: plan.components?.[0] as ComponentIteration['component'],
      run: { plan: plan.name, executionId: EXECUTION, regions: plan.regions, mode: 'planned', dryRun: false },
    };
    const act = async (it: ComponentIteration) =>
      (await (handler as (e: unknown, c: Context) => Promise<unknown>)(
        { step: 'ComponentAction', executionId: EXECUTION, state: it },
        context,
      )) as ComponentIteration;
    const timelineBefore = await timelineOf(component.primary.connectionConfig());

    // Act: the stage loop, one ComponentAction per check until it settles.
    const seen: ComponentIteration[] = [];
    let it = first;
    for (let check = 0; check < 10 && it.progress?.status !== 'done'; check++) {
      it = await act(it);
      seen.push(it);
    }
    await writer.done;
    // A retried invocation gets the promotion phase's input again: it finds the standby promoted, and promotes nothing.
    const promoteInput = seen.find((s) => s.database?.phase === 'promote') as ComponentIteration;
    const again = await act(promoteInput);

    // Assess
    expect(it.progress?.status).toBe('done');
    // A check that comes before the standby has replayed the fence's last WAL finds it behind and stays at
    // 'promote' (pending; the state machine checks again after checkIntervalSeconds, this loop at once). How many
    // such checks there are depends on the machine's load, not on the component: each is asserted pending, then
    // the sequence is compared without them.
    const phases = seen.map((s) => s.database?.phase);
    const waits = seen.filter((s, i) => s.database?.phase === 'promote' && phases[i - 1] === 'promote');
    for (const w of waits) expect(w.database?.promotion).toMatchObject({ state: 'pending', detail: /behind/ });
    expect(phases.filter((ph, i) => ph !== 'promote' || phases[i - 1] !== 'promote')).toEqual([
      'promote',
      'record',
      'done',
    ]);
    expect(it.progress?.detail).toMatch(/^old primary: fenced \(read-only\); standby: promoted and writable/);
    expect(await inRecovery(component.standby.connectionConfig())).toBe(false);
    expect(await timelineOf(component.standby.connectionConfig())).toBe(timelineBefore + 1);
    const ro = await query<{ ro: string }>(
      component.primary.connectionConfig(),
      "SELECT current_setting('default_transaction_read_only') AS ro",
    );
    expect(ro[0]?.ro).toBe('on');
    const rows = await query<{ id: number }>(component.standby.connectionConfig(), 'SELECT id FROM features');
    const present = new Set(rows.map((r) => r.id));
    expect(writer.acked.length).toBeGreaterThan(50);
    expect(writer.acked.filter((id) => !present.has(id))).toEqual([]);
    expect(again.database?.promote?.outcome).toBe('already-promoted');
    expect(await timelineOf(component.standby.connectionConfig())).toBe(timelineBefore + 1);
  }, 120_000);
});
