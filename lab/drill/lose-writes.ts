/**
 * Writes the way out will lose, on purpose: the standby stops receiving WAL (its `primary_conninfo` emptied and
 * reloaded, so the WAL receiver exits), then the workload gets `n` more commits acknowledged by the primary alone.
 * The kill that follows loses at least those; the round trip's lost-write ledger, and the ML drill's count of the
 * second database's lost commits, must list exactly what was lost. On loopback the standby otherwise keeps up with
 * the workload, and a count that is always zero proves little.
 */
import { withClient } from '../postgres/client.js';
import type { LocalRegions } from '../regions.js';
import { sleep } from './time.js';
import type { DrillEnvironment } from './types.js';
import type { Workload } from './workload.js';

const until = async (what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> => {
  for (const deadline = Date.now() + timeoutMs; !(await probe()); await sleep(20)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
};

/**
 * Cuts `pair`'s replication and waits for `n` more commits of `workload` acknowledged by its primary alone; returns
 * how many acknowledgements the workload had when the standby's WAL receiver was seen gone (every later one is
 * the primary's alone).
 */
export const loseWrites = async (pair: LocalRegions, workload: Workload, n: number): Promise<number> => {
  const standby = pair.standby.connectionConfig();
  await withClient(standby, async (c) => {
    await c.query("ALTER SYSTEM SET primary_conninfo = ''");
    await c.query('SELECT pg_reload_conf()');
  });
  await until('the standby’s WAL receiver to stop', () =>
    withClient(standby, async (c) => (await c.query('SELECT 1 FROM pg_stat_wal_receiver')).rowCount === 0),
  );
  const after = workload.acks.length;
  await until(`${n} more acknowledged commits`, async () => workload.acks.length >= after + n);
  return after;
};

/** A `beforeIncident` hook that cuts the drill's replication and waits for `n` more acknowledged commits. */
export const loseWritesBeforeKill =
  (n: number) =>
  async ({ regions, workload }: DrillEnvironment): Promise<void> => {
    await loseWrites(regions, workload, n);
  };
