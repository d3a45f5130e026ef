/**
 * Self-managed PostgreSQL (`database.kind: postgres`): a primary and a streaming physical standby reached over
 * the network with short-lived connections (a step opens, queries, closes).
 *
 * - Lag is measured on the standby in bytes and seconds, against the primary's current LSN where the primary
 *   answers within a short bound, else against what the WAL receiver last heard. A standby that lost its primary
 *   reports `unknown`, never zero.
 * - Fencing sets `default_transaction_read_only` with ALTER SYSTEM (persisted, so a restarted old primary comes
 *   back read-only) and terminates the other client sessions. It stops applications' writes; it cannot stop a
 *   session that explicitly asks for `BEGIN READ WRITE` or a superuser who turns it off again.
 * - A planned promotion first checks that the standby has replayed everything the fenced primary wrote, and
 *   throws the retryable ResourceBusyError while it has not, so the state machine's Retry does the waiting.
 */
import pg from 'pg';
import {
  ConfigurationError,
  DatabaseUnreachableError,
  DrFailoverError,
  FenceFailedError,
  PromotionFailedError,
  ResourceBusyError,
} from '#core/errors.js';
import type { FailoverMode } from '#core/input.js';
import type { PgEndpoint, PlanWithDatabase } from '#core/plan.js';
import type {
  DatabaseFailover,
  FenceResult,
  LagReading,
  PromoteContext,
  PromoteResult,
  PromotionStatus,
} from '#core/ports.js';
import { type DbCredentials, forgetSecret, resolveSecret } from '../secrets.js';

export interface PostgresFailoverDeps {
  secrets?: typeof resolveSecret;
  /** Bound on opening a connection to the standby (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Bound on each statement (default 10000 ms; promotion gets its own). */
  statementTimeoutMs?: number;
  /** Bound on the lag check's best-effort read of the primary, which may be dark (default 1500 ms). */
  primaryProbeTimeoutMs?: number;
  /** `pg_promote(wait_seconds => N)` (default 60). */
  promoteWaitSeconds?: number;
}

type Role = 'primary' | 'standby';

