/**
 * The real `dr-failover` program (cli/program.ts with the real process streams, as cli/main.ts runs it) with AWS
 * mocked in-process, for the tests that need a real terminal: STS answers the plan's account, Step Functions
 * serves the run in HISTORY_FILE as RUNNING, and the StopExecution requests sent are written to CALLS_FILE.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { realDeps } from '#cli/context.js';
import { runCli } from '#cli/program.js';

const events = (JSON.parse(readFileSync(process.env.HISTORY_FILE ?? '', 'utf8')) as HistoryEvent[]).map((e) => ({
  ...e,
  timestamp: new Date(e.timestamp as unknown as string),
}));
mockClient(STSClient)
  .on(GetCallerIdentityCommand)
  .resolves({ Account: '111122223333', Arn: 'arn:aws:sts::111122223333:assumed-role/OnCall/alice' });
const sfn = mockClient(SFNClient);
sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING', startDate: new Date() });
sfn.on(GetExecutionHistoryCommand).resolves({ events });
sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });

const code = await runCli(process.argv.slice(2), realDeps());
writeFileSync(
  process.env.CALLS_FILE ?? '',
  JSON.stringify(sfn.commandCalls(StopExecutionCommand).map((c) => c.args[0].input)),
);
process.exitCode = code;
