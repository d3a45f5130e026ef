/**
 * The read-only fence of a self-managed PostgreSQL primary, bounded as a whole by the plan's `fence.timeoutSeconds`:
 * `ALTER SYSTEM SET default_transaction_read_only = on` (persisted, so a restarted old primary comes back read-only),
 * reload, wait until new sessions are read-only, end every other client session at once and wait until they are
 * gone, then read the final WAL position.
 *
 * What it reports is what it left. Once the setting is written and the reload requested the old primary IS read-only,
 * so a fence that fails or runs out of time after that says so (with the client sessions still open, where it knows
 * them), never "not fenced"; one that wrote the setting but could not request the reload says the primary still
 * takes writes and turns read-only at its next reload or restart.
 */
import type pg from 'pg';
import { DatabaseUnreachableError, FenceFailedError } from '#core/errors.js';
import type { FailoverMode } from '#core/input.js';
import type { FenceResult } from '#core/ports.js';
import { delay, type PgSessions } from './postgres-sessions.js';

/** Time kept back from the bound for the queries after the sessions are gone, and for closing. */
const FINISH_MARGIN_MS = 250;
const POLL_MS = 10;
/** Sessions named in a report; the count covers the rest. */
const NAMED_SESSIONS = 10;

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
const STILL_OPEN_SQL = `
  SELECT pid, backend_start::text AS backend_start, usename, application_name, state,
         xact_start::text AS xact_start, host(client_addr) AS client_addr
    FROM pg_stat_activity WHERE pid = ANY($1::int[])`;

/** A session, by pid and start time. */
interface Session {
  pid: number;
  backend_start: string;
}

interface OpenSession extends Session {
  usename: string | null;
  application_name: string | null;
  state: string | null;
  xact_start: string | null;
  client_addr: string | null;
}

/** What ending the client sessions came to: how many there were, and those still open when time ran out. */
interface Ending {
  total: number;
  signalled: number;
  open: OpenSession[];
}

const describeSession = (s: OpenSession): string => {
  const app = s.application_name ? `, ${JSON.stringify(s.application_name)}` : '';
  const since = s.xact_start ? `, in a transaction since ${s.xact_start}` : '';
  const from = s.client_addr ? `, from ${s.client_addr}` : '';
  return `pid ${s.pid} (${s.usename ?? 'unknown user'}${app}, ${s.state ?? 'state unknown'}${since}${from})`;
};

const describeSessions = (open: OpenSession[]): string => {
  const named = open.slice(0, NAMED_SESSIONS).map(describeSession).join('; ');
  return open.length > NAMED_SESSIONS ? `${named}; and ${open.length - NAMED_SESSIONS} more` : named;
};

/** How far the read-only setting got: written by ALTER SYSTEM, reload requested, seen by a new session. */
type ReadOnlySetting = 'persisted' | 'reloading' | 'verified';

/** What on-call does with an old primary the fence left read-only but not fenced. */
const LEFT_READ_ONLY_ADVICE =
  'End the sessions still open (SELECT pg_terminate_backend(pid)) or stop the server; to let it take writes ' +
  'again instead: ALTER SYSTEM RESET default_transaction_read_only; SELECT pg_reload_conf()';

