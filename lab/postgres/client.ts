/** One short-lived connection for one piece of SQL: the lab never holds a connection between steps. */
import pg from 'pg';

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
