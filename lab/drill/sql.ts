/** The drill's SQL, each piece on its own short-lived connection (lab/postgres/client.ts). */
import type pg from 'pg';
import { withClient } from '../postgres/client.js';
import type { LocalRegions } from '../regions.js';
import { clock, sleep } from './time.js';
import { CREATE_WORKLOAD_TABLE, WORKLOAD_TABLE } from './workload.js';

/** Whether the server refuses a write (SQLSTATE 25006, read-only transaction): fenced. */
export const writeRejected = async (config: pg.ClientConfig): Promise<boolean> =>
  withClient(config, async (c) => {
    await c.query('BEGIN');
    try {
      // An id the workload never uses; rolled back even when it is accepted.
      await c.query(`INSERT INTO ${WORKLOAD_TABLE} (id) VALUES (-1)`);
      return false;
    } catch (error) {
      if ((error as { code?: string }).code === '25006') return true;
      throw error;
    } finally {
      await c.query('ROLLBACK').catch(() => undefined);
    }
  });

/** A workload starts only once the standby has its table, so every acknowledged row can replicate. */
export const createWorkloadTable = async (regions: LocalRegions): Promise<void> => {
  await withClient(regions.primary.connectionConfig(), (c) => c.query(CREATE_WORKLOAD_TABLE));
  for (const deadline = clock() + 15_000; ; ) {
    const found = await withClient(regions.standby.connectionConfig(), (c) =>
      c.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [WORKLOAD_TABLE]),
    );
    if (found.rows[0]?.t) return;
    if (clock() > deadline) throw new Error('the standby did not replay the workload table within 15 s');
    await sleep(20);
  }
};