const inRecovery = async (c: pg.Client): Promise<boolean> =>
  (await c.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery')).rows[0]?.in_recovery ?? false;

export class PgFence {
  constructor(
    private readonly sessions: PgSessions,
    private readonly timeoutSeconds: number,
    private readonly connectTimeoutMs: number,
    private readonly stopAsked: boolean,
  ) {}

  /** Planned: fences or throws FenceFailedError saying what it left. Unplanned: best effort, never throws. */
  async run(mode: FailoverMode): Promise<FenceResult> {
    const { result, cause } = await this.attempt(mode);
    if (mode === 'planned' && !result.fenced) {
      throw new FenceFailedError(result.detail, cause === undefined ? undefined : { cause });
    }
    return result;
  }

  private get addr(): string {
    return this.sessions.addr('primary');
  }

  /** One bounded attempt; a failure becomes a result saying what it left, with the error as its cause. */
  private async attempt(mode: FailoverMode): Promise<{ result: FenceResult; cause?: unknown }> {
    const budgetMs = this.timeoutSeconds * 1000;
    const started = Date.now();
    const deadline = started + budgetMs;
    const bounds = {
      budgetMs,
      connectTimeoutMs: Math.min(this.connectTimeoutMs, budgetMs),
      statementTimeoutMs: budgetMs,
    };
    // How far the read-only setting got, once ALTER SYSTEM has succeeded: a failure after it must say so.
    let setting: ReadOnlySetting | undefined;
    try {
      const result = await this.sessions.session('primary', bounds, async (c) => {
        if (await inRecovery(c)) return this.inRecoveryResult();
        await c.query('ALTER SYSTEM SET default_transaction_read_only = on');
        setting = 'persisted';
        await c.query('SELECT pg_reload_conf()');
        setting = 'reloading';
        // The reload is asynchronous: terminate writers only once new sessions are read-only, so that a client
        // reconnecting at once cannot land on a session forked before the reload.
        await this.waitUntilNewSessionsReadOnly(deadline);
        setting = 'verified';
        const ending = await this.endClientSessions(c, deadline - FINISH_MARGIN_MS);
        if (ending.open.length > 0) return this.sessionsLeft(ending, started);
        return this.fenced(c, ending, started);
      });
      return { result };
    } catch (error) {
      const result =
        setting === undefined || setting === 'persisted'
          ? this.notFenced(error, started, mode, setting === 'persisted')
          : this.unfinished(error, started, setting);
      return { result, cause: error };
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

  /** Signals every other client session at once, then waits until they are gone or `until` passes. */
  private async endClientSessions(c: pg.Client, until: number): Promise<Ending> {
    const found = (await c.query<Session & { signalled: boolean }>(TERMINATE_CLIENTS_SQL)).rows;
    // Not signalled: the session ended between the snapshot and the signal.
    const signalled = found.filter((s) => s.signalled);
    const starts = new Map(signalled.map((s) => [s.pid, s.backend_start]));
    for (;;) {
      const open = (await c.query<OpenSession>(STILL_OPEN_SQL, [[...starts.keys()]])).rows.filter(
        (s) => starts.get(s.pid) === s.backend_start,
      );
      if (open.length === 0 || Date.now() >= until) return { total: found.length, signalled: signalled.length, open };
      await delay(POLL_MS);
    }
  }

  private inRecoveryResult(): FenceResult {
    return {
      fenced: true,
      method: 'in-recovery',
      detail: `old primary ${this.addr} is in recovery (a standby): it accepts no writes`,
    };
  }

  /** After the writers are gone: nothing a client committed lies beyond this position. */
  private async fenced(c: pg.Client, ending: Ending, started: number): Promise<FenceResult> {
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
        `${stopNote}old primary ${this.addr} set default_transaction_read_only = on (ALTER SYSTEM: ` +
        `survives a restart), new sessions verified read-only, ${ending.signalled} of ${ending.total} client ` +
        `sessions terminated and gone, final LSN ${finalLsn}, in ${Date.now() - started} ms`,
    };
  }

  /** Read-only, but client sessions outlived the bound: one inside a transaction begun before could still commit. */
  private sessionsLeft(ending: Ending, started: number): FenceResult {
    const { open, signalled } = ending;
    return {
      fenced: false,
      method: 'read-only',
      readOnly: {
        persisted: true,
        openSessions: open.length,
        sessions: open.slice(0, NAMED_SESSIONS).map(describeSession),
      },
      detail:
        `old primary ${this.addr} IS read-only (default_transaction_read_only = on, persisted with ALTER SYSTEM: a ` +
        `restart keeps it; new sessions verified read-only) but not fully fenced: ${open.length} of the ` +
        `${signalled} client sessions it terminated were still open ${Date.now() - started} ms after the fence ` +
        `began: ${describeSessions(open)}. A session inside a transaction begun before the fence can still ` +
        `commit. ${LEFT_READ_ONLY_ADVICE}`,
    };
  }

  /** Failed once the reload was requested: read-only, persisted, with the client sessions in an unknown state. */
  private unfinished(error: unknown, started: number, setting: 'reloading' | 'verified'): FenceResult {
    const why = error instanceof Error ? error.message : String(error);
    const verified = setting === 'verified' ? 'new sessions verified read-only' : 'a reload was requested';
    return {
      fenced: false,
      method: 'read-only',
      readOnly: { persisted: true },
      detail:
        `old primary ${this.addr} IS read-only (default_transaction_read_only = on, persisted with ALTER SYSTEM: a ` +
        `restart keeps it; ${verified}) but not fully fenced: the fence stopped after ${Date.now() - started} ms: ` +
        `${why}; whether every client session ended is not known. ${LEFT_READ_ONLY_ADVICE}`,
    };
  }

  /**
   * Failed before the old primary turned read-only. `persisted`: ALTER SYSTEM wrote the setting but the reload was
   * not requested, so it still takes writes and turns read-only at its next reload or restart.
   */
  private notFenced(error: unknown, started: number, mode: FailoverMode, persisted: boolean): FenceResult {
    const why = error instanceof Error ? error.message : String(error);
    const written = persisted
      ? '; default_transaction_read_only = on was written with ALTER SYSTEM but not applied: the old primary still ' +
        'takes writes, and turns read-only at its next reload or restart'
      : '';
    const detail =
      mode === 'planned'
        ? `could not fence the old primary ${this.addr}: ${why}${written}`
        : `old primary not fenced (best effort, ${Date.now() - started} ms): ${why}${written}. If it comes back it may take writes: fence it before it does`;
    return { fenced: false, method: error instanceof DatabaseUnreachableError ? 'unreachable' : 'failed', detail };
  }
}
