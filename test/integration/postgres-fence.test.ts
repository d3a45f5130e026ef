/**
 * The read-only fence of a self-managed PostgreSQL primary under load, on real servers: a busy primary (hundreds of
 * client sessions, some inside open write transactions) must be fenced within the plan's default bound.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresFailover } from '#adapters/database/postgres.js';
import { FenceFailedError } from '#core/errors.js';
import { parseExecutionInput } from '#core/input.js';
import { describeWorld } from '#core/next-steps.js';
import { type DatabaseConfigOf, type PlanWithDatabase, parsePlan } from '#core/plan.js';
import { type LocalRegions, startLocalRegions } from '#lab/regions.js';
import { fenceBoundMs, query, waitFor } from './support.js';

const SESSIONS = 200;

type PostgresConfig = DatabaseConfigOf<'postgres'>;

/** A plan for the local regions; without `fence`, the schema's default bound (5 s) applies. */
const planFor = (
  database: Omit<PostgresConfig, 'fence'> & { fence?: PostgresConfig['fence'] },
): PlanWithDatabase<'postgres'> =>
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

const readOnlySetting = async (config: pg.ClientConfig) =>
  (await query<{ v: string }>(config, "SELECT current_setting('default_transaction_read_only') AS v"))[0]?.v;

/** Undoes a fence, as the runbook says. */
const unfence = async (config: pg.ClientConfig) => {
  await query(config, 'ALTER SYSTEM RESET default_transaction_read_only');
  await query(config, 'SELECT pg_reload_conf()');
  await waitFor('the primary to take writes again', async () => (await readOnlySetting(config)) === 'off');
};

