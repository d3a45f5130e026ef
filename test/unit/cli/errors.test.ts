import { ExecutionDoesNotExist, InvalidName, SFNServiceException } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { CliError, EXIT, explain } from '#cli/errors.js';

const ARN = 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-dev:x';

describe('explain', () => {
  it.each([
    [
      'a known AWS error, with the SDK detail and what was being done',
      new ExecutionDoesNotExist({ $metadata: {}, message: 'Execution Does Not Exist' }),
      `no such execution: Execution Does Not Exist (DescribeExecution ${ARN})`,
      EXIT.aws,
    ],
    [
      'a known AWS error whose SDK message adds nothing',
      new InvalidName({ $metadata: {}, message: 'Invalid Name' }),
      `Step Functions refused the execution name (DescribeExecution ${ARN})`,
      EXIT.badInput,
    ],
    [
      'a credential chain failure by its message',
      new Error('Could not load credentials from any providers'),
      'no AWS credentials found: set AWS_PROFILE (and run `aws sso login`), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
      EXIT.aws,
    ],
    [
      'an unreachable endpoint',
      Object.assign(new Error('getaddrinfo ENOTFOUND states.eu-west-1.amazonaws.com'), { code: 'ENOTFOUND' }),
      `cannot reach Step Functions (DescribeExecution ${ARN}): getaddrinfo ENOTFOUND states.eu-west-1.amazonaws.com`,
      EXIT.aws,
    ],
    [
      'a request that timed out',
      Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }),
      `cannot reach Step Functions (DescribeExecution ${ARN}): socket hang up`,
      EXIT.aws,
    ],
    [
      'any other AWS error, by its name',
      new SFNServiceException({ name: 'KmsThrottlingException', $fault: 'client', $metadata: {}, message: 'slow' }),
      `KmsThrottlingException: slow (DescribeExecution ${ARN})`,
      EXIT.aws,
    ],
    ['a bug of the CLI', new TypeError('x is undefined'), 'internal error: TypeError: x is undefined', EXIT.internal],
    ['something thrown that is not an Error', 'boom', 'unexpected failure: boom', EXIT.internal],
  ])('explains %s in one line with its exit code', (_what, error, message, code) => {
    // Act
    const explained = explain(error, `DescribeExecution ${ARN}`);

    // Assess
    expect(explained.message).toBe(message);
    expect(explained.exitCode).toBe(code);
    if (error instanceof Error) expect(explained.cause).toBe(error);
  });

  it('keeps an error the CLI already explained as it is', () => {
    // Prepare
    const error = new CliError('unknown plan "x"', EXIT.badInput);

    // Act
    const explained = explain(error, 'anything');

    // Assess
    expect(explained).toBe(error);
  });
});
