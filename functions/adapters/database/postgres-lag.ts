/**
 * The lag of a self-managed standby, measured on it in bytes and seconds: against the primary's current LSN where
 * the primary answers within a short bound, else against what the WAL receiver last heard. A standby that lost its
 * primary reads `unknown`, never zero; one that is out of recovery reads already promoted.
 */

import { bytesBetween } from '#core/lsn.js';
import type { LagReading } from '#core/ports.js';
import type { PgSessions, SessionBounds } from './postgres-sessions.js';
import { STANDBY_LAG_SQL, type StandbyLagRow } from './postgres-wal.js';

const round3 = (n: number) => Math.round(n * 1000) / 1000;

export class PgLagReader {
  constructor(
    private readonly sessions: PgSessions,
    private readonly bounds: SessionBounds,
    private readonly primaryProbeTimeoutMs: number,
  ) {}

  async read(): Promise<LagReading> {
    const observedAt = new Date().toISOString();
    // In parallel: the primary may be dark, and its bounded probe must not add to the standby's time.
    const primaryProbe = this.probePrimaryLsn();
    const standby = await this.sessions.session('standby', this.bounds, async (c) => {
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
        detail: `standby ${this.sessions.addr('standby')} is not in recovery: it is already promoted, so replication lag no longer applies`,
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
      const base = `primary ${this.sessions.addr('primary')} at ${primary.lsn}, ${bytes} bytes ahead of replay; ${facts.join('; ')}`;
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

    const lostPrimary = `primary ${this.sessions.addr('primary')} did not answer (${primary.error})`;
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
      // Without its primary and with no WAL receiver streaming, nothing more reaches the standby.
      sourceLost: true,
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
      return await this.sessions.session(
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
}
