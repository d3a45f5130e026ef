/**
 * The read-only fence of a self-managed PostgreSQL primary under load, on real servers: a busy primary (hundreds of
 * client sessions, some inside open write transactions) must be fenced within the plan's default bound.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresFailover } from '#adapters/database/postgres.js';
import { type DatabaseConfigOf, type PlanWithDatabase, parsePlan } from '#core/plan.js';
import { type LocalRegions, startLocalRegions } from '#lab/regions.js';
import { query } from './support.js';

const SESSIONS = 200;

/** A plan for the local regions; `fence` left out, so the schema's default bound (5 s) applies. */
const planFor = (database: Omit<DatabaseConfigOf<'postgres'>, 'fence'>): PlanWithDatabase<'postgres'> =>
  parsePlan(
    {
      name: 'busy-primary',
      accountId: '111122223333',
      regions: { primary: 'us-east-1', standby: 'eu-west-1' },
      trigger: {},
      rpo: { maxLagSeconds: 5, onExceeded: 'abort' },
      rto: { targetSeconds: 60 },
      database,
      dns: {
        kind: 'local',
        controlEndpoint: '127.0.0.1:5380',
        nameserver: '127.0.0.1:5353',
        recordName: 'db.drill.internal',
        ttl: 1,
      },
      notify: { eventBus: 'dr-failover' },
    },
    'test',
  ) as PlanWithDatabase<'postgres'>;

/**
 * Opens `count` client sessions, a few at a time: every third one inside an open write transaction (it has
 * inserted a row and not committed), every third idle in a read transaction, the rest idle.
 */
const openSessions = async (config: pg.ClientConfig, count: number): Promise<pg.Client[]> => {
  const clients: pg.Client[] = [];
  const open = async (i: number) => {
    const client = new pg.Client(config);
    // The fence ends these sessions: the error a terminated connection emits is expected.
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    if (i % 3 === 0) {
      await client.query('BEGIN');
      await client.query('INSERT INTO busy (session) VALUES ($1)', [i]);
    } else if (i % 3 === 1) {
      await client.query('BEGIN');
      await client.query('SELECT count(*) FROM busy');
    }
  };
  for (let i = 0; i < count; i += 20) {
    await Promise.all(Array.from({ length: Math.min(20, count - i) }, (_, k) => open(i + k)));
  }
  return clients;
};

const otherClientSessions = async (config: pg.ClientConfig) =>
  query<{ pid: number; state: string }>(
    config,
    `SELECT pid, state FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
  );

describe('PostgresFailover fencing a busy primary', () => {
  let regions: LocalRegions;
  let adapter: PostgresFailover;

  beforeAll(async () => {
    regions = await startLocalRegions({ settings: { max_connections: SESSIONS + 50 } });
    const { fence: _default, ...database } = regions.databaseConfig({ file: regions.credentialsFile });
    adapter = new PostgresFailover(planFor(database));
    await query(regions.primary.connectionConfig(), 'CREATE TABLE busy (session int, at timestamptz DEFAULT now())');
  });

  afterAll(async () => {
    await regions?.cleanup();
  });

  it(`fences a primary with ${SESSIONS} client sessions, some in open write transactions, within the default bound`, async () => {
    // Prepare
    const primary = regions.primary.connectionConfig();
    const clients = await openSessions(primary, SESSIONS);
    const before = await otherClientSessions(primary);

    // Act
    const started = Date.now();
    const fence = await adapter.fenceOldPrimary('planned').catch((error: unknown) => error);
    const elapsed = Date.now() - started;
    console.log(`busy primary: fence of ${before.length} client sessions took ${elapsed} ms`);
    const left = await otherClientSessions(primary);
    const write = await query(primary, 'INSERT INTO busy (session) VALUES (-1)').catch((e: { code?: string }) => e);
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));

    // Assess
    expect(before.length).toBe(SESSIONS);
    expect(before.filter((s) => s.state === 'idle in transaction').length).toBeGreaterThan(SESSIONS / 2);
    expect(fence).toMatchObject({ fenced: true, method: 'read-only' });
    expect((fence as { detail: string }).detail).toMatch(`${SESSIONS} of ${SESSIONS} client sessions terminated`);
    expect(elapsed).toBeLessThan(5000);
    expect(left).toEqual([]);
    expect((write as { code?: string }).code).toBe('25006');
  }, 60_000);
});
