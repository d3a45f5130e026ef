/**
 * What the measuring scripts (scripts/soak.ts, scripts/bench-drill.ts) share: their common flags, the command
 * line and machine recorded with every result, the Ctrl-C cleanup, and writing the result file.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, platform, release } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { cleanupActiveDrills } from './teardown.js';

type StringOptions<K extends string = string> = Record<K, { type: 'string'; default: string }>;

/**
 * Parses `--runs`, `--rate`, `--wait-ms`, `--ttl` and `--out` (with these defaults) plus the script's own `extra`
 * string options, and the boolean `flags` the script accepts (it reads them itself); `--runs` must be a positive integer.
 */
export const parseMeasureArgs = <K extends string = never>(
  defaults: { runs: number; out: string },
  extra?: StringOptions<K>,
  flags: readonly string[] = [],
) => {
  const options = {
    runs: { type: 'string', default: String(defaults.runs) },
    rate: { type: 'string', default: '50' },
    'wait-ms': { type: 'string', default: '100' },
    ttl: { type: 'string', default: '1' },
    out: { type: 'string', default: defaults.out },
    ...extra,
  } satisfies StringOptions;
  const booleans = Object.fromEntries(flags.map((f) => [f, { type: 'boolean', default: false } as const]));
  const parsed = parseArgs({ options: { ...options, ...booleans }, strict: true }).values;
  // Every option is a string with a default; parseArgs cannot see the `extra` keys through the generic.
  const values = parsed as Record<keyof typeof options | K, string>;
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new TypeError('--runs must be a positive integer');
  return { values, runs };
};

/** Ctrl-C and kill stop and remove every drill in progress before the script exits. */
export const cleanupDrillsOnSignal = (): void => {
  const onSignal = () => {
    void cleanupActiveDrills().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
};

/** The command as typed, for the result file. */
export const commandLine = (npmScript: string): string =>
  `npm run ${npmScript}${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

/** The machine the figures were measured on. */
export const machineInfo = () => ({
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  platform: `${platform()} ${release()}`,
  node: process.version,
});

/** Writes `result` as indented JSON, creating the file's folder. */
export const writeResult = async (file: string, result: unknown): Promise<void> => {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
};
