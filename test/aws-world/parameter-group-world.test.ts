import {
  DBParameterGroupNotFoundFault,
  DescribeDBParametersCommand,
  ModifyDBParameterGroupCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ALL_MOCKS } from '../statemachine/support.js';
import { virtualClock } from './clock.js';
import { RdsFailbackWorld, rdsFailbackDefaults } from './rds-failback.js';

const client = new RDSClient({ region: 'us-east-2' });
const GROUP = 'feature-store-replica-pg';
const readOnly = async (input: { Source?: string; MaxRecords?: number } = {}) => {
  const out = await client.send(new DescribeDBParametersCommand({ DBParameterGroupName: GROUP, ...input }));
  return out.Parameters?.find((p) => p.ParameterName === 'default_transaction_read_only');
};

afterEach(() => {
  for (const m of ALL_MOCKS) m.reset();
  vi.useRealTimers();
});

describe('the simulated DescribeDBParameters (the writer group of the way-back world)', () => {
  it('lists default_transaction_read_only as an engine default until ModifyDBParameterGroup sets it, then as user with its value', async () => {
    // Prepare
    new RdsFailbackWorld(virtualClock(), rdsFailbackDefaults());

    // Act, Assess
    expect(await readOnly()).toMatchObject({ Source: 'engine-default' });
    expect(await readOnly({ Source: 'user' })).toBeUndefined();
    await client.send(
      new ModifyDBParameterGroupCommand({
        DBParameterGroupName: GROUP,
        Parameters: [{ ParameterName: 'default_transaction_read_only', ParameterValue: '1', ApplyMethod: 'immediate' }],
      }),
    );
    expect(await readOnly({ Source: 'user' })).toMatchObject({ ParameterValue: '1', Source: 'user' });
    expect((await readOnly({ Source: 'engine-default' })) ?? 'absent').toBe('absent');
  });

  it('takes MaxRecords as at least 20 (the group fits one page: no Marker), and filters by parameter-name', async () => {
    // Prepare
    new RdsFailbackWorld(virtualClock(), rdsFailbackDefaults());

    // Act
    const all = await client.send(new DescribeDBParametersCommand({ DBParameterGroupName: GROUP, MaxRecords: 5 }));
    const named = await client.send(
      new DescribeDBParametersCommand({
        DBParameterGroupName: GROUP,
        Filters: [{ Name: 'parameter-name', Values: ['log_connections'] }],
      }),
    );

    // Assess: the group's few parameters fit the smallest page AWS allows.
    expect(all.Marker).toBeUndefined();
    expect(all.Parameters?.length).toBeGreaterThan(1);
    expect(named.Parameters?.map((p) => p.ParameterName)).toStrictEqual(['log_connections']);
  });

  it('answers DBParameterGroupNotFound for a group that does not exist', async () => {
    // Prepare
    new RdsFailbackWorld(virtualClock(), rdsFailbackDefaults());

    // Act
    const read = client.send(new DescribeDBParametersCommand({ DBParameterGroupName: 'no-such-group' }));

    // Assess
    await expect(read).rejects.toThrow(DBParameterGroupNotFoundFault);
  });
});
