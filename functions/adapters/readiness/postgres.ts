/**
 * Readiness reads of a self-managed PostgreSQL standby, through the failover adapter's own lag reading (one
 * bounded session on the standby, a bounded best-effort probe of the primary): reachable, in recovery, lagging by.
 */
import type { PostgresFailover } from '#adapters/database/postgres.js';
import { DatabaseUnreachableError } from '#core/errors.js';
import type { PlanWithDatabase } from '#core/plan.js';
import type { BackupFacts, LagReading, StandbyFacts, WriterFacts } from '#core/ports.js';

/** The lag source the postgres adapter reports for a standby that is no longer in recovery. */
const PROMOTED_SOURCE = 'postgres:standby-promoted';

export class PostgresReadiness {
  readonly #plan: PlanWithDatabase<'postgres'>;
  readonly #failover: Pick<PostgresFailover, 'replicationLag'>;
  #reading: Promise<LagReading> | undefined;

  constructor(plan: PlanWithDatabase<'postgres'>, failover: Pick<PostgresFailover, 'replicationLag'>) {
    this.#plan = plan;
    this.#failover = failover;
  }

  /** One reading per run: the standby, lag and writer reads share it. */
  replicationLag(): Promise<LagReading> {
    this.#reading ??= this.#failover.replicationLag();
    return this.#reading;
  }

  async standby(): Promise<StandbyFacts> {
    const standby = this.#plan.database.standby;
    const where = `standby ${standby.host}:${standby.port}`;
    let reading: LagReading;
    try {
      reading = await this.replicationLag();
    } catch (error) {
      // An unreachable standby is the finding itself, not a failure to check.
      if (error instanceof DatabaseUnreachableError) {
        return { exists: false, detail: `${where} unreachable: ${error.message}` };
      }
      throw error;
    }
    if (reading.source === PROMOTED_SOURCE) {
      return { exists: true, role: 'promoted', state: 'not in recovery', detail: reading.detail ?? where };
    }
    const streaming = /WAL receiver streaming/.test(reading.detail ?? '');
    const facts: StandbyFacts = {
      exists: true,
      role: 'replica',
      state: 'in recovery',
      replication: streaming ? 'streaming' : 'not streaming',
      detail: `${where} is in recovery; ${reading.detail ?? ''}`,
    };
    if (/replay is PAUSED/.test(reading.detail ?? '')) {
      facts.blocker = { status: 'WARN', reason: `${where}: WAL replay is paused` };
    } else if (!streaming) {
      facts.blocker = { status: 'WARN', reason: `${where} is in recovery but not streaming from the primary` };
    }
    return facts;
  }

  /** dr-failover cannot see the backups of a self-managed server: a documented WARN, never a silent OK. */
  async backup(): Promise<BackupFacts> {
    return {
      kind: 'not-checked',
      detail:
        'self-managed PostgreSQL: its backups (pgBackRest, WAL-G, Barman ...) are outside what dr-failover can read; ' +
        'alert on their age with your backup tool',
    };
  }

  async writer(): Promise<WriterFacts> {
    const db = this.#plan.database;
    const standbyAddress = db.writerAddress ?? db.standby.host;
    const reading = await this.replicationLag();
    if (reading.source === PROMOTED_SOURCE) {
      return { role: 'standby', endpoints: [standbyAddress], forbidden: [], detail: 'the standby is promoted' };
    }
    return {
      role: 'primary',
      endpoints: [db.primary.host],
      forbidden: [standbyAddress],
      detail: `the standby is in recovery: ${db.primary.host} is the writer`,
    };
  }
}
