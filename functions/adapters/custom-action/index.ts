/**
 * Invokes a plan's custom action synchronously (Lambda API reference, Invoke: `RequestResponse`). A function error
 * (`FunctionError` set: the function threw or timed out) and an answer that is not `{ "ok": true }` both fail the
 * action with what the function said; throttling and service errors stay retryable for the state machine.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import { parseArn } from '#core/arn.js';
import { type CustomActionRequest, type CustomActionVerdict, judgeCustomAction } from '#core/custom-action.js';

export const invokeCustomAction = async (
  functionArn: string,
  request: CustomActionRequest,
  deps: { lambda?: LambdaClient } = {},
): Promise<CustomActionVerdict> => {
  const region = parseArn(functionArn)?.region ?? 'us-east-1';
  const lambda = deps.lambda ?? clientFor(LambdaClient, region);
  const what = `Invoke ${functionArn}`;
  const out = await lambda
    .send(
      new InvokeCommand({
        FunctionName: functionArn,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(request)),
      }),
    )
    .catch((error: unknown) => {
      throw translateAwsError(error, what);
    });
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
  let answer: unknown;
  try {
    answer = text === '' ? undefined : JSON.parse(text);
  } catch {
    answer = text;
  }
  if (out.FunctionError) {
    const message = (answer as { errorMessage?: unknown } | undefined)?.errorMessage;
    const said = typeof message === 'string' ? message : text;
    return { ok: false, detail: `the function failed (${out.FunctionError}): ${said}`.slice(0, 500) };
  }
  return judgeCustomAction(answer);
};
