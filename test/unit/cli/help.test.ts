import { describe, expect, it } from 'vitest';
import { EXAMPLES, STATE_MACHINE_LOOKUP } from '#cli/program.js';
import { cli } from './support.js';

/** Every command and subcommand the CLI has, as `--help` lists them. */
const COMMANDS = [
  ['plans'],
  ['plans', 'validate'],
  ['start'],
  ['failback'],
  ['watch'],
  ['runs'],
  ['stop'],
  ['approve'],
  ['deny'],
  ['report'],
  ['readiness'],
];

describe('dr-failover help', () => {
  it('alone, prints every command and where the state machine is looked up, and exits 0', async () => {
    // Act
    const out = await cli([]);

    // Assess
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('');
    const lines = out.stdout.split('\n');
    for (const [name] of COMMANDS.filter((c) => c.length === 1)) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^ {2}${name} +\\S`)));
    }
    expect(lines).toContain(STATE_MACHINE_LOOKUP);
    expect(out.stdout).not.toMatch(/help \[command\]/);
  });

  it.each(COMMANDS)(
    '%s %s --help shows its options, an example that names the command, and the exit codes',
    async (...cmd) => {
      // Act
      const out = await cli([...cmd.filter(Boolean), '--help']);

      // Assess
      expect(out.code).toBe(0);
      const name = cmd.filter(Boolean).at(-1) ?? '';
      expect(EXAMPLES[name]?.length).toBeGreaterThan(0);
      expect(out.stdout).toMatch(/\nExamples?:\n {2}npx dr-failover /);
      for (const example of EXAMPLES[name] ?? []) {
        expect(out.stdout).toContain(`  ${example}`);
        expect(example).toMatch(new RegExp(`^npx dr-failover ${cmd.filter(Boolean).join(' ')}( |$)`));
      }
      expect(out.stdout).toMatch(/Exit codes:\n {2}0 {3}success/);
    },
  );

  it('--help prints the usage, the environment and the exit codes', async () => {
    // Act
    const out = await cli(['--help']);

    // Assess
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/Usage: dr-failover/);
    expect(out.stdout).toMatch(/DR_FAILOVER_STATE_MACHINE_ARN/);
    expect(out.stdout).toMatch(/Exit codes:\n {2}0 {3}success/);
  });

  it('refuses an unknown command in one line naming the commands, exit 2', async () => {
    // Act
    const out = await cli(['failover']);

    // Assess
    expect(out.code).toBe(2);
    expect(out.stderr.trim().split('\n')).toEqual([
      'dr-failover: unknown command "failover": the commands are plans, start, failback, watch, runs, stop, approve, deny, report, readiness',
    ]);
  });
});
