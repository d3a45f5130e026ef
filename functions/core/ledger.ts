/**
 * The lost-write ledger of an unplanned failover of self-managed PostgreSQL: what the old primary holds that the new
 * primary does not.
 *
 * Promotion starts a new timeline at the last WAL position the standby replayed; the new primary's timeline history
 * file records that switch point. Everything the old primary wrote on its own timeline from that point on never
 * reached the new primary: the LSN range [fork, old end of WAL), and in it the transactions it committed. Those
 * commits were acknowledged to clients (or at least made durable on the old primary) and are lost to the new one.
 * The ledger is read, never repaired: replaying those writes is a decision for people.
 */
import { ForkPointUnknownError } from './errors.js';
import { atOrAfter, bytesBetween } from './lsn.js';

/** One line of a timeline history file: the parent timeline, and the WAL position where the child left it. */
export interface TimelineSwitch {
  parentTimeline: number;
  switchLsn: string;
  reason: string;
}

/** A commit record the old primary wrote, as its WAL shows it. */
export interface CommitRecord {
  xid: string;
  /** Where the commit record starts. */
  lsn: string;
  /** The commit time the record carries (the server's text form), when readable. */
  committedAt?: string;
}

export interface LostWriteLedger {
  /** The old primary's timeline and the new primary's. */
  oldTimeline: number;
  newTimeline: number;
  /** Where the new primary's timeline left the old one: nothing from here on reached it. */
  forkLsn: string;
  /**
   * The old primary's end of WAL when read: besides what it wrote before it went dark, the records it wrote on its
   * return (the checkpoint that ends crash recovery), which hold no client transaction.
   */
  oldEndLsn: string;
  /** WAL the old primary wrote after the fork (0: it wrote nothing the new primary lacks). */
  bytesAfterFork: number;
  /** The transactions the old primary committed after the fork; absent when its WAL could not be read. */
  transactions?: CommitRecord[];
  /** What was read and what could not be. */
  detail: string;
}

const LSN = /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i;

/**
 * Parses a timeline history file (`00000002.history`): one `<parent timeline>\t<switch LSN>\t<reason>` line per
 * ancestor, oldest first; blank lines and `#` comments are skipped. Throws ForkPointUnknownError on a malformed line.
 */
export const parseTimelineHistory = (text: string): TimelineSwitch[] =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [tli, lsn, ...reason] = line.split(/\s+/);
      const parentTimeline = Number(tli);
      if (!Number.isInteger(parentTimeline) || parentTimeline < 1 || !lsn || !LSN.test(lsn)) {
        throw new ForkPointUnknownError(`timeline history line not understood: ${JSON.stringify(line.slice(0, 120))}`);
      }
      return { parentTimeline, switchLsn: lsn.toUpperCase(), reason: reason.join(' ') };
    });

/** The commit time in a pg_walinspect COMMIT description (`2026-12-07 12:00:00.123456+00; ...`), when present. */
export const commitTimeOf = (description: string | null | undefined): string | undefined => {
  const first = description?.split(';')[0]?.trim();
  return first && /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/.test(first) ? first : undefined;
};

export interface LedgerInput {
  oldTimeline: number;
  newTimeline: number;
  /** The new primary's timeline history. */
  history: readonly TimelineSwitch[];
  oldEndLsn: string;
  /** Commit records the old primary wrote from the fork on; undefined when they could not be read. */
  commits?: readonly CommitRecord[];
  /** Why the commits could not be read. */
  unreadable?: string;
}

/**
 * The ledger from what was read. The fork point is where the new primary's history left the old primary's
 * timeline; a history that never passed through that timeline belongs to another lineage: ForkPointUnknownError.
 */
export const ledgerOf = (input: LedgerInput): LostWriteLedger => {
  const { oldTimeline, newTimeline, oldEndLsn } = input;
  const fork = input.history.findLast((s) => s.parentTimeline === oldTimeline);
  if (!fork || newTimeline <= oldTimeline) {
    throw new ForkPointUnknownError(
      `the new primary (timeline ${newTimeline}) did not fork from the old primary's timeline ${oldTimeline}` +
        ` (its history: ${input.history.map((s) => `${s.parentTimeline}@${s.switchLsn}`).join(', ') || 'none'})`,
    );
  }
  const bytesAfterFork = bytesBetween(fork.switchLsn, oldEndLsn);
  const transactions = input.commits
    ?.filter((c) => atOrAfter(c.lsn, fork.switchLsn))
    .map((c) => ({ ...c, lsn: c.lsn.toUpperCase() }));
  const range = `old primary WAL ${fork.switchLsn} … ${oldEndLsn} (${bytesAfterFork} bytes) on timeline ${oldTimeline} after the fork to timeline ${newTimeline}`;
  const what = transactions
    ? `${transactions.length} transaction(s) committed there, none of them on the new primary`
    : `the transactions in it could not be read (${input.unreadable ?? 'no reader'})`;
  return {
    oldTimeline,
    newTimeline,
    forkLsn: fork.switchLsn,
    oldEndLsn,
    bytesAfterFork,
    ...(transactions ? { transactions } : {}),
    detail: `${range}: ${what}`,
  };
};
