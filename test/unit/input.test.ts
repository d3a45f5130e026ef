import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '#core/errors.js';
import { type ExecutionInput, parseExecutionInput } from '#core/input.js';

const GOOD = {
  plan: 'orders',
  mode: 'unplanned',
  reason: 'us-east-1 writer unreachable from three canaries',
  requestedBy: 'alice@example.com',
  incidentStartedAt: '2026-11-25T03:12:00Z',
} as const;

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

const MEGABYTE = 'x'.repeat(1024 * 1024);

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

  it.each<[string, string, (raw: Record<string, unknown>) => unknown]>([
    // non-object roots
    ['null', '(root)', () => null],
    ['undefined', '(root)', () => undefined],
    ['an array', '(root)', (raw) => [raw]],
    ['a string', '(root)', () => JSON.stringify(GOOD)],
    ['a number', '(root)', () => 42],
    // missing fields
    ['no plan', 'plan', ({ plan: _, ...rest }) => rest],
    ['no mode', 'mode', ({ mode: _, ...rest }) => rest],
    ['no reason', 'reason', ({ reason: _, ...rest }) => rest],
    ['no requestedBy', 'requestedBy', ({ requestedBy: _, ...rest }) => rest],
    ['no incidentStartedAt', 'incidentStartedAt', ({ incidentStartedAt: _, ...rest }) => rest],
    ['a trigger without a source', 'trigger.source', (raw) => ({ ...raw, trigger: { kind: 'manual' } })],
    // unknown fields
    ['an unknown field', 'force', (raw) => ({ ...raw, force: true })],
    ['a misspelt field', 'dry_run', (raw) => ({ ...raw, dry_run: true })],
    // wrong types and enums
    ['mode not in the enum', 'mode', (raw) => ({ ...raw, mode: 'emergency' })],
    ['mode in capitals', 'mode', (raw) => ({ ...raw, mode: 'PLANNED' })],
    ['dryRun as a string', 'dryRun', (raw) => ({ ...raw, dryRun: 'true' })],
    ['overrideCooldown as a number', 'overrideCooldown', (raw) => ({ ...raw, overrideCooldown: 1 })],
    ['plan as a number', 'plan', (raw) => ({ ...raw, plan: 7 })],
    ['reason as an object', 'reason', (raw) => ({ ...raw, reason: { text: 'x' } })],
    ['requestedBy as null', 'requestedBy', (raw) => ({ ...raw, requestedBy: null })],
    ['trigger as a string', 'trigger', (raw) => ({ ...raw, trigger: 'alarm' })],
    ['trigger.kind not in the enum', 'trigger.kind', (raw) => ({ ...raw, trigger: { kind: 'cron', source: 'x' } })],
    // empty, huge and dirty strings
    ['an empty reason', 'reason', (raw) => ({ ...raw, reason: '' })],
    ['an empty requestedBy', 'requestedBy', (raw) => ({ ...raw, requestedBy: '' })],
    ['a 1 MB reason', 'reason', (raw) => ({ ...raw, reason: MEGABYTE })],
    ['a 1 MB requestedBy', 'requestedBy', (raw) => ({ ...raw, requestedBy: MEGABYTE })],
    ['a 1 MB plan', 'plan', (raw) => ({ ...raw, plan: MEGABYTE })],
    ['a 1 MB trigger source', 'trigger.source', (raw) => ({ ...raw, trigger: { kind: 'alarm', source: MEGABYTE } })],
    ['a reason of 1001 characters', 'reason', (raw) => ({ ...raw, reason: 'r'.repeat(1001) })],
    ['a newline in the reason', 'reason', (raw) => ({ ...raw, reason: 'line one\nline two' })],
    ['a NUL in requestedBy', 'requestedBy', (raw) => ({ ...raw, requestedBy: 'alice\u0000' })],
    ['an escape sequence in requestedBy', 'requestedBy', (raw) => ({ ...raw, requestedBy: '\u001b[31malice' })],
    [
      'a DEL in the trigger source',
      'trigger.source',
      (raw) => ({ ...raw, trigger: { kind: 'manual', source: 'a\u007f' } }),
    ],
    // bad timestamps
    ['a date without a time', 'incidentStartedAt', (raw) => ({ ...raw, incidentStartedAt: '2026-11-25' })],
    ['a time without an offset', 'incidentStartedAt', (raw) => ({ ...raw, incidentStartedAt: '2026-11-25T03:12:00' })],
    ['30 February', 'incidentStartedAt', (raw) => ({ ...raw, incidentStartedAt: '2026-02-30T03:12:00Z' })],
    ['hour 25', 'incidentStartedAt', (raw) => ({ ...raw, incidentStartedAt: '2026-11-25T25:00:00Z' })],
    ['epoch milliseconds', 'incidentStartedAt', (raw) => ({ ...raw, incidentStartedAt: 1_795_000_000_000 })],
    [
      'an RFC 2822 date',
      'incidentStartedAt',
      (raw) => ({ ...raw, incidentStartedAt: 'Wed, 25 Nov 2026 03:12:00 GMT' }),
    ],
    ['an empty timestamp', 'incidentStartedAt', (raw) => ({ ...raw, incidentStartedAt: '' })],
    // bad plan names
    ['a plan in capitals', 'plan', (raw) => ({ ...raw, plan: 'Orders' })],
    ['a plan with a path', 'plan', (raw) => ({ ...raw, plan: '../orders' })],
    ['a plan with a space', 'plan', (raw) => ({ ...raw, plan: 'orders eu' })],
    ['a plan starting with a digit', 'plan', (raw) => ({ ...raw, plan: '1orders' })],
    ['a plan ending with -', 'plan', (raw) => ({ ...raw, plan: 'orders-' })],
    ['a plan of 32 characters', 'plan', (raw) => ({ ...raw, plan: `o${'r'.repeat(31)}` })],
    ['an empty plan', 'plan', (raw) => ({ ...raw, plan: '' })],
  ])('throws InvalidInputError naming %s', (_what, field, build) => {
    // Prepare
    const input = build(good());

    // Act
    const error = rejection(input);

    // Assess
    expect(error.name).toBe('InvalidInputError');
    expect(error.field).toBe(field);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
    expect(error.retryable).toBe(false);
  });

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