describe('PostgresFailover fencing a busy primary', () => {
  let regions: LocalRegions;
  let database: Omit<PostgresConfig, 'fence'>;
  let adapter: PostgresFailover;

  beforeAll(async () => {
    regions = await startLocalRegions({ settings: { max_connections: SESSIONS + 50 } });
    const { fence: _default, ...config } = regions.databaseConfig({ file: regions.credentialsFile });
    database = config;
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
    // fenced: true already says every session ended within the bound (else it reports the sessions left); this
    // says the fence as a whole, its closing included, kept to it.
    expect(elapsed).toBeLessThan(fenceBoundMs(5));
    expect(left).toEqual([]);
    expect((write as { code?: string }).code).toBe('25006');
  }, 60_000);

  it('says the old primary IS read-only, naming the session left, when a client session outlives the bound', async () => {
    // Prepare: undo the fence of the test before; one session inside a write transaction, its backend frozen
    // (SIGSTOP) so that it cannot act on the fence's SIGTERM, like a backend stuck in the kernel.
    const primary = regions.primary.connectionConfig();
    await unfence(primary);
    const [stuck] = await openSessions(primary, 1);
    const pid = (await stuck?.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))?.rows[0]?.pid ?? 0;
    const plan = planFor({ ...database, fence: { method: 'read-only', timeoutSeconds: 1 } });
    const short = new PostgresFailover(plan);
    process.kill(pid, 'SIGSTOP');

    // Act
    const started = Date.now();
    let planned: unknown;
    let unplanned: Awaited<ReturnType<PostgresFailover['fenceOldPrimary']>>;
    try {
      planned = await short.fenceOldPrimary('planned').catch((error: unknown) => error);
      unplanned = await short.fenceOldPrimary('unplanned');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const elapsed = Date.now() - started;
    const setting = await readOnlySetting(primary);
    const write = await query(primary, 'INSERT INTO busy (session) VALUES (-2)').catch((e: { code?: string }) => e);
    // Thawed, the session acts on the SIGTERM it was sent.
    await waitFor('the thawed session to end', async () => (await otherClientSessions(primary)).length === 0);
    await stuck?.end().catch(() => undefined);
    const input = parseExecutionInput({
      plan: plan.name,
      mode: 'planned',
      reason: 'switchover',
      requestedBy: 'oncall:ana',
      incidentStartedAt: '2026-11-25T03:15:00Z',
    });
    const message = (planned as Error).message;
    const error = { Error: 'FenceFailedError', Cause: JSON.stringify({ errorMessage: message }) };
    const world = describeWorld({ input, plan, error }, plan);

    // Assess: both modes say it IS read-only and name the frozen session; each attempt kept to its 1 s bound.
    expect(planned).toBeInstanceOf(FenceFailedError);
    expect(message).toMatch(/^old primary \S+ IS read-only/);
    expect(message).toContain('persisted with ALTER SYSTEM');
    expect(message).toContain(`1 of the 1 client sessions it terminated were still open`);
    expect(message).toContain(`pid ${pid} (postgres, idle in transaction, in a transaction since`);
    expect(unplanned).toMatchObject({
      fenced: false,
      method: 'read-only',
      readOnly: { persisted: true, openSessions: 1 },
    });
    expect(unplanned.readOnly?.sessions?.[0]).toMatch(new RegExp(`^pid ${pid} \\(postgres, idle in transaction`));
    expect(elapsed).toBeLessThan(fenceBoundMs(1, 2));
    expect(setting).toBe('on');
    expect((write as { code?: string }).code).toBe('25006');
    expect(world[2]).toBe(`Old primary: the fence did not complete: ${message}`);
  }, 60_000);

  it('says what a fence that failed after ALTER SYSTEM left: applied (read-only) or only written (still writable)', async () => {
    // Prepare: a least-privilege fence role. Without EXECUTE on pg_reload_conf its fence fails after ALTER SYSTEM
    // wrote the setting; with it but limited to one connection, the fence fails after the reload, when it opens a
    // second session to check that new sessions are read-only.
    const primary = regions.primary.connectionConfig();
    await unfence(primary);
    const password = 'fencer-pa55';
    await query(primary, `CREATE ROLE fencer LOGIN PASSWORD '${password}' IN ROLE pg_signal_backend`);
    await query(primary, 'GRANT ALTER SYSTEM ON PARAMETER default_transaction_read_only TO fencer');
    process.env.DR_TEST_FENCER = JSON.stringify({ username: 'fencer', password });
    const fencer = new PostgresFailover(
      planFor({ ...database, primary: { ...database.primary, credentials: { env: 'DR_TEST_FENCER' } } }),
    );

    // Act
    const written = await fencer.fenceOldPrimary('unplanned');
    const writtenPlanned = await fencer.fenceOldPrimary('planned').catch((error: unknown) => error);
    const afterWritten = await readOnlySetting(primary);
    const fileSetting = await query<{ setting: string }>(
      primary,
      "SELECT setting FROM pg_file_settings WHERE name = 'default_transaction_read_only'",
    );
    await query(primary, 'GRANT EXECUTE ON FUNCTION pg_reload_conf() TO fencer');
    await query(primary, 'ALTER ROLE fencer CONNECTION LIMIT 1');
    const applied = await fencer.fenceOldPrimary('unplanned');
    const appliedPlanned = await fencer.fenceOldPrimary('planned').catch((error: unknown) => error);
    const afterApplied = await readOnlySetting(primary);
    delete process.env.DR_TEST_FENCER;

    // Assess: only written, it is NOT fenced and says it still takes writes; applied, it IS read-only
    expect(written).toMatchObject({ fenced: false, method: 'failed' });
    expect(written.readOnly).toBeUndefined();
    expect(written.detail).toMatch(/42501 permission denied for function pg_reload_conf/);
    expect(written.detail).toContain('written with ALTER SYSTEM but not applied: the old primary still takes writes');
    expect(writtenPlanned).toBeInstanceOf(FenceFailedError);
    expect((writtenPlanned as Error).message).toMatch(/^could not fence the old primary \S+: .*not applied/);
    expect(afterWritten).toBe('off');
    expect(fileSetting.map((r) => r.setting)).toEqual(['on']);
    expect(applied).toMatchObject({ fenced: false, method: 'read-only', readOnly: { persisted: true } });
    expect(applied.detail).toMatch(
      /^old primary \S+ IS read-only \(default_transaction_read_only = on, persisted with ALTER SYSTEM: a restart keeps it; a reload was requested\) but not fully fenced: the fence stopped after \d+ ms: .*too many connections for role "fencer"/,
    );
    expect(appliedPlanned).toBeInstanceOf(FenceFailedError);
    expect((appliedPlanned as Error).message).toMatch(/^old primary \S+ IS read-only .*too many connections/);
    expect(afterApplied).toBe('on');
  }, 60_000);
});
