/**
 * Exit codes and error messages of the `dr-failover` CLI. Every failure ends in one line that says what is
 * wrong and what to do, never a stack trace (DR_FAILOVER_DEBUG=1 prints the stack of an unexpected error).
 */
import { PlanValidationError } from '#core/errors.js';

/** One code per kind of ending, so scripts can tell a failed failover from a typo or a missing credential. */
export const EXIT = {
  ok: 0,
  /** The run failed (the failover did not complete); for readiness, a check is CRITICAL. */
  runFailed: 1,
  /** Bad input: usage, an invalid plan or execution input, an unknown plan or a malformed token. Nothing was sent. */
  badInput: 2,
  /** The run was aborted: RPO guard, approval denied or timed out, or stopped by a person. */
  runAborted: 3,
  /** AWS refused or could not be reached: no credentials, no such execution or state machine, access denied. */
  aws: 4,
  /** The approval request can no longer be answered: expired, already answered, or its run has ended. */
  approvalGone: 5,
  /** `watch --timeout` ended before the run did; the run goes on. */
  stillRunning: 6,
  /** A bug in the CLI itself. */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `
Exit codes:
  0   success (for start/watch: the failover succeeded; for readiness: no check CRITICAL; for stop: the run
      is stopped or had already ended)
  1   the run failed (for readiness: a check is CRITICAL)
  2   bad input (usage, invalid plan or input, unknown plan, malformed token), or a stop not confirmed:
      nothing was sent to AWS
  3   the run was aborted (RPO guard, approval denied or timed out, stopped by a person)
  4   AWS error (no credentials, unknown execution or state machine, access denied, unreachable)
  5   the approval request can no longer be answered (expired, already answered, run ended)
  6   watch --timeout passed before the run ended (the run goes on)
  70  internal error of the CLI`;

/** A failure the CLI explains in one line, with its exit code. */
export class CliError extends Error {
  readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

const NO_CREDENTIALS =
  'no AWS credentials found: set AWS_PROFILE (and run `aws sso login`), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';
const EXPIRED = 'the AWS session has expired: refresh your credentials (e.g. `aws sso login`)';
/**
 * The credential chain's own failures (the SDK raises them before any request is sent), one line each; with the
 * profile in use (AWS_PROFILE), the line names it and the command that fixes it.
 */
export const credentialProblem = (e: Error, profile?: string): string | undefined => {
  const fromChain = e.name === 'CredentialsProviderError' || e.name === 'TokenProviderError';
  if (!fromChain && !/could not load credentials/i.test(e.message)) return undefined;
  const login = profile ? `aws sso login --profile ${profile}` : 'aws sso login';
  if (/SSO session|SSO Token|Token is expired|sso login/i.test(e.message)) {
    return `the AWS SSO session has expired or was never started: run \`${login}\`, then run this again`;
  }
  const named = /using profile: \[([^\]]+)\]/.exec(e.message)?.[1] ?? profile;
  if (named) {
    return `no AWS credentials for the profile "${named}": check that it is in ~/.aws/config or ~/.aws/credentials (for an SSO profile, run \`${login}\`)`;
  }
  return NO_CREDENTIALS;
};

/** IAM's refusal, shortened to who may not do what on which resource (the SDK's message says it at length). */
const accessDenied = (e: Error): string => {
  const m = /User: (\S+) is not authorized to perform: (\S+)(?: on resource: (\S+))?(?: because (.*))?/.exec(e.message);
  if (!m) return `access denied: ${e.message}`;
  const [, who, action, resource, because] = m;
  return `access denied: ${who} may not ${action}${resource ? ` on ${resource}` : ''}${because ? ` (${because.replace(/\.$/, '')})` : ''}`;
};

const AWS_MESSAGES: Record<string, [string, ExitCode]> = {
  ExpiredTokenException: [EXPIRED, EXIT.aws],
  ExpiredToken: [EXPIRED, EXIT.aws],
  UnrecognizedClientException: ['AWS does not recognise these credentials: check AWS_PROFILE or your keys', EXIT.aws],
  InvalidSignatureException: ['AWS rejected the request signature: check your secret key and clock', EXIT.aws],
  ExecutionDoesNotExist: ['no such execution', EXIT.aws],
  StateMachineDoesNotExist: ['no such state machine', EXIT.aws],
  InvalidArn: ['not a valid ARN', EXIT.badInput],
  InvalidExecutionInput: ['Step Functions refused the execution input', EXIT.badInput],
  InvalidName: ['Step Functions refused the execution name', EXIT.badInput],
  ExecutionAlreadyExists: ['an execution of this name already exists (one incident, one run)', EXIT.aws],
  ExecutionLimitExceeded: ['too many executions are running in this account and region', EXIT.aws],
  ThrottlingException: ['Step Functions is throttling requests: try again in a moment', EXIT.aws],
  TaskTimedOut: [
    'the approval request has expired or was already answered (TaskTimedOut): the run no longer waits for it',
    EXIT.approvalGone,
  ],
  TaskDoesNotExist: [
    'no approval request waits for this token (TaskDoesNotExist): it was answered, or its run has ended',
    EXIT.approvalGone,
  ],
  InvalidToken: [
    'this is not a valid task token (InvalidToken): copy it whole from the Approval Required notification',
    EXIT.badInput,
  ],
  InvalidOutput: ['Step Functions refused the approval output', EXIT.badInput],
};

const NETWORK_CODES = new Set(['ENOTFOUND', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN']);

/** The SDK's own message adds the detail (which ARN, which action) for these. */
const WITH_DETAIL = new Set(['ExecutionDoesNotExist', 'StateMachineDoesNotExist', 'InvalidArn']);

/**
 * Turns an error into the one line the CLI prints and its exit code. `context` names what was being done
 * (`DescribeExecution arn:…`), so "no such execution" says which.
 */
export const explain = (error: unknown, context?: string): CliError => {
  if (error instanceof CliError) return error;
  if (!(error instanceof Error)) return new CliError(`unexpected failure: ${String(error)}`, EXIT.internal);
  const e = error as Error & { $metadata?: unknown; code?: string };
  const known = AWS_MESSAGES[e.name];
  const about = context ? ` (${context})` : '';
  const credentials = credentialProblem(e);
  if (credentials) return new CliError(credentials, EXIT.aws, { cause: error });
  if (e.name === 'AccessDeniedException' || e.name === 'AccessDenied') {
    return new CliError(accessDenied(e), EXIT.aws, { cause: error });
  }
  if (error instanceof PlanValidationError) {
    // A plan file in the plans directory that does not parse: every command reads the whole directory.
    return new CliError(
      `${e.message}: fix it or move it out of the plans directory (\`dr-failover plans validate\` lists each problem)`,
      EXIT.badInput,
      { cause: error },
    );
  }
  if (known) {
    const [message, code] = known;
    const detail = WITH_DETAIL.has(e.name) ? `: ${e.message}` : '';
    return new CliError(`${message}${detail}${about}`, code, { cause: error });
  }
  if (NETWORK_CODES.has(e.code ?? '') || e.name === 'TimeoutError') {
    return new CliError(`cannot reach Step Functions${about}: ${e.message}`, EXIT.aws, { cause: error });
  }
  // Any other error an AWS SDK client returned (it carries the response metadata).
  if (e.$metadata !== undefined) return new CliError(`${e.name}: ${e.message}${about}`, EXIT.aws, { cause: error });
  return new CliError(`internal error: ${e.name}: ${e.message}`, EXIT.internal, { cause: error });
};
