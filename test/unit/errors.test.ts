import { describe, expect, it } from 'vitest';
import {
  DrFailoverError,
  ERROR_CLASSES,
  type ErrorName,
  InvalidInputError,
  PlanValidationError,
  RETRYABLE_ERROR_NAMES,
} from '#core/errors.js';

const NAMES = Object.keys(ERROR_CLASSES) as ErrorName[];

/** One instance of a class, built with its own constructor signature. */
const build = (name: ErrorName, cause: unknown): DrFailoverError => {
  if (name === 'InvalidInputError') return new InvalidInputError('mode', 'must be planned or unplanned', { cause });
  if (name === 'PlanValidationError') {
    return new PlanValidationError('plans/orders.yml', [{ path: 'dns.ttl', message: 'too big' }], { cause });
  }
  const Cls = ERROR_CLASSES[name] as new (message: string, options?: ErrorOptions) => DrFailoverError;
  return new Cls('something happened', { cause });
};

describe('ERROR_CLASSES', () => {
  it.each(NAMES)('%s has its class name as its name', (name) => {
    // Act
    const error = build(name, undefined);

    // Assess
    expect(error.name).toBe(name);
    expect(ERROR_CLASSES[name].name).toBe(name);
    expect(name.endsWith('Error')).toBe(true);
  });

  it.each(NAMES)('%s passes the cause through', (name) => {
    // Prepare
    const cause = new Error('ThrottlingException: Rate exceeded');

    // Act
    const error = build(name, cause);

    // Assess
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(DrFailoverError);
    expect(error).toBeInstanceOf(Error);
  });

  it.each(NAMES)('%s is retryable exactly when RETRYABLE_ERROR_NAMES lists it', (name) => {
    // Act
    const error = build(name, undefined);

    // Assess
    expect(error.retryable).toBe((RETRYABLE_ERROR_NAMES as readonly string[]).includes(name));
  });

  it('lists only exported class names as retryable', () => {
    // Assess
    for (const name of RETRYABLE_ERROR_NAMES) expect(NAMES).toContain(name);
  });

  it('puts the field first in an InvalidInputError message', () => {
    // Act
    const error = new InvalidInputError('trigger.kind', 'must be alarm, schedule or manual');

    // Assess
    expect(error.field).toBe('trigger.kind');
    expect(error.message).toBe('trigger.kind: must be alarm, schedule or manual');
  });

  it('lists every issue of a PlanValidationError in its message, the root as (root)', () => {
    // Act
    const error = new PlanValidationError('plans/x.yml', [
      { path: '', message: 'unreadable' },
      { path: 'dns.ttl', message: 'too big' },
    ]);

    // Assess
    expect(error.message).toBe('invalid plan plans/x.yml: (root): unreadable; dns.ttl: too big');
    expect(error.issues).toHaveLength(2);
  });
});
