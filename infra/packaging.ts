/**
 * `osls package` of a throwaway copy of the service, offline, without AWS credentials: what the deploy tests read
 * and what `npm run bench:cold` measures. serverless-esbuild builds in `<service>/.esbuild/`, deletes it when done
 * and copies its output into `<service>/.serverless/` whatever `--package` says, so two runs in one folder would
 * delete each other's build: each run gets its own copy.
 */
import { spawn } from 'node:child_process';
import { cpSync, readFileSync, symlinkSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..');
/** What packaging reads: serverless.yml and everything it names. */
const SERVICE_FILES = [
  'serverless.yml',
  'infra',
  'plans',
  'statemachines',
  'functions',
  'package.json',
  'tsconfig.json',
];

export interface PackageRun {
  code: number | null;
  output: string;
}

/** A copy of the service that packaging may write into freely; node_modules is shared through a symlink. */
export const copyService = (root: string): string => {
  const dir = join(root, 'service');
  for (const entry of SERVICE_FILES) cpSync(join(REPO, entry), join(dir, entry), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
};

/** `osls package` on the project's Node (this process's), without AWS credentials or telemetry. */
export const osls = (
  cwd: string,
  out: string,
  stage: string,
  region: string,
  opts: { echo?: boolean } = {},
): Promise<PackageRun> => {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWS_')) env[key] = value;
  env.PATH = [dirname(process.execPath), join(REPO, 'node_modules', '.bin'), process.env.PATH].join(delimiter);
  env.SLS_TELEMETRY_DISABLED = '1';
  env.SLS_NOTIFICATIONS_MODE = 'off';
  const bin = join(REPO, 'node_modules', '.bin', 'osls');
  const args = ['package', '--stage', stage, '--region', region, '--package', out];
  return new Promise((done, fail) => {
    const child = spawn(bin, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
      if (opts.echo) process.stdout.write(chunk);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', fail);
    child.on('close', (code) => done({ code, output }));
  });
};

/** The packaged CloudFormation template of a run that succeeded. */
export const templateOf = <T>(run: PackageRun, out: string): T => {
  if (run.code !== 0) throw new Error(`osls package failed (${run.code}):\n${run.output}`);
  return JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as T;
};
