import { describe, expect, it, vi } from 'vitest';
import { PostgresReadiness } from '#adapters/readiness/postgres.js';
import { DatabaseUnreachableError } from '#core/errors.js';
import type { PlanWithDatabase } from '#core/plan.js';
import { parsePlan } from '#core/plan.js';
import type { LagReading } from '#core/ports.js';

const plan = parsePlan(
  {
    name: 'ledger',
    accountId: '111122223333',
    regions: { primary: 'us-east-1', standby: 'eu-west-1' },
    trigger: { alarms: [] },
    rpo: { maxLagSeconds: 5, onExceeded: 'abort' },
    rto: { targetSeconds: 60 },
    database: {
      kind: 'postgres',
      primary: { host: '10.0.1.10', credentials: { env: 'PRIMARY_DB' } },
      standby: { host: '10.1.1.10', credentials: { env: 'STANDBY_DB' } },
    },
    dns: {
      kind: 'route53',
      hostedZoneId: 'Z0LEDGER',
      zoneName: 'ledger.internal',
      recordName: 'db.ledger.internal',
      recordType: 'A',
      ttl: 10,
    },
    notify: { eventBus: 'dr-failover' },
  },
  'test',
) as PlanWithDatabase<'postgres'>;

const streaming: LagReading = {
  status: 'known',
  seconds: 0,
  bytes: 0,
  observedAt: '2026-11-26T12:00:00.000Z',
  source: 'postgres:primary-lsn-vs-replay',
  detail: 'standby replayed up to 0/3000000; WAL receiver streaming, last message from the primary 0.1 s ago',
};

describe('PostgresReadiness', () => {
  it('reads the standby once for standby, lag and writer, and names the primary the writer while in recovery', async () => {
    // Prepare
    const replicationLag = vi.fn(async () => streaming);
    const reader = new PostgresReadiness(plan, { replicationLag });

    // Act
    const [standby, lag, writer] = await Promise.all([reader.standby(), reader.replicationLag(), reader.writer()]);

    // Assess
    expect(replicationLag).toHaveBeenCalledOnce();
    expect(standby).toMatchObject({ exists: true, role: 'replica', state: 'in recovery', replication: 'streaming' });
    expect(standby.blocker).toBeUndefined();
    expect(lag).toBe(streaming);
    expect(writer).toMatchObject({ role: 'primary', endpoints: ['10.0.1.10'], forbidden: ['10.1.1.10'] });
  });

  it('reports an unreachable standby as missing, and a promoted one as the writer', async () => {
    // Prepare
    const unreachable = new PostgresReadiness(plan, {
      replicationLag: async () => {
        throw new DatabaseUnreachableError('cannot reach the standby 10.1.1.10:5432: ECONNREFUSED');
      },
    });
    const promoted = new PostgresReadiness(plan, {
      replicationLag: async () => ({ ...streaming, source: 'postgres:standby-promoted', detail: 'not in recovery' }),
    });

    // Act
    const gone = await unreachable.standby();
    const promotedStandby = await promoted.standby();
    const writer = await promoted.writer();

    // Assess
    expect(gone).toMatchObject({ exists: false, detail: expect.stringContaining('ECONNREFUSED') });
    expect(promotedStandby).toMatchObject({ exists: true, role: 'promoted' });
    expect(writer).toMatchObject({ role: 'standby', endpoints: ['10.1.1.10'], forbidden: [] });
  });

  it('flags a standby that is not streaming, and says backups are not checked', async () => {
    // Prepare
    const reader = new PostgresReadiness(plan, {
      replicationLag: async () => ({ ...streaming, status: 'unknown', detail: 'no WAL receiver running' }),
    });

    // Act
    const standby = await reader.standby();
    const backup = await reader.backup();

    // Assess
    expect(standby.blocker).toEqual({
      status: 'WARN',
      reason: 'standby 10.1.1.10:5432 is in recovery but not streaming from the primary',
    });
    expect(backup.kind).toBe('not-checked');
  });
});