interface SessionBounds {
  /** The whole session (connect and every query); the socket is destroyed when it runs out. */
  budgetMs: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

const APPLICATION_NAME = 'dr-failover';

/** SQLSTATEs and socket codes meaning "could not talk to the server", which waiting can clear. */
const UNREACHABLE_SQLSTATE = /^(08|57P0[123]|53300|57014)/;
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** An LSN such as `16/B374D848` as a 64-bit number. */
export const lsnToBigInt = (lsn: string): bigint => {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
};

/** Bytes from `from` to `to`, never negative. */
const bytesBetween = (from: string, to: string): number => {
  const diff = lsnToBigInt(to) - lsnToBigInt(from);
  return diff > 0n ? Number(diff) : 0;
};

const round3 = (n: number) => Math.round(n * 1000) / 1000;

interface PgLikeError {
  code?: string;
  message?: string;
}

/** Closes a connection without waiting on a server that may never answer. */
const close = async (client: pg.Client) => {
  await Promise.race([client.end().catch(() => undefined), delay(250)]);
  // pg keeps its socket private; destroying it frees a connection whose server went dark mid-goodbye.
  (client as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream?.destroy?.();
};

export class PostgresFailover implements DatabaseFailover {
  private readonly db: PlanWithDatabase<'postgres'>['database'];
  private readonly secrets: typeof resolveSecret;
  private readonly connectTimeoutMs: number;
  private readonly statementTimeoutMs: number;
  private readonly primaryProbeTimeoutMs: number;
  private readonly promoteWaitSeconds: number;

  constructor(plan: PlanWithDatabase<'postgres'>, deps: PostgresFailoverDeps = {}) {
    this.db = plan.database;
    this.secrets = deps.secrets ?? resolveSecret;
    this.connectTimeoutMs = deps.connectTimeoutMs ?? 5000;
    this.statementTimeoutMs = deps.statementTimeoutMs ?? 10_000;
    this.primaryProbeTimeoutMs = deps.primaryProbeTimeoutMs ?? 1500;
    this.promoteWaitSeconds = deps.promoteWaitSeconds ?? 60;
  }

  async writerEndpoint(): Promise<string> {
    return this.db.writerAddress ?? this.db.standby.host;
  }

  // ------------------------------------------------------------------ lag

  async replicationLag(): Promise<LagReading> {
    const observedAt = new Date().toISOString();
    // In parallel: the primary may be dark, and its bounded probe must not add to the standby's time.
    const primaryProbe = this.probePrimaryLsn();
    const standby = await this.session('standby', this.standardBounds(), async (c) => {
      const recovery = await c.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery');
      if (!recovery.rows[0]?.in_recovery) return undefined;
      const r = await c.query<StandbyLagRow>(STANDBY_LAG_SQL);
      return r.rows[0];
    });
    const primary = await primaryProbe;

    if (standby === undefined) {
      return {
        status: 'known',
        seconds: 0,
        bytes: 0,
        observedAt,
        source: 'postgres:standby-promoted',
        detail: `standby ${this.addr('standby')} is not in recovery: it is already promoted, so replication lag no longer applies`,
        alreadyPromoted: true,
      };
    }
    const replay = standby.replay_lsn ?? '0/0';
    const facts = [
      `standby replayed up to ${standby.replay_lsn ?? 'nothing'}`,
      standby.unreplayed_bytes !== null
        ? `${standby.unreplayed_bytes} bytes received but not replayed`
        : 'nothing received by streaming since it started',
      standby.replay_paused ? 'WAL replay is PAUSED (pg_wal_replay_resume() resumes it)' : undefined,
      standby.receiver_status
        ? `WAL receiver ${standby.receiver_status}, last message from the primary ${round3(standby.since_contact ?? Number.NaN)} s ago`
        : 'no WAL receiver running',
    ].filter(Boolean);

    if ('lsn' in primary) {
      const bytes = bytesBetween(replay, primary.lsn);
      const base = `primary ${this.addr('primary')} at ${primary.lsn}, ${bytes} bytes ahead of replay; ${facts.join('; ')}`;
      if (bytes === 0) {
        return {
          status: 'known',
          seconds: 0,
          bytes: 0,
          observedAt,
          source: 'postgres:primary-lsn-vs-replay',
          detail: base,
        };
      }
      return this.pendingReading(bytes, standby, observedAt, 'postgres:primary-lsn-vs-replay', base, 0);
    }

    const lostPrimary = `primary ${this.addr('primary')} did not answer (${primary.error})`;
    if (standby.receiver_status === 'streaming' && standby.latest_end_lsn !== null && standby.since_contact !== null) {
      // Replication still streams: the primary's WAL end as of its last message is known, anything after is not.
      const bytes = bytesBetween(replay, standby.latest_end_lsn);
      const detail = `${lostPrimary}, but replication streams: the primary reported WAL up to ${standby.latest_end_lsn} ${round3(standby.since_contact)} s ago and may have written since; ${facts.join('; ')}`;
      return this.pendingReading(
        bytes,
        standby,
        observedAt,
        'postgres:walreceiver-vs-replay',
        detail,
        standby.since_contact,
      );
    }
    return {
      status: 'unknown',
      observedAt,
      source: 'postgres:standby-only',
      detail:
        `${lostPrimary} and the standby is not streaming from it. Known: ${facts.join('; ')}` +
        `${standby.last_replayed_xact ? `; last replayed commit was made on the primary at ${standby.last_replayed_xact.toISOString()}` : ''}. ` +
        'Unknown: how much the primary wrote after the standby last heard from it.',
    };
  }

  /**
   * WAL is pending: its age is at most the time since the last replayed commit (an over-estimate after an idle
   * spell, never an under-estimate), and at least `floorSeconds` (time since the primary was last heard from).
   */
  private pendingReading(
    bytes: number,
    standby: StandbyLagRow,
    observedAt: string,
    source: string,
    detail: string,
    floorSeconds: number,
  ): LagReading {
    if (bytes === 0) {
      return { status: 'known', seconds: round3(floorSeconds), bytes, observedAt, source, detail };
    }
    if (standby.since_replayed_xact === null) {
      return {
        status: 'unknown',
        bytes,
        observedAt,
        source,
        detail: `${detail}; no commit replayed since the standby started, so the age of the pending WAL is unknown`,
      };
    }
    const seconds = round3(Math.max(floorSeconds, standby.since_replayed_xact, 0));
    return { status: 'known', seconds, bytes, observedAt, source, detail };
  }

  /** The primary's current WAL position, bounded; never throws (the primary may be dark). */
  private async probePrimaryLsn(): Promise<{ lsn: string } | { error: string }> {
    const ms = this.primaryProbeTimeoutMs;
    try {
      return await this.session(
        'primary',
        { budgetMs: ms, connectTimeoutMs: ms, statementTimeoutMs: ms },
        async (c) => {
          const r = await c.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery');
          if (r.rows[0]?.in_recovery) return { error: 'it is in recovery: not a primary any more' };
          const lsn = await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
          return { lsn: lsn.rows[0]?.lsn ?? '0/0' };
        },
      );
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }

  // ------------------------------------------------------------------ fence

  async fenceOldPrimary(mode: FailoverMode): Promise<FenceResult> {
    const { method, timeoutSeconds } = this.db.fence;
    const budgetMs = timeoutSeconds * 1000;
    const deadline = Date.now() + budgetMs;
    const started = Date.now();
    try {
      return await this.session(
        'primary',
        { budgetMs, connectTimeoutMs: Math.min(this.connectTimeoutMs, budgetMs), statementTimeoutMs: budgetMs },
        async (c) => {
          const r = await c.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery');
          if (r.rows[0]?.in_recovery) {
            return {
              fenced: true,
              method: 'in-recovery',
              detail: `old primary ${this.addr('primary')} is in recovery (a standby): it accepts no writes`,
            };
          }
          await c.query('ALTER SYSTEM SET default_transaction_read_only = on');
          await c.query('SELECT pg_reload_conf()');
          // The reload is asynchronous: terminate writers only once new sessions are read-only, so that a client
          // reconnecting at once cannot land on a session forked before the reload.
          await this.waitUntilNewSessionsReadOnly(deadline);
          const waitMs = Math.max(1, Math.min(2000, deadline - Date.now() - 200));
          // Client sessions only: walsenders stay, so the standby receives the last WAL the primary wrote.
          const t = await c.query<{ terminated: string; total: string }>(
            `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, $1)) AS terminated, count(*) AS total
               FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
            [waitMs],
          );
          // After the writers are gone: nothing a client committed lies beyond this position.
          const lsn = await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
          const finalLsn = lsn.rows[0]?.lsn ?? '0/0';
          const stopNote =
            method === 'stop'
              ? 'fence method "stop" asked: a server cannot be shut down over SQL, so it was fenced read-only instead ' +
                '(stop it with its service manager if you need it down); '
              : '';
          return {
            fenced: true,
            method: 'read-only',
            finalLsn,
            detail:
              `${stopNote}old primary ${this.addr('primary')} set default_transaction_read_only = on (ALTER SYSTEM: ` +
              `survives a restart), new sessions verified read-only, ${t.rows[0]?.terminated ?? 0} of ` +
              `${t.rows[0]?.total ?? 0} client sessions terminated, final LSN ${finalLsn}, in ${Date.now() - started} ms`,
          } satisfies FenceResult;
        },
      );
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      if (mode === 'planned') {
        throw new FenceFailedError(`could not fence the old primary ${this.addr('primary')}: ${why}`, {
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
      const setting = await this.session(
        'primary',
        { budgetMs: remaining, connectTimeoutMs: remaining, statementTimeoutMs: remaining },
        async (c) =>
          (await c.query<{ v: string }>("SELECT current_setting('default_transaction_read_only') AS v")).rows[0]?.v,
      );
      if (setting === 'on') return;
      await delay(20);
    }
  }

  // ------------------------------------------------------------------ promote

  async promote(mode: FailoverMode, context: PromoteContext = {}): Promise<PromoteResult> {
    const wait = this.promoteWaitSeconds;
    const bounds: SessionBounds = {
      budgetMs: (wait + 10) * 1000,
      connectTimeoutMs: this.connectTimeoutMs,
      statementTimeoutMs: (wait + 5) * 1000,
    };
    return this.session('standby', bounds, async (c) => {
      if (!(await this.inRecovery(c))) return this.alreadyPromoted(c);
      const caughtUp = mode === 'planned' ? await this.requireCaughtUp(c, context.fence) : '';
      const started = Date.now();
      let ok: boolean | undefined;
      try {
        ok = (await c.query<{ ok: boolean }>('SELECT pg_promote(true, $1) AS ok', [wait])).rows[0]?.ok;
      } catch (error) {
        // A concurrent promotion finished first: "recovery is not in progress".
        if ((error as PgLikeError).code === '55000') return this.alreadyPromoted(c);
        throw error;
      }
      if (!ok && (await this.inRecovery(c))) {
        throw new PromotionFailedError(
          `pg_promote on ${this.addr('standby')} returned false: not promoted within ${wait} s, or the postmaster ` +
            'could not be signalled. It may still be promoting: check the standby before retrying',
        );
      }
      return {
        outcome: 'started',
        detail: `${caughtUp}pg_promote on ${this.addr('standby')} finished in ${Date.now() - started} ms; now on timeline ${await this.timeline(c)}`,
      };
    });
  }

  /**
   * Planned = zero loss: the standby must have replayed everything the fenced primary holds. Compared against the
   * primary's current LSN (reachable in a planned run): at least the fence's final LSN, plus only the server's own
   * records since, which stream over at once. If the primary has become unreachable since the run fenced it (it
   * died mid-switchover), the fence's recorded final LSN stands in: after it, the fenced primary acknowledged no
   * client write. Returns a note for the promotion's detail ('' on the usual path).
   */
  private async requireCaughtUp(standby: pg.Client, fence: FenceResult | undefined): Promise<string> {
    const budgetMs = this.db.fence.timeoutSeconds * 1000;
    let primary: { lsn: string; readOnly: string };
    let note = '';
    try {
      primary = await this.session(
        'primary',
        { budgetMs, connectTimeoutMs: Math.min(this.connectTimeoutMs, budgetMs), statementTimeoutMs: budgetMs },
        async (c) => {
          const r = await c.query<{ lsn: string; ro: string }>(
            `SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text AS lsn,
                    current_setting('default_transaction_read_only') AS ro`,
          );
          return { lsn: r.rows[0]?.lsn ?? '0/0', readOnly: r.rows[0]?.ro ?? 'off' };
        },
      );
    } catch (error) {
      if (!(error instanceof DatabaseUnreachableError)) throw error;
      if (!fence?.fenced || fence.method !== 'read-only' || !fence.finalLsn) {
        throw new DatabaseUnreachableError(
          `planned promotion needs the fenced primary's final WAL position and ${error.message}; ` +
            'if it is gone for good, run an unplanned failover instead',
          { cause: error },
        );
      }
      primary = { lsn: fence.finalLsn, readOnly: 'on' };
      note =
        `the fenced primary became unreachable after the fence (${error.message}); ` +
        `the standby has replayed its final LSN ${fence.finalLsn} recorded by the fence, so nothing acknowledged is lost; `;
    }
    if (primary.readOnly !== 'on') {
      throw new FenceFailedError(
        `planned promotion refused: the old primary ${this.addr('primary')} is not fenced (default_transaction_read_only is off)`,
      );
    }
    const r = await standby.query<{ behind: number; paused: boolean; replay: string | null }>(
      `SELECT pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::float8 AS behind,
              pg_is_wal_replay_paused() AS paused, pg_last_wal_replay_lsn()::text AS replay`,
      [primary.lsn],
    );
    const row = r.rows[0];
    if (row && row.behind > 0) {
      const source = note
        ? `the final LSN the fence recorded (${primary.lsn}); the fenced primary is unreachable, so unless it comes back or this WAL arrives another way, run an unplanned failover and accept the loss`
        : `the fenced primary (primary at ${primary.lsn})`;
      throw new ResourceBusyError(
        `standby still catching up: ${row.behind} bytes behind ${source} (replayed ${row.replay ?? 'nothing'})` +
          `${row.paused ? '; WAL replay is PAUSED on the standby: resume it with pg_wal_replay_resume()' : ''}`,
      );
    }
    return note;
  }

  // ------------------------------------------------------------------ status

  /**
   * `writable` only when the standby is out of recovery AND a transaction that needs a writable server commits:
   * `pg_current_xact_id()` assigns a transaction id, so its COMMIT writes and flushes a WAL commit record (and
   * waits for synchronous standbys, if any are configured), as a client's commit would. No table is needed.
   */
  async promotionStatus(): Promise<PromotionStatus> {
    const writerEndpoint = await this.writerEndpoint();
    return this.session('standby', this.standardBounds(), async (c) => {
      if (await this.inRecovery(c)) {
        const r = await c.query<{ replay: string | null; paused: boolean }>(
          'SELECT pg_last_wal_replay_lsn()::text AS replay, pg_is_wal_replay_paused() AS paused',
        );
        const paused = r.rows[0]?.paused ? ', replay paused' : '';
        return {
          state: 'pending',
          detail: `standby ${this.addr('standby')} still in recovery (replayed up to ${r.rows[0]?.replay ?? 'nothing'}${paused})`,
        };
      }
      try {
        await c.query('BEGIN');
        const r = await c.query<{ ro: string; xid: string }>(
          `SELECT current_setting('transaction_read_only') AS ro, pg_current_xact_id()::text AS xid`,
        );
        if (r.rows[0]?.ro === 'on') {
          await c.query('ROLLBACK');
          return {
            state: 'failed',
            detail:
              `standby ${this.addr('standby')} is promoted but read-only (default_transaction_read_only = on, ` +
              'perhaps a fence left on it): ALTER SYSTEM RESET default_transaction_read_only; SELECT pg_reload_conf()',
          };
        }
        await c.query('COMMIT');
        return {
          state: 'writable',
          detail: `standby ${this.addr('standby')} promoted (timeline ${await this.timeline(c)}); a write transaction (xid ${r.rows[0]?.xid}) committed`,
          writerEndpoint,
        };
      } catch (error) {
        // Promotion finished a moment ago and the end-of-recovery work is still settling: check again.
        if ((error as PgLikeError).code === '25006' || (error as PgLikeError).code === '55000') {
          return {
            state: 'pending',
            detail: `standby out of recovery but not yet writable: ${(error as Error).message}`,
          };
        }
        throw error;
      }
    });
  }

  // ------------------------------------------------------------------ plumbing

  private addr(role: Role): string {
    const ep = this.db[role];
    return `${ep.host}:${ep.port}`;
  }

  private standardBounds(): SessionBounds {
    return {
      budgetMs: this.connectTimeoutMs + this.statementTimeoutMs,
      connectTimeoutMs: this.connectTimeoutMs,
      statementTimeoutMs: this.statementTimeoutMs,
    };
  }

  private async inRecovery(c: pg.Client): Promise<boolean> {
    return (await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r ?? true;
  }

  private async timeline(c: pg.Client): Promise<number> {
    // On a primary the current WAL file name starts with the timeline; pg_control's checkpoint timeline lags a
    // promotion until the next checkpoint completes.
    const r = await c.query<{ tli: number }>(
      `SELECT CASE WHEN pg_is_in_recovery() THEN (SELECT timeline_id FROM pg_control_checkpoint())
              ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS tli`,
    );
    return r.rows[0]?.tli ?? 0;
  }

  private async alreadyPromoted(c: pg.Client): Promise<PromoteResult> {
    return {
      outcome: 'already-promoted',
      detail: `standby ${this.addr('standby')} is not in recovery (timeline ${await this.timeline(c)}): already promoted`,
    };
  }

  /** One short-lived connection, bounded as a whole; failures become named errors without the password. */
  private async session<T>(role: Role, bounds: SessionBounds, fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const ep: PgEndpoint = this.db[role];
    const credentials = await this.secrets(ep.credentials);
    const client = new pg.Client({
      host: ep.host,
      port: ep.port,
      database: ep.database,
      user: credentials.username,
      password: credentials.password,
      connectionTimeoutMillis: Math.max(1, Math.round(bounds.connectTimeoutMs)),
      statement_timeout: Math.max(1, Math.round(bounds.statementTimeoutMs)),
      application_name: APPLICATION_NAME,
      keepAlive: true,
    });
    // A server that dies after we are done emits 'error' on the idle client; without a listener that would crash.
    client.on('error', () => undefined);
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        void close(client);
      },
      Math.max(1, bounds.budgetMs),
    );
    try {
      await client.connect();
      return await fn(client);
    } catch (error) {
      if (error instanceof DrFailoverError) throw error;
      if (timedOut) {
        throw new DatabaseUnreachableError(`${role} ${this.addr(role)} gave no answer within ${bounds.budgetMs} ms`, {
          cause: error,
        });
      }
      throw this.translate(error, role, ep, credentials);
    } finally {
      clearTimeout(timer);
      await close(client);
    }
  }

  private translate(error: unknown, role: Role, ep: PgEndpoint, credentials: DbCredentials): DrFailoverError {
    const e = (error ?? {}) as PgLikeError;
    const code = e.code ?? '';
    // pg's messages do not carry the password; scrub it anyway, in case a driver or server ever echoes it.
    const message = (e.message ?? String(error)).replaceAll(credentials.password, '***');
    const what = `${role} ${this.addr(role)}: ${code ? `${code} ` : ''}${message}`;
    if (code === '28P01' || code === '28000') {
      // The secret may have been rotated: read it again next time.
      forgetSecret(ep.credentials);
      return new ConfigurationError(`authentication failed on the ${what}`, { cause: error });
    }
    if (
      UNREACHABLE_SQLSTATE.test(code) ||
      UNREACHABLE_CODES.has(code) ||
      /connection terminated|timeout|timed out|ECONNREFUSED|socket/i.test(message)
    ) {
      return new DatabaseUnreachableError(`cannot reach the ${what}`, { cause: error });
    }
    if (code === '42501') return new ConfigurationError(`insufficient privilege on the ${what}`, { cause: error });
    return new DrFailoverError(`unexpected error from the ${what}`, { cause: error });
  }
}

interface StandbyLagRow {
  receive_lsn: string | null;
  replay_lsn: string | null;
  unreplayed_bytes: number | null;
  replay_paused: boolean;
  since_replayed_xact: number | null;
  last_replayed_xact: Date | null;
  receiver_status: string | null;
  latest_end_lsn: string | null;
  since_contact: number | null;
}

/** Run on a standby known to be in recovery (pg_is_wal_replay_paused() raises otherwise). */
const STANDBY_LAG_SQL = `
SELECT pg_last_wal_receive_lsn()::text AS receive_lsn,
       pg_last_wal_replay_lsn()::text AS replay_lsn,
       pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8 AS unreplayed_bytes,
       pg_is_wal_replay_paused() AS replay_paused,
       extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8 AS since_replayed_xact,
       pg_last_xact_replay_timestamp() AS last_replayed_xact,
       r.status AS receiver_status,
       r.latest_end_lsn::text AS latest_end_lsn,
       extract(epoch FROM clock_timestamp() - r.last_msg_receipt_time)::float8 AS since_contact
  FROM (SELECT 1) AS one LEFT JOIN pg_stat_wal_receiver AS r ON true`;
