import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { invokeCustomAction } from '#adapters/custom-action/index.js';
import { type CustomActionRequest, customActionConfig, judgeCustomAction } from '#core/custom-action.js';
import { ThrottledError } from '#core/errors.js';

const lambda = mockClient(LambdaClient);

afterEach(() => {
  lambda.reset();
});

const FN = 'arn:aws:lambda:eu-west-1:111122223333:function:repoint-feature-pipeline:live';
const REQUEST: CustomActionRequest = {
  plan: 'ml-platform',
  component: 'feature-pipeline',
  mode: 'unplanned',
  dryRun: false,
  idempotencyKey: 'ml-platform-alarm-20261207T1200Z/feature-pipeline',
  input: { pipeline: 'ranker-features' },
};
/** A Lambda response payload (the SDK wraps the bytes in a blob adapter; the adapter only reads the bytes). */
const bytes = (value: unknown) =>
  new TextEncoder().encode(
    typeof value === 'string' ? value : JSON.stringify(value),
  ) as unknown as InvokeCommandOutput['Payload'];

describe('invokeCustomAction', () => {
  it('invokes the function synchronously with the run’s context and the idempotency key, and is done on ok: true', async () => {
    // Prepare
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: bytes({ ok: true, detail: 'repointed to eu-west-1' }) });

    // Act
    const verdict = await invokeCustomAction(FN, REQUEST);

    // Assess
    expect(verdict).toEqual({ ok: true, detail: 'repointed to eu-west-1' });
    const input = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(input?.FunctionName).toBe(FN);
    expect(input?.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array))).toEqual(REQUEST);
  });

  it('fails the action on a function error or an answer other than ok: true, saying what the function said', async () => {
    // Prepare
    lambda
      .on(InvokeCommand)
      .resolvesOnce({
        StatusCode: 200,
        FunctionError: 'Unhandled',
        Payload: bytes({ errorMessage: 'pipeline not found' }),
      })
      .resolvesOnce({ StatusCode: 200, Payload: bytes({ ok: false, reason: 'queue not drained' }) })
      .resolvesOnce({ StatusCode: 200, Payload: bytes('null') });

    // Act
    const verdicts = [
      await invokeCustomAction(FN, REQUEST),
      await invokeCustomAction(FN, REQUEST),
      await invokeCustomAction(FN, REQUEST),
    ];

    // Assess
    expect(verdicts).toEqual([
      { ok: false, detail: 'the function failed (Unhandled): pipeline not found' },
      { ok: false, detail: 'queue not drained' },
      { ok: false, detail: 'answered null, not a JSON object' },
    ]);
  });

  it('keeps throttling retryable', async () => {
    // Prepare
    lambda.on(InvokeCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }));

    // Act
    const error = await invokeCustomAction(FN, REQUEST).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ThrottledError);
  });
});

describe('the custom action plan section', () => {
  it('accepts a function ARN with an alias and refuses anything that is not a Lambda function', () => {
    // Act / Assess
    expect(customActionConfig.safeParse({ functionArn: FN }).success).toBe(true);
    expect(customActionConfig.safeParse({ functionArn: 'arn:aws:sns:eu-west-1:111122223333:topic' }).success).toBe(
      false,
    );
    expect(customActionConfig.safeParse({ functionArn: FN, input: { blob: 'x'.repeat(5000) } }).success).toBe(false);
  });

  it('judges an answer without "ok": true as not done', () => {
    // Act / Assess
    expect(judgeCustomAction({ status: 'done' })).toEqual({ ok: false, detail: 'answered without "ok": true' });
    expect(judgeCustomAction({ ok: true })).toEqual({ ok: true, detail: 'done' });
  });
});
