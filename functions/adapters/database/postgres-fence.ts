/**
 * The read-only fence of a self-managed PostgreSQL primary, bounded as a whole by the plan's `fence.timeoutSeconds`:
 * `ALTER SYSTEM SET default_transaction_read_only = on` (persisted, so a restarted old primary comes back read-only),
 * reload, wait until new sessions are read-only, end every other client session at once and wait until they are
 * gone, then read the final WAL position.
 */
import type pg from 'pg';
import { DatabaseUnreachableError, FenceFailedError } from '#core/errors.js';
import type { FailoverMode } from '#core/input.js';
import type { FenceResult } from '#core/ports.js';
import { delay, type PgSessions } from './postgres-sessions.js';

/** Time kept back from the bound for the queries after the sessions are gone, and for closing. */
const FINISH_MARGIN_MS = 250;
const POLL_MS = 10;

/**
 * SIGTERM to every other client session in one statement, without waiting for each to exit (the per-session wait
 * of `pg_terminate_backend(pid, timeout)` polls every 100 ms: a busy primary would outlast the bound). Walsenders
 * stay, so the standby receives the last WAL the primary wrote. MATERIALIZED keeps the filter ahead of the call.
 */
const TERMINATE_CLIENTS_SQL = `
  WITH clients AS MATERIALIZED (
    SELECT pid, backend_start FROM pg_stat_activity
     WHERE backend_type = 'client backend' AND pid <> pg_backend_pid())
  SELECT pid, backend_start::text AS backend_start, pg_terminate_backend(pid) AS signalled FROM clients`;

/** The signalled sessions still running: a pid with another start time is a new session that reused it. */
const STILL_RUNNING_SQL = `
  SELECT pid, backend_start::text AS backend_start FROM pg_stat_activity WHERE pid = ANY($1::int[])`;

/** A session, by pid and start time. */
interface Session {
  pid: number;
  backend_start: string;
}

export class PgFence {
  constructor(
    private readonly sessions: PgSessions,
    private readonly timeoutSeconds: number,
    private readonly connectTimeoutMs: number,
    private readonly stopAsked: boolean,
  ) {}

  /** Planned: fences or throws FenceFailedError. Unplanned: best effort, never throws. */
  async run(mode: FailoverMode): Promise<FenceResult> {
    const budgetMs = this.timeoutSeconds * 1000;
    const started = Date.now();
    const deadline = started + budgetMs;
    const bounds = {
      budgetMs,
      connectTimeoutMs: Math.min(this.connectTimeoutMs, budgetMs),
      statementTimeoutMs: budgetMs,
    };
    try {
      return await this.sessions.session('primary', bounds, async (c) => {
        if (await inRecovery(c)) {
          return {
            fenced: true,
            method: 'in-recovery',
            detail: `old primary ${this.sessions.addr('primary')} is in recovery (a standby): it accepts no writes`,
          };
        }
        await c.query('ALTER SYSTEM SET default_transaction_read_only = on');
        await c.query('SELECT pg_reload_conf()');
        // The reload is asynchronous: terminate writers only once new sessions are read-only, so that a client
        // reconnecting at once cannot land on a session forked before the reload.
        await this.waitUntilNewSessionsReadOnly(deadline);
        const ended = await this.endClientSessions(c, deadline - FINISH_MARGIN_MS);
        return this.fenced(c, ended, started);
      });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      if (mode === 'planned') {
        throw new FenceFailedError(`could not fence the old primary ${this.sessions.addr('primary')}: ${why}`, {
          cause: error,
        });
      }
      return {
        fenced: false,
        method: error instanceof DatabaseUnreachableError ? 'unreachable' : 'failed',
        detail: `old primary not fenced (best effort, ${Date.now() - started} ms): ${why}. If it comes back it may take writes: fence it before it does`,
      };
    }
  }

  private async waitUntilNewSessionsReadOnly(deadline: number): Promise<void> {
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new FenceFailedError('new sessions on the old primary are still read-write');
      const setting = await this.sessions.session(
        'primary',
        { budgetMs: remaining, connectTimeoutMs: remaining, statementTimeoutMs: remaining },
        async (c) =>
          (await c.query<{ v: string }>("SELECT current_setting('default_transaction_read_only') AS v")).rows[0]?.v,
      );
      if (setting === 'on') return;
      await delay(20);
    }
  }

  /** Signals every other client session at once, then waits until they are gone. */
  private async endClientSessions(c: pg.Client, until: number): Promise<{ ended: number; total: number }> {
    const found = (await c.query<Session & { signalled: boolean }>(TERMINATE_CLIENTS_SQL)).rows;
    // Not signalled: the session ended between the snapshot and the signal.
    const signalled = found.filter((s) => s.signalled);
    const starts = new Map(signalled.map((s) => [s.pid, s.backend_start]));
    for (;;) {
      const running = (await c.query<Session>(STILL_RUNNING_SQL, [[...starts.keys()]])).rows.filter(
        (s) => starts.get(s.pid) === s.backend_start,
      );
      if (running.length === 0) return { ended: signalled.length, total: found.length };
      if (Date.now() >= until) {
        throw new FenceFailedError(
          `${running.length} of ${signalled.length} client sessions still running after they were terminated ` +
            `(pids ${running.map((s) => s.pid).join(', ')})`,
        );
      }
      await delay(POLL_MS);
    }
  }

  /** After the writers are gone: nothing a client committed lies beyond this position. */
  private async fenced(
    c: pg.Client,
    sessions: { ended: number; total: number },
    started: number,
  ): Promise<FenceResult> {
    const lsn = await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const finalLsn = lsn.rows[0]?.lsn ?? '0/0';
    const stopNote = this.stopAsked
      ? 'fence method "stop" asked: a server cannot be shut down over SQL, so it was fenced read-only instead ' +
        '(stop it with its service manager if you need it down); '
      : '';
    return {
      fenced: true,
      method: 'read-only',
      finalLsn,
      detail:
        `${stopNote}old primary ${this.sessions.addr('primary')} set default_transaction_read_only = on (ALTER SYSTEM: ` +
        `survives a restart), new sessions verified read-only, ${sessions.ended} of ${sessions.total} client sessions terminated and gone, ` +
        `final LSN ${finalLsn}, in ${Date.now() - started} ms`,
    };
  }
}

const inRecovery = async (c: pg.Client): Promise<boolean> =>
  (await c.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery')).rows[0]?.in_recovery ?? false;
