/** The drill's SQL, each piece on its own short-lived connection (lab/postgres/client.ts). */
import type pg from 'pg';
import { withClient } from '../postgres/client.js';
import { WORKLOAD_TABLE } from './workload.js';

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
