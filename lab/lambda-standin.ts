/**
 * The lab's stand-in for Lambda's Invoke in the standby region, for a plan's custom actions: an HTTP server on
 * loopback speaking the Lambda API's REST protocol (`POST /2015-03-31/functions/<FunctionName>/invocations`), which
 * the real `@aws-sdk/client-lambda` client reaches through the SDK's endpoint setting (`AWS_ENDPOINT_URL_LAMBDA`).
 * A function the lab registers runs in this process: a `RequestResponse` invocation answers 200 with its result as
 * the payload, or, when it throws, 200 with `X-Amz-Function-Error: Unhandled` and an error object as the payload; an
 * `Event` invocation is accepted with 202; an unknown function is ResourceNotFoundException (404).
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 */
import { type StandInAnswer, startStandIn } from './standin-http.js';

export type LocalFunction = (event: unknown) => Promise<unknown>;

export interface LocalLambda {
  readonly url: string;
  /** Registers `fn` under its ARN (the FunctionName a plan gives). Returns how to remove it. */
  register(functionArn: string, fn: LocalFunction): () => void;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations/;

const start = async (): Promise<LocalLambda> => {
  const functions = new Map<string, LocalFunction>();
  const invoke = async (name: string, type: string, text: string): Promise<StandInAnswer> => {
    const fn = functions.get(name);
    if (!fn) {
      return { status: 404, body: { Type: 'User', message: `Function not found: ${name}` }, headers: notFound };
    }
    const event = text === '' ? {} : JSON.parse(text);
    if (type === 'Event') {
      void fn(event).catch(() => undefined);
      return { status: 202 };
    }
    try {
      return { status: 200, body: (await fn(event)) ?? null };
    } catch (error) {
      const { name: errorType, message: errorMessage } = error as Error;
      return { status: 200, body: { errorType, errorMessage }, headers: { 'x-amz-function-error': 'Unhandled' } };
    }
  };
  const { url } = await startStandIn('application/json', async (req, text) => {
    const match = INVOKE_PATH.exec(req.url ?? '');
    if (req.method !== 'POST' || !match?.[1]) {
      return { status: 400, body: { message: `${req.method} ${req.url} is not served by the lab` } };
    }
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    return invoke(decodeURIComponent(match[1]), type, text);
  });
  return {
    url,
    register: (functionArn, fn) => {
      functions.set(functionArn, fn);
      return () => {
        if (functions.get(functionArn) === fn) functions.delete(functionArn);
      };
    },
  };
};

/** The error code header of REST-JSON services: the SDK names the exception after it. */
const notFound = { 'x-amzn-errortype': 'ResourceNotFoundException' };

let shared: Promise<LocalLambda> | undefined;

/** The process's Lambda stand-in, started on first use. */
export const localLambda = (): Promise<LocalLambda> => {
  shared ??= start();
  return shared;
};
