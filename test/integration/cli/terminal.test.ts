/**
 * The CLI as a person meets it: in a real pseudo-terminal (util-linux `script`), and through `npx` with the
 * machine's own Node first on the PATH.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_MOCKS, auroraWorld, lagMetrics, notifyWorld, route53World, runInput } from '../../statemachine/support.js';
import { NAME, recordRun, until } from '../../unit/cli/support.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const HARNESS = path.join(import.meta.dirname, 'terminal-harness.ts');
const dir = mkdtempSync(path.join(tmpdir(), 'dr-failover-tty-'));

/**
 * Runs `dr-failover <args>` in a pseudo-terminal and types `typed` once the question shows, as a person would;
 * returns the screen as the terminal showed it, the exit code and the StopExecution requests sent.
 */
const inTerminal = (args: string[], typed: string) =>
  new Promise<{ code: number | null; screen: string; stops: unknown[] }>((resolve, reject) => {
    const calls = path.join(dir, `calls-${Math.random().toString(36).slice(2)}.json`);
    const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
    const command = [process.execPath, '--import', 'tsx', HARNESS, ...args].map(quote).join(' ');
    // -e: script exits with the command's code; -q: no "Script started" lines; the log goes nowhere.
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
      cwd: ROOT,
      env: { ...process.env, HISTORY_FILE: path.join(dir, 'history.json'), CALLS_FILE: calls, TERM: 'xterm' },
    });
    let screen = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      screen += chunk;
      if (screen.includes('[y/N] ') && typed) {
        child.stdin.write(typed);
        typed = '';
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, screen, stops: JSON.parse(readFileSync(calls, 'utf8')) as unknown[] }));
  });

// Each test spawns processes that load the CLI through tsx (npx, node): seconds on an idle machine, tens of seconds
// when other test files load the two cores too. The bound is for a hung process, not a speed target.
describe('dr-failover in a terminal', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    notifyWorld();
    lagMetrics(() => 2_000);
    auroraWorld();
    route53World();
    const history = await recordRun(runInput());
    writeFileSync(path.join(dir, 'history.json'), JSON.stringify(until(history, 'TaskStateEntered', 'UpdateDns')));
  });
  afterAll(() => {
    for (const m of ALL_MOCKS) m.reset();
  });

  it('stop shows what the run changed, asks, and stops only on yes; in colour', async () => {
    // Act
    const no = await inTerminal(['stop', NAME, '--plan', 'orders', '--reason', 'wrong plan'], 'n\n');
    const yes = await inTerminal(
      ['stop', NAME, '--plan', 'orders', '--reason', 'wrong plan', '--by', 'cli:ana'],
      'y\n',
    );

    // Assess
    expect(no.code).toBe(2);
    expect(no.screen).toMatch(/Database: the standby in eu-west-1 IS promoted and writable/);
    expect(no.screen).toMatch(new RegExp(`Stop run ${NAME}\\? \\[y/N\\] n\\r\\nnot stopped: nothing was sent`));
    expect(no.stops).toEqual([]);
    expect(yes.code).toBe(0);
    expect(yes.screen).toContain('\x1b[31mstopped\x1b[39m');
    expect(yes.stops).toEqual([
      expect.objectContaining({ error: 'StoppedByOperator', cause: 'wrong plan (by cli:ana)' }),
    ]);
  });

  it('runs through npx with the machine’s own Node first on the PATH: the answer, and nothing from npm', () => {
    // Prepare: the PATH a user's shell has (no node_modules/.bin of any npm script), and no npm_* settings.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')),
    ) as NodeJS.ProcessEnv;
    env.PATH = (env.PATH ?? '')
      .split(path.delimiter)
      .filter((p) => !p.includes('node_modules'))
      .join(path.delimiter);
    const machineNode = spawnSync('node', ['--version'], { env, encoding: 'utf8' }).stdout.trim();

    // Act
    const run = spawnSync('npx', ['--no-install', 'dr-failover', '--version'], { cwd: ROOT, env, encoding: 'utf8' });

    // Assess
    expect(run.stderr, `stderr with the machine's Node ${machineNode}`).toBe('');
    expect(run.stdout).toBe(`${JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version}\n`);
    expect(run.status).toBe(0);
    // The command itself ran on the project's Node, whatever the machine's is.
    expect(
      execFileSync('npx', ['--no-install', 'node', '--version'], { cwd: ROOT, env, encoding: 'utf8' }).trim(),
    ).toMatch(/^v2[4-9]\./);
  });
});
