/**
 * Reads the lost-write ledger (core/ledger.ts) from two PostgreSQL servers: the new primary's timeline and its
 * history file (the fork point), and from the old primary, kept fenced and read only, its end of WAL and the commit
 * records after the fork through `pg_walinspect`. Nothing is written to either server.
 *
 * `pg_walinspect` ships with PostgreSQL (contrib) and must have been created on the primary beforehand (it then
 * exists on its standbys too): a fenced old primary refuses the CREATE EXTENSION. Without it the ledger still says
 * the LSN range, and that its transactions were not read.
 */
import type pg from 'pg';
import { ForkPointUnknownError } from '#core/errors.js';
import { type CommitRecord, commitTimeOf, type LostWriteLedger, ledgerOf, parseTimelineHistory } from '#core/ledger.js';
import { atOrAfter } from '#core/lsn.js';

/**
 * The server's current timeline: a primary's from the name of its current WAL file (pg_control's checkpoint
 * timeline lags a promotion until the next checkpoint), a standby's from the WAL it replays.
 */
const TIMELINE_SQL = `
  SELECT CASE WHEN pg_is_in_recovery()
              THEN (SELECT COALESCE(received_tli, (SELECT timeline_id FROM pg_control_checkpoint())) FROM (SELECT 1) o
                      LEFT JOIN pg_stat_wal_receiver ON true)
              ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS tli,
         pg_is_in_recovery() AS in_recovery`;

const timelineOf = async (c: pg.Client): Promise<{ tli: number; inRecovery: boolean }> => {
  const r = await c.query<{ tli: number; in_recovery: boolean }>(TIMELINE_SQL);
  return { tli: r.rows[0]?.tli ?? 0, inRecovery: r.rows[0]?.in_recovery ?? true };
};

/** The new primary's history file for its timeline (`pg_wal/0000000N.history`, superuser or pg_read_server_files). */
const historyOf = async (c: pg.Client, tli: number): Promise<string> => {
  const file = `pg_wal/${tli.toString(16).toUpperCase().padStart(8, '0')}.history`;
  try {
    return (await c.query<{ text: string }>('SELECT pg_read_file($1) AS text', [file])).rows[0]?.text ?? '';
  } catch (error) {
    throw new ForkPointUnknownError(`cannot read the new primary's ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
};

/** Commit records in [from, to) of the old primary's WAL, or why they cannot be read. */
const commitsBetween = async (
  c: pg.Client,
  from: string,
  to: string,
): Promise<{ commits: CommitRecord[] } | { unreadable: string }> => {
  if (atOrAfter(from, to)) return { commits: [] };
  const ext = await c.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_walinspect'");
  if (ext.rowCount === 0) return { unreadable: 'pg_walinspect is not installed on the old primary' };
  try {
    const r = await c.query<{ lsn: string; xid: string; description: string | null }>(
      `SELECT start_lsn::text AS lsn, xid::text AS xid, description
         FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)
        WHERE resource_manager = 'Transaction' AND record_type IN ('COMMIT', 'COMMIT_PREPARED')
        ORDER BY start_lsn`,
      [from, to],
    );
    return {
      commits: r.rows.map((row) => {
        const committedAt = commitTimeOf(row.description);
        return { xid: row.xid, lsn: row.lsn, ...(committedAt ? { committedAt } : {}) };
      }),
    };
  } catch (error) {
    // Its WAL from the fork on may be gone (recycled): the range stands, the transactions are unknown.
    return { unreadable: `pg_get_wal_records_info failed: ${(error as Error).message}` };
  }
};

/**
 * The ledger of what `oldPrimary` wrote after `newPrimary` forked from it. Both must be running; the old primary
 * must not be in recovery (a standby has no WAL of its own to account for).
 */
export const readLostWriteLedger = async (newPrimary: pg.Client, oldPrimary: pg.Client): Promise<LostWriteLedger> => {
  const [next, old] = [await timelineOf(newPrimary), await timelineOf(oldPrimary)];
  if (next.inRecovery) throw new ForkPointUnknownError('the new primary is still in recovery: it has not forked');
  if (old.inRecovery) {
    throw new ForkPointUnknownError('the old primary is in recovery: it already follows another primary');
  }
  const history = parseTimelineHistory(await historyOf(newPrimary, next.tli));
  const oldEndLsn =
    (await oldPrimary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]?.lsn ?? '0/0';
  const fork = history.findLast((s) => s.parentTimeline === old.tli);
  const read = fork ? await commitsBetween(oldPrimary, fork.switchLsn, oldEndLsn) : { unreadable: 'no fork point' };
  return ledgerOf({
    oldTimeline: old.tli,
    newTimeline: next.tli,
    history,
    oldEndLsn,
    ...('commits' in read ? { commits: read.commits } : { unreadable: read.unreadable }),
  });
};
