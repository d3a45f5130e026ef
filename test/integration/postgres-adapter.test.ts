import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PostgresFailover } from '#adapters/database/postgres.js';
import { clearSecretCache, resolveSecret } from '#adapters/secrets.js';
import { orientPlan } from '#core/direction.js';
import { ConfigurationError, FenceFailedError, ResourceBusyError } from '#core/errors.js';
import { type DatabaseConfigOf, type Plan, type PlanWithDatabase, parsePlan, type SecretRef } from '#core/plan.js';
import type { LagReading } from '#core/ports.js';
import { type LocalRegions, startLocalRegions } from '#lab/regions.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { fenceBoundMs } from './support.js';

const CREDENTIALS_ENV = 'DR_TEST_PG_CREDENTIALS';

const planFor = (database: DatabaseConfigOf<'postgres'>): PlanWithDatabase<'postgres'> =>
  parsePlan(
    {
      name: 'local-drill',
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

/** Polls `probe` until `done` holds or the deadline passes; returns the last value. No sleeping assertions. */
const pollUntil = async <T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};

const query = async <R extends pg.QueryResultRow>(config: pg.ClientConfig, sql: string, params: unknown[] = []) => {
  const client = new pg.Client(config);
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
};

/** A steady writer on one connection: every id in `acked` was acknowledged by COMMIT. */
const startWriter = (config: pg.ClientConfig) => {
  const acked: number[] = [];
  let stopped = false;
  let lastError: (Error & { code?: string }) | undefined;
  const done = (async () => {
    const client = new pg.Client(config);
    client.on('error', () => undefined);
    await client.connect();
    for (let id = 1; !stopped; id++) {
      try {
        await client.query('INSERT INTO orders (id) VALUES ($1)', [id]);
        acked.push(id);
      } catch (error) {
        lastError = error as Error & { code?: string };
        break;
      }
    }
    await client.end().catch(() => undefined);
  })();
  return {
    acked,
    lastError: () => lastError,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
};

const timelineOf = async (config: pg.ClientConfig): Promise<number> => {
  const rows = await query<{ tli: number }>(
    config,
    `SELECT CASE WHEN pg_is_in_recovery() THEN (SELECT timeline_id FROM pg_control_checkpoint())
            ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS tli`,
  );
  return rows[0]?.tli ?? 0;
};

const neverZeroWhenPrimaryLost = (reading: LagReading) => {
  // A standby that lost its primary may say "unknown" or give a positive age; it must never claim zero lag.
  if (reading.status === 'known') expect(reading.seconds ?? 0).toBeGreaterThan(0);
};

describe('PostgresFailover on a real primary and streaming standby (planned path)', () => {
  let regions: LocalRegions;
  let adapter: PostgresFailover;

  beforeAll(async () => {
    regions = await startLocalRegions();
    process.env[CREDENTIALS_ENV] = JSON.stringify(regions.credentials);
    clearSecretCache();
    adapter = new PostgresFailover(planFor(regions.databaseConfig({ env: CREDENTIALS_ENV })));
    await query(
      regions.primary.connectionConfig(),
      'CREATE TABLE orders (id int PRIMARY KEY, at timestamptz DEFAULT now())',
    );
    await query(regions.primary.connectionConfig(), 'INSERT INTO orders (id) VALUES (0)');
  });

  afterAll(async () => {
    delete process.env[CREDENTIALS_ENV];
    clearSecretCache();
    await regions?.cleanup();
  });

  it('fails authentication with ConfigurationError that does not contain the password', async () => {
    // Prepare
    const password = 'wrong-pa55-never-print-me';
    const wrong = new PostgresFailover(planFor(regions.databaseConfig({ env: 'WRONG' })), {
      secrets: (ref) => resolveSecret(ref, { env: { WRONG: JSON.stringify({ username: 'postgres', password }) } }),
    });

    // Act
    const error = await wrong.promotionStatus().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/28P01/);
    expect((error as Error).message).not.toContain(password);
    clearSecretCache();
  });

  it('reports lag growing in bytes while replay is paused, and zero once it resumes', async () => {
    // Prepare
    const standby = regions.standby.connectionConfig();
    const primary = regions.primary.connectionConfig();
    const caughtUp = await pollUntil(
      () => adapter.replicationLag(),
      (r) => r.bytes === 0,
    );
    expect(caughtUp).toMatchObject({ status: 'known', bytes: 0, seconds: 0, source: 'postgres:primary-lsn-vs-replay' });
    await query(standby, 'SELECT pg_wal_replay_pause()');
    await pollUntil(
      () => query<{ s: string }>(standby, 'SELECT pg_get_wal_replay_pause_state() AS s'),
      (rows) => rows[0]?.s === 'paused',
    );

    // Act
    await query(primary, 'INSERT INTO orders (id) SELECT g FROM generate_series(100001, 101000) AS g');
    const first = await adapter.replicationLag();
    await query(primary, 'INSERT INTO orders (id) SELECT g FROM generate_series(101001, 105000) AS g');
    const second = await pollUntil(
      () => adapter.replicationLag(),
      (r) => (r.bytes ?? 0) > (first.bytes ?? 0),
    );
    await query(standby, 'SELECT pg_wal_replay_resume()');
    const resumed = await pollUntil(
      () => adapter.replicationLag(),
      (r) => r.bytes === 0 && r.seconds === 0,
    );

    // Assess
    expect(first.status).toBe('known');
    expect(first.bytes).toBeGreaterThan(0);
    expect(first.detail).toMatch(/PAUSED/);
    expect(second.bytes).toBeGreaterThan(first.bytes ?? 0);
    expect(second.seconds).toBeGreaterThan(0);
    expect(resumed).toMatchObject({ status: 'known', bytes: 0, seconds: 0 });
  });

  it('reports promotion pending while the standby is in recovery', async () => {
    // Act
    const status = await adapter.promotionStatus();

    // Assess
    expect(status.state).toBe('pending');
    expect(status.detail).toMatch(/still in recovery/);
  });

  it('fences the old primary so writes fail with 25006, then promotes with zero acknowledged commits lost', async () => {
    // Prepare
    const primary = regions.primary.connectionConfig();
    const standby = regions.standby.connectionConfig();
    await query(primary, 'DELETE FROM orders');
    const timelineBefore = await timelineOf(standby);
    const writer = startWriter(primary);
    await pollUntil(
      async () => writer.acked.length,
      (n) => n >= 50,
    );

    // Replay paused: the standby falls behind, and a planned promotion must wait for it.
    await query(standby, 'SELECT pg_wal_replay_pause()');
    const ackedAtPause = writer.acked.length;
    await pollUntil(
      async () => writer.acked.length,
      (n) => n >= ackedAtPause + 50,
    );

    // Act
    const fenceStarted = Date.now();
    const fence = await adapter.fenceOldPrimary('planned');
    const fenceMs = Date.now() - fenceStarted;
    await writer.stop();
    const rejected = await query(primary, 'INSERT INTO orders (id) VALUES (-1)').catch((e: { code?: string }) => e);
    const whileBehind = await adapter.promote('planned').catch((e: unknown) => e);
    await query(standby, 'SELECT pg_wal_replay_resume()');
    const promoteStarted = Date.now();
    let busyRetries = 0;
    const promoted = await pollUntil(
      () =>
        adapter.promote('planned').catch((error: unknown) => {
          if (error instanceof ResourceBusyError) {
            busyRetries++;
            return undefined;
          }
          throw error;
        }),
      (r) => r !== undefined,
    );
    const promoteMs = Date.now() - promoteStarted;
    const status = await pollUntil(
      () => adapter.promotionStatus(),
      (s) => s.state !== 'pending',
    );
    const again = await adapter.promote('planned');
    const onNewPrimary = await query<{ id: number }>(standby, 'SELECT id FROM orders');
    const timelineAfter = await timelineOf(standby);

    // Assess
    expect(fence).toMatchObject({ fenced: true, method: 'read-only' });
    expect(fence.finalLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(writer.acked.length).toBeGreaterThanOrEqual(50);
    // The writer's session was terminated (57P01) or turned read-only (25006) by the fence.
    expect(['57P01', '25006']).toContain(writer.lastError()?.code);
    expect((rejected as { code?: string }).code).toBe('25006');
    expect(whileBehind).toBeInstanceOf(ResourceBusyError);
    expect((whileBehind as Error).message).toMatch(/bytes behind the fenced primary.*PAUSED/);
    expect(promoted?.outcome).toBe('started');
    // Writability confirmed in the promoting session: a write transaction committed, so no status check is needed.
    expect(promoted?.status).toMatchObject({ state: 'writable', writerEndpoint: regions.standby.host });
    expect(promoted?.status?.detail).toMatch(/a write transaction \(xid \d+\) committed/);
    expect(again.status?.state).toBe('writable');
    const present = new Set(onNewPrimary.map((r) => r.id));
    expect(writer.acked.filter((id) => !present.has(id))).toEqual([]);
    expect(status).toMatchObject({ state: 'writable', writerEndpoint: regions.standby.host });
    expect(again.outcome).toBe('already-promoted');
    expect(timelineBefore).toBe(1);
    expect(timelineAfter).toBe(2);
    console.log(`planned: fence ${fenceMs} ms, promote ${promoteMs} ms (${busyRetries} catch-up retries)`);
  });

  it('keeps a restarted old primary fenced', async () => {
    // Act
    await regions.primary.stop();
    await regions.primary.start();
    const rows = await query<{ ro: string }>(
      regions.primary.connectionConfig(),
      "SELECT current_setting('default_transaction_read_only') AS ro",
    );

    // Assess
    expect(rows[0]?.ro).toBe('on');
  });
});

describe('PostgresFailover when the primary region goes dark (unplanned path)', () => {
  let regions: LocalRegions;
  let adapter: PostgresFailover;
  let ref: SecretRef;

  beforeAll(async () => {
    regions = await startLocalRegions();
    ref = { file: regions.credentialsFile };
    adapter = new PostgresFailover(
      planFor(regions.databaseConfig(ref, { fence: { method: 'read-only', timeoutSeconds: 1 } })),
    );
    await query(regions.primary.connectionConfig(), 'CREATE TABLE orders (id int PRIMARY KEY)');
    await query(regions.primary.connectionConfig(), 'INSERT INTO orders (id) SELECT generate_series(1, 100)');
    await pollUntil(
      () => adapter.replicationLag(),
      (r) => r.bytes === 0,
    );
  });

  afterAll(async () => {
    await regions?.cleanup();
  });

  it('bounds an unplanned fence of a primary that accepts TCP but never answers', async () => {
    // Prepare: a frozen postmaster leaves connections in the kernel's backlog, like a black-holed region.
    const pid = regions.primary.pid() ?? 0;
    process.kill(pid, 'SIGSTOP');

    try {
      // Act
      const started = Date.now();
      const result = await adapter.fenceOldPrimary('unplanned');
      const elapsed = Date.now() - started;

      // Assess
      expect(result).toMatchObject({ fenced: false, method: 'unreachable' });
      expect(elapsed).toBeLessThan(fenceBoundMs(1));
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });

  it('reports lag unknown, never zero, once the primary is killed', async () => {
    // Act
    await regions.primary.kill();
    const seen: LagReading[] = [];
    const reading = await pollUntil(
      async () => {
        const r = await adapter.replicationLag();
        seen.push(r);
        return r;
      },
      (r) => r.status === 'unknown',
    );

    // Assess
    for (const r of seen) neverZeroWhenPrimaryLost(r);
    expect(reading).toMatchObject({ status: 'unknown', source: 'postgres:standby-only', sourceLost: true });
    expect(reading.bytes).toBeUndefined();
    expect(reading.seconds).toBeUndefined();
    expect(reading.detail).toMatch(/did not answer/);
    expect(reading.detail).toMatch(/received but not replayed/);
    expect(reading.detail).toMatch(/Unknown: how much the primary wrote/);
  });

  it('returns fenced:false within the bound for unplanned, and throws FenceFailedError for planned', async () => {
    // Act
    const started = Date.now();
    const unplanned = await adapter.fenceOldPrimary('unplanned');
    const elapsed = Date.now() - started;
    const planned = adapter.fenceOldPrimary('planned');

    // Assess
    expect(unplanned).toMatchObject({ fenced: false, method: 'unreachable' });
    expect(unplanned.detail).toMatch(/ECONNREFUSED|cannot reach/);
    expect(elapsed).toBeLessThan(fenceBoundMs(1));
    await expect(planned).rejects.toBeInstanceOf(FenceFailedError);
  });

  it('holds a planned promotion whose fenced primary died while the standby lacks the final LSN the fence recorded', async () => {
    // Prepare: this run's fence recorded a final LSN 1 MiB past what the standby replayed before the kill.
    const standby = regions.standby.connectionConfig();
    const rows = await query<{ lsn: string }>(standby, 'SELECT (pg_last_wal_replay_lsn() + 1048576)::text AS lsn');
    const finalLsn = rows[0]?.lsn ?? '';
    const fence = { fenced: true, method: 'read-only', detail: 'fenced by this run', finalLsn };

    // Act
    const behind = await adapter.promote('planned', { fence }).catch((e: unknown) => e);
    const unfenced = await adapter
      .promote('planned', { fence: { fenced: false, method: 'unreachable', detail: 'dark' } })
      .catch((e: unknown) => e);

    // Assess: retryable while behind, and never promoted on a fence that did not fence
    expect(behind).toBeInstanceOf(ResourceBusyError);
    expect((behind as Error).message).toContain(`1048576 bytes behind the final LSN the fence recorded (${finalLsn})`);
    expect((unfenced as Error).name).toBe('DatabaseUnreachableError');
    expect((await adapter.promotionStatus()).state).toBe('pending');
  });

  it('refuses a planned promotion without the primary, and promotes twice as one promotion when unplanned', async () => {
    // Prepare
    const standby = regions.standby.connectionConfig();
    const timelineBefore = await timelineOf(standby);

    // Act
    const planned = await adapter.promote('planned').catch((e: unknown) => e);
    const started = Date.now();
    const [a, b] = await Promise.all([adapter.promote('unplanned'), adapter.promote('unplanned')]);
    const promoteMs = Date.now() - started;
    const status = await pollUntil(
      () => adapter.promotionStatus(),
      (s) => s.state !== 'pending',
    );
    const third = await adapter.promote('unplanned');
    const rows = await query<{ n: string }>(standby, 'SELECT count(*) AS n FROM orders');

    // Assess
    expect((planned as Error).name).toBe('DatabaseUnreachableError');
    expect([a.outcome, b.outcome]).toContain('started');
    expect(third.outcome).toBe('already-promoted');
    expect(status.state).toBe('writable');
    expect(timelineBefore).toBe(1);
    expect(await timelineOf(standby)).toBe(2);
    expect(Number(rows[0]?.n)).toBe(100);
    console.log(`unplanned: promote ${promoteMs} ms`);
  });
});

describe('resolveSecret', () => {
  const password = 'pa55-never-print-me';
  const sm = mockClient(SecretsManagerClient);

  afterEach(() => {
    clearSecretCache();
    sm.reset();
  });

  it('resolves env and file references', async () => {
    // Prepare
    const file = join(tmpdir(), `dr-secret-${process.pid}.json`);
    await writeFile(file, JSON.stringify({ username: 'u', password }), { mode: 0o600 });

    // Act
    const fromEnv = await resolveSecret(
      { env: 'DB_CREDS' },
      { env: { DB_CREDS: JSON.stringify({ username: 'u', password }) } },
    );
    const fromFile = await resolveSecret({ file });

    // Assess
    expect(fromEnv).toEqual({ username: 'u', password });
    expect(fromFile).toEqual({ username: 'u', password });
  });

  it('resolves a Secrets Manager reference in the region of its ARN', async () => {
    // Prepare
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'u', password }) });
    const regions: (string | undefined)[] = [];
    const arn = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf';

    // Act
    const creds = await resolveSecret(
      { secretsManager: arn },
      {
        secretsManager: (region) => {
          regions.push(region);
          return new SecretsManagerClient({ region });
        },
      },
    );

    // Assess
    expect(creds.password).toBe(password);
    expect(regions).toEqual(['eu-west-1']);
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: arn });
  });

  it("resolves a name the way back pinned to the plan's standby region (a partial ARN) there, whatever AWS_REGION says", async () => {
    // Prepare: the stack in us-east-1 runs the plan turned round; its secrets stay in eu-west-1 (core/direction.ts).
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'u', password }) });
    const regions: (string | undefined)[] = [];
    const written = loadPlanFile('plans/orders.yml');
    const plan = {
      ...written,
      database: {
        kind: 'postgres',
        primary: {
          host: 'pg-a.example.internal',
          port: 5432,
          database: 'postgres',
          credentials: { secretsManager: 'dr/orders-primary' },
        },
        standby: { host: 'pg-b.example.internal', port: 5432, database: 'postgres', credentials: { env: 'PGSTANDBY' } },
        fence: { method: 'read-only', timeoutSeconds: 5 },
      },
    } as Plan;
    const back = orientPlan(plan, 'standby');
    const ref = (back.database as Extract<Plan['database'], { kind: 'postgres' }>).standby.credentials;

    // Act
    const creds = await resolveSecret(ref, {
      env: { AWS_REGION: 'us-east-1' },
      secretsManager: (region) => {
        regions.push(region);
        return new SecretsManagerClient({ region });
      },
    });

    // Assess
    expect(creds.password).toBe(password);
    expect(regions).toEqual(['eu-west-1']);
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:dr/orders-primary',
    });
  });

  it('throws ConfigurationError naming the reference, never the value, when a secret is missing or malformed', async () => {
    // Act
    const missing = await resolveSecret({ env: 'NOPE' }, { env: {} }).catch((e: unknown) => e);
    const malformed = await resolveSecret(
      { env: 'BAD' },
      { env: { BAD: `{"username":"u","password":"${password}"` } },
    ).catch((e: unknown) => e);
    const noPassword = await resolveSecret(
      { env: 'HALF' },
      { env: { HALF: JSON.stringify({ username: password }) } },
    ).catch((e: unknown) => e);
    const noFile = await resolveSecret({ file: '/nonexistent/creds.json' }).catch((e: unknown) => e);

    // Assess
    for (const [error, ref] of [
      [missing, 'env:NOPE'],
      [malformed, 'env:BAD'],
      [noPassword, 'env:HALF'],
      [noFile, 'file:/nonexistent/creds.json'],
    ] as const) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toContain(ref);
      expect((error as Error).message).not.toContain(password);
      expect(String((error as Error).cause ?? '')).not.toContain(password);
    }
  });
});
