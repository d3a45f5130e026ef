/**
 * Writes the way out will lose, on purpose: the standby stops receiving WAL (its `primary_conninfo` emptied and
 * reloaded, so the WAL receiver exits), then the workload gets `n` more commits acknowledged by the primary alone.
 * The kill that follows loses at least those; the round trip's lost-write ledger must list exactly what was lost.
 * On loopback the standby otherwise keeps up with the workload, and a ledger that is always empty proves little.
 */
import { withClient } from '../postgres/client.js';
import { sleep } from './time.js';
import type { DrillEnvironment } from './types.js';

const until = async (what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> => {
  for (const deadline = Date.now() + timeoutMs; !(await probe()); await sleep(20)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
};

/** A `beforeIncident` hook that cuts replication and waits for `n` more acknowledged commits. */
export const loseWritesBeforeKill =
  (n: number) =>
  async ({ regions, workload }: DrillEnvironment): Promise<void> => {
    const standby = regions.standby.connectionConfig();
    await withClient(standby, async (c) => {
      await c.query("ALTER SYSTEM SET primary_conninfo = ''");
      await c.query('SELECT pg_reload_conf()');
    });
    await until('the standby’s WAL receiver to stop', () =>
      withClient(standby, async (c) => (await c.query('SELECT 1 FROM pg_stat_wal_receiver')).rowCount === 0),
    );
    const after = workload.acks.length;
    await until(`${n} more acknowledged commits`, async () => workload.acks.length >= after + n);
  };
