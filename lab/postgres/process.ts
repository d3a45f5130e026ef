/** The local servers as processes: signals, liveness, their children, their pid file, and cleanup at exit. */
import { readFileSync, rmSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { platform } from 'node:os';
import * as path from 'node:path';

/** Servers and folders of this process, so that an abrupt exit leaves neither behind (servers killed first). */
export const live = new Set<() => void>();
export const folders = new Set<string>();
let exitHookInstalled = false;
export const installExitHook = () => {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const killNow of live) killNow();
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });
};

export const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user (the `postgres` user when we are not root).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A process already SIGKILLed but not yet reaped by its parent is a zombie: dead for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return platform() !== 'linux';
  }
};

/** Direct children of `pid` (the postmaster's backends and auxiliary processes). Linux: /proc; elsewhere: ps. */
export const childrenOf = async (pid: number): Promise<number[]> => {
  if (platform() === 'linux') {
    const out: number[] = [];
    for (const entry of await fs.readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[1]) === pid) out.push(Number(entry));
      } catch {
        // The process exited while we looked.
      }
    }
    return out;
  }
  const { execFile } = await import('node:child_process');
  const ps = await new Promise<string>((resolve, reject) =>
    execFile('ps', ['-A', '-o', 'pid=,ppid='], (error, stdout) => (error ? reject(error) : resolve(stdout))),
  );
  return ps
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([, ppid]) => ppid === pid)
    .map(([child]) => child ?? 0)
    .filter((child) => child > 0);
};

export const signal = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
};

/** Reads `postmaster.pid`: line 1 the pid, line 8 the status (`ready`, `standby`, `starting`, `stopping`). */
export const readPidFile = (dataDir: string): { pid: number; status: string } | undefined => {
  try {
    const lines = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    return { pid: Number(lines[0]), status: (lines[7] ?? '').trim() };
  } catch {
    return undefined;
  }
};
