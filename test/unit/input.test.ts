import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '#core/errors.js';
import { type ExecutionInput, parseExecutionInput } from '#core/input.js';
import { BAD_INPUTS, GOOD_INPUT, MEGABYTE } from '../fixtures/bad-input.js';

const GOOD = GOOD_INPUT;
const good = (): Record<string, unknown> => ({ ...GOOD });

const rejection = (input: unknown): InvalidInputError => {
  try {
    parseExecutionInput(input);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected InvalidInputError, but the input was accepted');
};

describe('parseExecutionInput', () => {
  it('accepts a minimal input and fills in the defaults', () => {
    // Act
    const input: ExecutionInput = parseExecutionInput(good());

    // Assess
    expect(input).toEqual({ ...GOOD, dryRun: false, overrideCooldown: false });
  });

  it('accepts every optional field as given', () => {
    // Prepare
    const raw = {
      ...good(),
      mode: 'planned',
      dryRun: true,
      overrideCooldown: true,
      incidentStartedAt: '2026-11-25T04:12:00.123+01:00',
      trigger: { kind: 'manual', source: 'cli' },
    };

    // Act
    const input = parseExecutionInput(raw);

    // Assess
    expect(input).toEqual(raw);
  });

  it('keeps the input unchanged by a JSON round trip', () => {
    // Prepare
    const input = parseExecutionInput({ ...good(), trigger: { kind: 'alarm', source: 'arn:aws:cloudwatch:x' } });

    // Act
    const again = parseExecutionInput(JSON.parse(JSON.stringify(input)));

    // Assess
    expect(again).toEqual(input);
  });

  it.each(BAD_INPUTS.map((r) => [r.what, r.field, r.build] as const))(
    'throws InvalidInputError naming %s',
    (_what, field, build) => {
      // Prepare
      const input = build(good());

      // Act
      const error = rejection(input);

      // Assess
      expect(error.name).toBe('InvalidInputError');
      expect(error.field).toBe(field);
      expect(error.message.startsWith(`${field}: `)).toBe(true);
      expect(error.retryable).toBe(false);
    },
  );

  it('names every unknown field when there are several', () => {
    // Prepare
    const input = { ...good(), force: true, skipChecks: true };

    // Act
    const error = rejection(input);

    // Assess
    expect(error.field).toBe('force, skipChecks');
    expect(error.message).toBe('force, skipChecks: unknown field');
  });

  it('keeps the message short when a field is 1 MB long', () => {
    // Prepare
    const input = { ...good(), reason: MEGABYTE };

    // Act
    const error = rejection(input);

    // Assess
    expect(error.message).toBe('reason: must be at most 1000 characters');
  });

  it('refuses an incident that starts in the future beyond clock skew, naming incidentStartedAt', () => {
    // Prepare
    const now = new Date('2026-11-25T03:00:00Z');

    // Act
    const error = (() => {
      try {
        parseExecutionInput({ ...good(), incidentStartedAt: '2026-11-25T03:05:01Z' }, now);
      } catch (e) {
        return e as InvalidInputError;
      }
      throw new Error('expected InvalidInputError');
    })();

    // Assess
    expect(error.name).toBe('InvalidInputError');
    expect(error.field).toBe('incidentStartedAt');
    expect(error.message).toBe('incidentStartedAt: must not be in the future (now is 2026-11-25T03:00:00.000Z)');
  });

  it('accepts an incident up to five minutes ahead of the clock (skew between machines)', () => {
    // Prepare
    const now = new Date('2026-11-25T03:00:00Z');

    // Act
    const input = parseExecutionInput({ ...good(), incidentStartedAt: '2026-11-25T03:05:00Z' }, now);

    // Assess
    expect(input.incidentStartedAt).toBe('2026-11-25T03:05:00Z');
  });

  it('refuses an incident that started more than 24 h before the clock, naming incidentStartedAt', () => {
    // Prepare: a year off, the typo that would otherwise be reported as an RTO of a year.
    const now = new Date('2026-11-25T03:00:00Z');

    // Act
    const error = (() => {
      try {
        parseExecutionInput({ ...good(), incidentStartedAt: '2025-11-25T02:58:00Z' }, now);
      } catch (e) {
        return e as InvalidInputError;
      }
      throw new Error('expected InvalidInputError');
    })();

    // Assess
    expect(error.name).toBe('InvalidInputError');
    expect(error.field).toBe('incidentStartedAt');
    expect(error.message).toBe(
      'incidentStartedAt: must not be more than 24 h in the past (now is 2026-11-25T03:00:00.000Z)',
    );
  });

  it('accepts an incident that started exactly 24 h before the clock', () => {
    // Prepare
    const now = new Date('2026-11-25T03:00:00Z');

    // Act
    const input = parseExecutionInput({ ...good(), incidentStartedAt: '2026-11-24T03:00:00Z' }, now);

    // Assess
    expect(input.incidentStartedAt).toBe('2026-11-24T03:00:00Z');
  });

  it('explains the timestamp format it wants', () => {
    // Act
    const error = rejection({ ...good(), incidentStartedAt: 'yesterday' });

    // Assess
    expect(error.message).toBe('incidentStartedAt: must be an ISO-8601 timestamp such as 2026-11-25T03:12:00Z');
  });

  it.each([
    ['the longest reason', { reason: 'r'.repeat(1000) }],
    ['the longest requestedBy', { requestedBy: 'u'.repeat(256) }],
    ['the longest plan name', { plan: `o${'r'.repeat(30)}` }],
    ['the shortest plan name', { plan: 'or' }],
    ['unicode text', { reason: 'Région primaire injoignable — 東京 ✓', requestedBy: 'zoë' }],
    ['a negative offset', { incidentStartedAt: '2026-11-24T22:12:00-05:00' }],
  ])('accepts %s', (_what, patch) => {
    // Prepare
    const raw = { ...good(), ...patch };

    // Act
    const input = parseExecutionInput(raw);

    // Assess
    expect(input).toMatchObject(patch);
  });
});
