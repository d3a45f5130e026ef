import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STOPPED_BY_OPERATOR } from '#core/errors.js';
import { ALL_MOCKS, auroraWorld, lagMetrics, notifyWorld, route53World, runInput } from '../../statemachine/support.js';
import { ARN, cli, NAME, recordRun, sfn, until } from './support.js';

/** The run as it stands: DescribeExecution and GetExecutionHistory of `events`. */
const serve = (events: HistoryEvent[], status = 'RUNNING') => {
  sfn
    .on(DescribeExecutionCommand)
    .resolves({ executionArn: ARN, status: status as 'RUNNING', startDate: new Date(), stateMachineArn: 'x' });
  sfn.on(GetExecutionHistoryCommand).resolves({ events });
};

let history: HistoryEvent[];

/** Calls to Step Functions the CLI makes (the recorded run's Prepare makes some too: compare before and after). */
const cliCalls = () =>
  sfn.commandCalls(DescribeExecutionCommand).length +
  sfn.commandCalls(GetExecutionHistoryCommand).length +
  sfn.commandCalls(StopExecutionCommand).length;

describe('dr-failover stop', () => {
  beforeEach(async () => {
    notifyWorld();
    lagMetrics(() => 2_000);
    auroraWorld();
    route53World();
    history = await recordRun(runInput());
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
  });
  afterEach(() => {
    for (const m of ALL_MOCKS) m.reset();
  });

  it('shows what the run has changed so far, then stops it with the reason as its cause (--yes)', async () => {
    // Prepare: the run has promoted the standby and is switching DNS.
    serve(until(history, 'TaskStateEntered', 'UpdateDns'));

    // Act
    const out = await cli(['stop', NAME, '--plan', 'orders', '--reason', 'wrong plan', '--yes', '--by', 'cli:ana']);

    // Assess
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(
      new RegExp(`^run ${NAME} is RUNNING, now in UpdateDns\\.\\nWhat it has changed so far:\\n`),
    );
    expect(out.stderr).toMatch(/ {2}Database: the standby in eu-west-1 IS promoted and writable/);
    expect(out.stderr).toMatch(
      / {2}DNS: not changed by this run: db\.orders\.example\.internal still points at the old primary\./,
    );
    expect(out.stderr).toMatch(/ {2}\(step UpdateDns is in progress and may be changing this now\.\)/);
    expect(out.stderr).toMatch(/Stopping ends the run where it is and undoes nothing\./);
    expect(out.stdout).toBe(
      `stopped ${NAME} by cli:ana: wrong plan\n  the stack notifies the end (Failover Stopped) like any other\n`,
    );
    const stops = sfn.commandCalls(StopExecutionCommand);
    expect(stops.map((c) => c.args[0].input)).toEqual([
      { executionArn: ARN, error: STOPPED_BY_OPERATOR, cause: 'wrong plan (by cli:ana)' },
    ]);
  });

  it('says when nothing has changed yet', async () => {
    // Prepare: the run is still checking the lag.
    serve(until(history, 'TaskStateEntered', 'CheckLag'));

    // Act
    const out = await cli(['stop', ARN, '--reason', 'false alarm', '--yes', '--json']);

    // Assess
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/Database: nothing was promoted; the primary in us-east-1 is the writer/);
    expect(out.stderr).toMatch(/Old primary: not fenced by this run\./);
    expect(JSON.parse(out.stdout)).toMatchObject({ stopped: true, executionArn: ARN, reason: 'false alarm' });
  });

  it('asks on a terminal: only y or yes stops', async () => {
    // Prepare
    serve(until(history, 'TaskStateEntered', 'Promote'));

    // Act
    const no = await cli(['stop', NAME, '--plan', 'orders', '--reason', 'r'], { tty: true, typed: 'n\n' });
    const nothing = await cli(['stop', NAME, '--plan', 'orders', '--reason', 'r'], { tty: true, typed: '\n' });
    const sentAfterNo = sfn.commandCalls(StopExecutionCommand).length;
    const yes = await cli(['stop', NAME, '--plan', 'orders', '--reason', 'r'], { tty: true, typed: 'yes\n' });

    // Assess
    expect(no.code).toBe(2);
    expect(no.stderr).toMatch(new RegExp(`Stop run ${NAME}\\? \\[y/N\\] not stopped: nothing was sent\\n$`));
    expect(nothing.code).toBe(2);
    expect(sentAfterNo).toBe(0);
    expect(yes.code).toBe(0);
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(1);
  });

  it('without a terminal and without --yes, refuses before calling AWS', async () => {
    // Prepare
    const before = cliCalls();

    // Act
    const out = await cli(['stop', NAME, '--plan', 'orders', '--reason', 'r']);

    // Assess
    expect(out.code).toBe(2);
    expect(out.stderr.trim()).toBe(
      'dr-failover: stop asks for confirmation on a terminal: pass --yes to stop without asking',
    );
    expect(cliCalls()).toBe(before);
  });

  it('refuses an empty reason before calling AWS', async () => {
    // Prepare
    const before = cliCalls();

    // Act
    const out = await cli(['stop', NAME, '--plan', 'orders', '--reason', '  ', '--yes']);

    // Assess
    expect(out.code).toBe(2);
    expect(out.stderr.trim()).toBe('dr-failover: --reason must not be empty: say why the run is stopped');
    expect(cliCalls()).toBe(before);
  });

  it('stops nothing when the run has already ended, and says how it ended', async () => {
    // Prepare
    serve(history, 'SUCCEEDED');

    // Act
    const out = await cli(['stop', NAME, '--plan', 'orders', '--reason', 'r', '--yes']);

    // Assess
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`^nothing to stop: run ${NAME} has already ended \\(SUCCEEDED`));
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
  });
});
