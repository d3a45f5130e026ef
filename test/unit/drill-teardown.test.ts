import { describe, expect, it } from 'vitest';
import { cleanupActiveDrills, Teardown } from '#lab/drill/teardown.js';

/** A start the test finishes when it wants: a server still coming up. */
const pendingStart = () => {
  let finish: (name: string) => void = () => undefined;
  const start = new Promise<string>((resolve) => {
    finish = resolve;
  });
  return { start, finish: (name: string) => finish(name) };
};

describe('the drill teardown', () => {
  it('stops what is still starting when it runs: it waits for the start, then stops it', async () => {
    // Prepare: one thing up, one still starting when the drill is stopped from outside (a test timed out)
    const stopped: string[] = [];
    const teardown = new Teardown();
    teardown.add('dns', async (t) => stopped.push(t));
    const { start, finish } = pendingStart();
    const regions = teardown.starting(start, async (t) => stopped.push(t));

    // Act
    const cleaning = cleanupActiveDrills();
    await Promise.resolve();
    const beforeUp = [...stopped];
    finish('regions');
    await cleaning;

    // Assess: nothing stopped before the start finished; then both, last started first
    expect(beforeUp).toEqual([]);
    expect(await regions).toBe('regions');
    expect(stopped).toEqual(['regions', 'dns']);
  });

  it('passes a failed start on and stops the rest', async () => {
    // Prepare
    const stopped: string[] = [];
    const teardown = new Teardown();
    teardown.add('dns', async (t) => stopped.push(t));
    const failed = teardown.starting(Promise.reject(new Error('initdb failed')), async () => stopped.push('never'));

    // Act
    await teardown.run();

    // Assess
    await expect(failed).rejects.toThrow('initdb failed');
    expect(stopped).toEqual(['dns']);
  });
});
