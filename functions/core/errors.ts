/**
 * Named errors: the error `name` is the contract with the state machine (Retry/Catch match on it).
 *
 * Retryable errors are transient conditions that the same call can clear by waiting; terminal errors
 * will fail the same way again and must never appear in a Retry list (test/statemachine/error-names.test.ts).
 */

/** Base class of every error a dr-failover step throws on purpose. */
export class DrFailoverError extends Error {
  /** True when the state machine may retry the step that threw it. */
  readonly retryable: boolean = false;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DrFailoverError';
  }
}

// ---------------------------------------------------------------- terminal

/** The execution input (console, CLI, trigger) is not of the one accepted shape. */
export class InvalidInputError extends DrFailoverError {
  /** Dotted path of the first offending field, e.g. `mode` or `plan`. */
  readonly field: string;

  constructor(field: string, message: string, options?: ErrorOptions) {
    super(`${field}: ${message}`, options);
    this.name = 'InvalidInputError';
    this.field = field;
  }
}

/** A DR plan file is missing, unreadable or does not satisfy the plan schema. */
export class PlanValidationError extends DrFailoverError {
  readonly issues: readonly { path: string; message: string }[];

  constructor(source: string, issues: readonly { path: string; message: string }[], options?: ErrorOptions) {
    super(`invalid plan ${source}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, options);
    this.name = 'PlanValidationError';
    this.issues = issues;
  }
}

/** A required environment variable or deployment setting is missing or malformed. */
export class ConfigurationError extends DrFailoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

/**
 * The pair of database nodes does not show one writer streaming to one standby (two writers, no writer, no
 * replication between them): which way a run would go cannot be observed, and dr-failover does not guess.
 */
export class AmbiguousTopologyError extends DrFailoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AmbiguousTopologyError';
  }
}

/**
 * Where an old primary's history forked from the new primary's cannot be established (the new primary's timeline
 * history does not descend from the old primary's timeline): its lost writes cannot be told apart, and nothing is
 * rebuilt from it.
 */
export class ForkPointUnknownError extends DrFailoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ForkPointUnknownError';
  }
}

/**
 * The read replica the way back builds in the old primary's region failed (RDS shows it in a failed state, or a
 * snapshot preserving the old primary failed): waiting will not make it replicate.
 */
export class RebuildFailedError extends DrFailoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RebuildFailedError';
  }
}

/**
 * The rebuilt replica did not replicate within the checks a run allows. RDS goes on building it; a later failback
 * run finds it (the step is idempotent) and waits again.
 */
export class RebuildTimedOutError extends DrFailoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RebuildTimedOutError';
  }
}

/** Replication lag stayed above the plan's RPO limit (or unknown) for every allowed check. */
export class ReplicationLagExceededError extends DrFailoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReplicationLagExceededError';
  }
}

/** An on-call engineer denied the failover when asked for approval. */
export class ApprovalDeniedError extends DrFailoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ApprovalDeniedError';
  }
}

/**
 * Nobody answered an approval request by the plan's deadline (`approval.timeoutMinutes`): the one-time timer armed
 * with the request failed the waiting task with this name.
 */
export class ApprovalTimedOutError extends DrFailoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ApprovalTimedOutError';
  }
}

/** Fencing the old primary failed in a planned run (which must never promote over a writable primary). */
export class FenceFailedError extends DrFailoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FenceFailedError';
  }
}

/** The promotion API refused, or the database reports the promotion failed. */
export class PromotionFailedError extends DrFailoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PromotionFailedError';
  }
}

/** The standby did not become writable within the plan's number of status checks. */
export class PromotionTimedOutError extends DrFailoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PromotionTimedOutError';
  }
}

/**
 * The DNS or traffic change was refused for good (bad zone, bad record, access denied, a routing control or take-over
 * alarm that does not exist): retrying, or another cluster endpoint, would be refused the same way.
 */
export class DnsChangeFailedError extends DrFailoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DnsChangeFailedError';
  }
}

/** The DNS change did not reach INSYNC within the plan's number of status checks. */
export class DnsSyncTimedOutError extends DrFailoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DnsSyncTimedOutError';
  }
}

/** The record answers with something other than the new writer after the switch. */
export class DnsVerificationFailedError extends DrFailoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DnsVerificationFailedError';
  }
}

/** A cloud API refused the request for a reason that retrying will not change (access denied, not found, validation). */
export class AwsRequestFailedError extends DrFailoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AwsRequestFailedError';
  }
}

/** Another run of the same plan is in progress or inside its cooldown. */
export class AlreadyInProgressError extends DrFailoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AlreadyInProgressError';
  }
}

/**
 * A platform component's action failed for good (a custom action that did not answer `ok`, capacity the resource
 * cannot reach), or a stage of components ended with one failed: later stages are not started.
 */
export class ComponentActionFailedError extends DrFailoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ComponentActionFailedError';
  }
}

/** A component's action did not settle (capacity not healthy) within its plan's `maxChecks`. */
export class ComponentTimedOutError extends DrFailoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ComponentTimedOutError';
  }
}

/**
 * A planned run's artifact gate (plan `artifacts`, `onMissing: block`): model versions the registry says must be
 * loadable whose artifacts are not known to be in the standby region's buckets. Nothing was changed.
 */
export class ArtifactsMissingError extends DrFailoverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ArtifactsMissingError';
  }
}

// ---------------------------------------------------------------- retryable

/** The provider throttled the call (ThrottlingException, Throttling, TooManyRequestsException, ...). */
export class ThrottledError extends DrFailoverError {
  override readonly retryable = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ThrottledError';
  }
}

/** The provider answered with a 5xx or the connection failed in transit. */
export class ServiceUnavailableError extends DrFailoverError {
  override readonly retryable = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ServiceUnavailableError';
  }
}

/**
 * The resource is busy with another operation (InvalidDBClusterStateFault, InvalidDBInstanceStateFault while
 * modifying, Route 53 PriorRequestNotComplete): the same request succeeds once it settles.
 */
export class ResourceBusyError extends DrFailoverError {
  override readonly retryable = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ResourceBusyError';
  }
}

/** A self-managed database could not be reached (connection refused, reset, timed out). */
export class DatabaseUnreachableError extends DrFailoverError {
  override readonly retryable = true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DatabaseUnreachableError';
  }
}

/** Every error class the code exports, by name: the vocabulary the state machine may match on. */
export const ERROR_CLASSES = {
  InvalidInputError,
  PlanValidationError,
  ConfigurationError,
  ReplicationLagExceededError,
  ApprovalDeniedError,
  ApprovalTimedOutError,
  FenceFailedError,
  PromotionFailedError,
  PromotionTimedOutError,
  DnsChangeFailedError,
  DnsSyncTimedOutError,
  DnsVerificationFailedError,
  AwsRequestFailedError,
  AlreadyInProgressError,
  ThrottledError,
  ServiceUnavailableError,
  ResourceBusyError,
  DatabaseUnreachableError,
  AmbiguousTopologyError,
  ForkPointUnknownError,
  ComponentActionFailedError,
  ComponentTimedOutError,
  ArtifactsMissingError,
  RebuildFailedError,
  RebuildTimedOutError,
} as const;

export type ErrorName = keyof typeof ERROR_CLASSES;

/** Names of the errors a step may be retried on (test/unit/errors.test.ts checks each class agrees). */
export const RETRYABLE_ERROR_NAMES = [
  'ThrottledError',
  'ServiceUnavailableError',
  'ResourceBusyError',
  'DatabaseUnreachableError',
] as const satisfies readonly ErrorName[];

/**
 * The error a person's `dr-failover stop` gives StopExecution: the run-ended notification tells a run stopped on
 * purpose (with the reason, its cause) from one that timed out or failed outside the state machine's Catch.
 */
export const STOPPED_BY_OPERATOR = 'StoppedByOperator';
