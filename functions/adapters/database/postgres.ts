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
import type pg from 'pg';
import { DatabaseUnreachableError, FenceFailedError, PromotionFailedError, ResourceBusyError } from '#core/errors.js';
import type { FailoverMode } from '#core/input.js';
import type { DatabaseScope } from '#core/plan.js';
import type {
  DatabaseFailover,
  FenceResult,
  LagReading,
  PromoteContext,
  PromoteResult,
  PromotionStatus,
} from '#core/ports.js';
import { resolveSecret } from '../secrets.js';
import { PgFence } from './postgres-fence.js';
import { PgLagReader } from './postgres-lag.js';
import { type PgLikeError, PgSessions, type SessionBounds } from './postgres-sessions.js';

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

export class PostgresFailover implements DatabaseFailover {
  private readonly db: DatabaseScope<'postgres'>['database'];
  private readonly secrets: typeof resolveSecret;
  private readonly connectTimeoutMs: number;
  private readonly statementTimeoutMs: number;
  private readonly primaryProbeTimeoutMs: number;
  private readonly promoteWaitSeconds: number;
  private readonly sessions: PgSessions;
  private readonly lag: PgLagReader;
  private readonly fence: PgFence;

  constructor(plan: DatabaseScope<'postgres'>, deps: PostgresFailoverDeps = {}) {
    this.db = plan.database;
    this.secrets = deps.secrets ?? resolveSecret;
    this.connectTimeoutMs = deps.connectTimeoutMs ?? 5000;
    this.statementTimeoutMs = deps.statementTimeoutMs ?? 10_000;
    this.primaryProbeTimeoutMs = deps.primaryProbeTimeoutMs ?? 1500;
    this.promoteWaitSeconds = deps.promoteWaitSeconds ?? 60;
    this.sessions = new PgSessions(plan.database, this.secrets);
    this.lag = new PgLagReader(this.sessions, this.standardBounds(), this.primaryProbeTimeoutMs);
    const { method, timeoutSeconds } = plan.database.fence;
    this.fence = new PgFence(this.sessions, timeoutSeconds, this.connectTimeoutMs, method === 'stop');
  }

  async writerEndpoint(): Promise<string> {
    return this.db.writerAddress ?? this.db.standby.host;
  }

  // ------------------------------------------------------------------ lag

  /** The standby's lag behind the primary (see ./postgres-lag.ts). */
  replicationLag(): Promise<LagReading> {
    return this.lag.read();
  }

  /** The read-only fence (see ./postgres-fence.ts). */
  fenceOldPrimary(mode: FailoverMode): Promise<FenceResult> {
    return this.fence.run(mode);
  }

  // ------------------------------------------------------------------ promote

  async promote(mode: FailoverMode, context: PromoteContext = {}): Promise<PromoteResult> {
    const wait = this.promoteWaitSeconds;
    const bounds: SessionBounds = {
      budgetMs: (wait + 10) * 1000,
      connectTimeoutMs: this.connectTimeoutMs,
      statementTimeoutMs: (wait + 5) * 1000,
    };
    return this.sessions.session('standby', bounds, async (c) => {
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
          `pg_promote on ${this.sessions.addr('standby')} returned false: not promoted within ${wait} s, or the postmaster ` +
            'could not be signalled. It may still be promoting: check the standby before retrying',
        );
      }
      const detail = `${caughtUp}pg_promote on ${this.sessions.addr('standby')} finished in ${Date.now() - started} ms; now on timeline ${await this.timeline(c)}`;
      return { outcome: 'started', writable: true, detail, ...(await this.confirmedWritable(c)) };
    });
  }

  /**
   * The promotion status, confirmed in the promoting session: the same write transaction as promotionStatus, so the
   * run needs no separate status check when it commits. Nothing when the server is not yet writable (the run polls).
   */
  private async confirmedWritable(c: pg.Client): Promise<Pick<PromoteResult, 'status'>> {
    const status = await this.writeCheck(c, await this.writerEndpoint());
    return status.state === 'writable' ? { status } : {};
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
      primary = await this.sessions.session(
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
        `planned promotion refused: the old primary ${this.sessions.addr('primary')} is not fenced (default_transaction_read_only is off)`,
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
    return this.sessions.session('standby', this.standardBounds(), async (c) => {
      if (await this.inRecovery(c)) {
        const r = await c.query<{ replay: string | null; paused: boolean }>(
          'SELECT pg_last_wal_replay_lsn()::text AS replay, pg_is_wal_replay_paused() AS paused',
        );
        const paused = r.rows[0]?.paused ? ', replay paused' : '';
        return {
          state: 'pending',
          detail: `standby ${this.sessions.addr('standby')} still in recovery (replayed up to ${r.rows[0]?.replay ?? 'nothing'}${paused})`,
        };
      }
      return this.writeCheck(c, writerEndpoint);
    });
  }

  /** The write transaction of promotionStatus, on a standby out of recovery. */
  private async writeCheck(c: pg.Client, writerEndpoint: string): Promise<PromotionStatus> {
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
            `standby ${this.sessions.addr('standby')} is promoted but read-only (default_transaction_read_only = on, ` +
            'perhaps a fence left on it): ALTER SYSTEM RESET default_transaction_read_only; SELECT pg_reload_conf()',
        };
      }
      await c.query('COMMIT');
      return {
        state: 'writable',
        detail: `standby ${this.sessions.addr('standby')} promoted (timeline ${await this.timeline(c)}); a write transaction (xid ${r.rows[0]?.xid}) committed`,
        writerEndpoint,
      };
    } catch (error) {
      // Promotion finished a moment ago and the end-of-recovery work is still settling: check again.
      if ((error as PgLikeError).code === '25006' || (error as PgLikeError).code === '55000') {
        await c.query('ROLLBACK').catch(() => undefined);
        return {
          state: 'pending',
          detail: `standby out of recovery but not yet writable: ${(error as Error).message}`,
        };
      }
      throw error;
    }
  }

  // ------------------------------------------------------------------ plumbing

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
    const detail = `standby ${this.sessions.addr('standby')} is not in recovery (timeline ${await this.timeline(c)}): already promoted`;
    return { outcome: 'already-promoted', writable: true, detail, ...(await this.confirmedWritable(c)) };
  }
}
