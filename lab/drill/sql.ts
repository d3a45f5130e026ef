/** One short-lived connection for one piece of SQL: the drill's checks never hold a connection between steps. */
import pg from 'pg';
import { WORKLOAD_TABLE } from './workload.js';

export const withClient = async <T>(config: pg.ClientConfig, fn: (c: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionTimeoutMillis: 3000, ...config });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
};

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
