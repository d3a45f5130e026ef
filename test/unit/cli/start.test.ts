import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALL_MOCKS, auroraWorld, lagMetrics, notifyWorld, route53World, runInput } from '../../statemachine/support.js';
import { cli, executionArnFor, NAME, NOW, recordRun, STATE_MACHINE_ARN, sfn } from './support.js';

describe('dr-failover start', () => {
  beforeEach(() => notifyWorld());
  afterEach(() => {
    for (const m of ALL_MOCKS) m.reset();
  });

  it.each([
    [['--mode', 'sideways', '--reason', 'r'], /invalid input: mode: Invalid option/],
    [['--mode', 'planned', '--reason', ''], /invalid input: reason: must not be empty/],
    [['--mode', 'planned', '--reason', 'line\nbreak'], /invalid input: reason: must not contain control characters/],
    [
      ['--mode', 'planned', '--reason', 'r', '--incident-started-at', 'yesterday'],
      /incidentStartedAt: must be an ISO-8601/,
    ],
    [['--mode', 'planned', '--reason', 'r', '--requested-by', 'x'.repeat(300)], /requestedBy: must be at most 256/],
    // Checked against the clock as Prepare checks it: the CLI never starts a run Prepare refuses.
    [
      ['--mode', 'planned', '--reason', 'r', '--incident-started-at', '2026-11-23T03:00:00Z'],
      /incidentStartedAt: must not be more than 24 h in the past/,
    ],
    [
      ['--mode', 'planned', '--reason', 'r', '--incident-started-at', '2026-11-25T04:00:00Z'],
      /incidentStartedAt: must not be in the future/,
    ],
  ])('refuses bad input %j with the field and exit 2, sending nothing', async (args, message) => {
    // Act
    const out = await cli(['start', '--plan', 'orders', ...args]);

    // Assess
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).toContain('nothing was started');
    expect(sfn.calls()).toHaveLength(0);
  });

  it('refuses an unknown plan, naming the plans there are (exit 2)', async () => {
    // Act
    const out = await cli(['start', '--plan', 'billing', '--mode', 'planned', '--reason', 'r']);

    // Assess
    expect(out.code).toBe(2);
    expect(out.stderr.trim()).toBe(
      'dr-failover: unknown plan "billing": the plans in plans are feature-store, ml-platform, orders',
    );
    expect(sfn.calls()).toHaveLength(0);
  });

  it('refuses a missing required option with usage help (exit 2)', async () => {
    // Act
    const out = await cli(['start', '--plan', 'orders']);

    // Assess
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/required option '--mode <mode>' not specified/);
    expect(sfn.calls()).toHaveLength(0);
  });

  it("starts the plan's state machine in its standby region with the one input shape, then follows the run", async () => {
    // Prepare
    lagMetrics(() => 2_000);
    auroraWorld();
    route53World();
    const history = await recordRun(runInput());
    sfn.on(StartExecutionCommand).resolves({ executionArn: executionArnFor(NAME), startDate: NOW });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: history });

    // Act
    const out = await cli([
      'start',
      '--plan',
      'orders',
      '--mode',
      'unplanned',
      '--reason',
      'us-east-1 writer unreachable',
      '--requested-by',
      'ana@example.com',
    ]);

    // Assess
    expect(out.code).toBe(0);
    expect(out.regions[0]).toBe('eu-west-1');
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const sent = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(sent).toMatchObject({ stateMachineArn: STATE_MACHINE_ARN, name: NAME });
    expect(JSON.parse(sent?.input ?? '')).toEqual({
      plan: 'orders',
      mode: 'unplanned',
      dryRun: false,
      reason: 'us-east-1 writer unreachable',
      requestedBy: 'ana@example.com',
      incidentStartedAt: NOW.toISOString(),
      overrideCooldown: false,
      trigger: { kind: 'manual', source: 'dr-failover CLI' },
    });
    expect(out.stdout).toContain(`started ${executionArnFor(NAME)}`);
    expect(out.stdout).toMatch(/── orders-manual-20261125T0315Z: SUCCEEDED/);
  });

  it('returns once started with --no-watch, and prints JSON with --json', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: executionArnFor('gd-1'), startDate: NOW });

    // Act
    const out = await cli([
      'start',
      '--plan',
      'orders',
      '--mode',
      'planned',
      '--reason',
      'game day',
      '--dry-run',
      '--name',
      'gd-1',
      '--stage',
      'prod',
      '--no-watch',
      '--json',
    ]);

    // Assess
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({
      event: 'started',
      executionArn: executionArnFor('gd-1'),
      input: { mode: 'planned', dryRun: true },
    });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:dr-failover-prod',
      name: 'gd-1',
    });
    expect(sfn).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });

  it('says the run already exists and how to follow it when the name is taken (exit 4)', async () => {
    // Prepare
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ $metadata: {}, message: `Execution Already Exists: '${NAME}'` }));

    // Act
    const out = await cli(['start', '--plan', 'orders', '--mode', 'planned', '--reason', 'r']);

    // Assess
    expect(out.code).toBe(4);
    expect(out.stderr.trim()).toBe(
      `dr-failover: an execution named ${NAME} already exists (one incident, one run): follow it with \`dr-failover watch ${NAME} --plan orders\`, or pass --name`,
    );
  });
});
