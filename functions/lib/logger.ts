import { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import { redact, redactString } from '#core/redact.js';

const SENSITIVE_KEY = /pass(word)?|secret|token|credential|authorization|api[-_]?key|private[-_]?key/i;

/**
 * Redacts at serialisation time, for every log line: values under sensitive keys, and connection-string
 * passwords inside any string. Log lines pass through here whatever the call site logged.
 */
export const redactingReplacer = (key: string, value: unknown): unknown => {
  if (key !== '' && SENSITIVE_KEY.test(key) && value !== null && value !== undefined) return '[REDACTED]';
  if (typeof value === 'string') return redactString(value);
  // Errors lose their stack here: its first line repeats the raw message, which may carry a secret.
  if (value instanceof Error) return redact(value);
  return value;
};

/** The one structured logger of every step. */
export const logger = new Logger({ serviceName: 'dr-failover', jsonReplacerFn: redactingReplacer });

/**
 * Masks secrets in place in an error about to leave a Lambda: the runtime logs its message and stack and Step
 * Functions keeps them as the state's `$.error.Cause` and in the execution history, out of reach of the logger's
 * replacer. The name (what Retry and Catch match on) and the class stay; `cause` stays for the logger, which
 * redacts it when it serialises.
 */
export const redactErrorInPlace = (error: unknown): void => {
  if (!(error instanceof Error)) return;
  try {
    const message = redactString(error.message);
    if (message !== error.message) error.message = message;
    if (typeof error.stack === 'string') {
      const stack = redactString(error.stack);
      if (stack !== error.stack) error.stack = stack;
    }
  } catch {
    // A frozen error cannot be changed; throwing here would replace the step's named error with a TypeError.
  }
};

/**
 * The onError of every Lambda entry point: logs the failure with its name and cause, then masks secrets in it before
 * it leaves (redactErrorInPlace). It lets the error escape: the error `name` is what the state machine's Retry and
 * Catch match on, so no middleware may turn a failure into a response.
 */
export const logAndMaskErrors = (message: string): MiddlewareObj => ({
  onError: async (request) => {
    const error = request.error;
    logger.error(message, {
      errorName: error?.name,
      error,
      retryable: (error as { retryable?: boolean } | null)?.retryable === true,
    });
    redactErrorInPlace(error);
  },
});
