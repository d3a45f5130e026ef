import {
  GetMultiRegionAccessPointRoutesCommand,
  S3ControlClient,
  SubmitMultiRegionAccessPointRoutesCommand,
} from '@aws-sdk/client-s3-control';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { switchAccessPoint } from '#adapters/access-point/index.js';
import { accessPointConfig, controlRegionOrder } from '#core/access-point.js';
import { AwsRequestFailedError, ServiceUnavailableError } from '#core/errors.js';

const s3c = mockClient(S3ControlClient);

afterEach(() => {
  s3c.reset();
});

const MRAP = 'arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap';
const CONFIG = accessPointConfig.parse({
  mrapArn: MRAP,
  primary: { bucket: 'models-us', region: 'us-east-1' },
  standby: { bucket: 'models-eu', region: 'eu-west-1' },
});
const routes = (us: number, eu: number) => ({
  Mrap: MRAP,
  Routes: [
    { Bucket: 'models-us', Region: 'us-east-1', TrafficDialPercentage: us },
    { Bucket: 'models-eu', Region: 'eu-west-1', TrafficDialPercentage: eu },
  ],
});

/** A client per Region, each the mocked one, recording the order Regions were asked in. */
const regionsAsked = () => {
  const asked: string[] = [];
  const client = (region: string) => {
    asked.push(region);
    return new S3ControlClient({ region });
  };
  return { asked, client };
};

const unavailable = () =>
  Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable', $fault: 'server', $metadata: {} });

describe('controlRegionOrder', () => {
  it('tries the standby’s own Region first and the primary’s last', () => {
    // Act / Assess
    expect(controlRegionOrder('eu-west-1', 'us-east-1')).toEqual([
      'eu-west-1',
      'us-west-2',
      'ap-southeast-2',
      'ap-northeast-1',
      'us-east-1',
    ]);
    expect(controlRegionOrder('eu-central-1', 'us-east-2')).toEqual([
      'us-east-1',
      'us-west-2',
      'ap-southeast-2',
      'ap-northeast-1',
      'eu-west-1',
    ]);
  });
});

describe('switchAccessPoint', () => {
  it('makes the standby active and the primary passive in one request, then reads the routes back', async () => {
    // Prepare
    s3c.on(GetMultiRegionAccessPointRoutesCommand).resolvesOnce(routes(100, 0)).resolvesOnce(routes(0, 100));
    s3c.on(SubmitMultiRegionAccessPointRoutesCommand).resolves({});
    const { asked, client } = regionsAsked();

    // Act
    const result = await switchAccessPoint(CONFIG, { client });

    // Assess
    expect(result).toMatchObject({ outcome: 'switched', answeredBy: 'eu-west-1', skipped: [] });
    expect(result.detail).toMatch(/takes effect within 2 minutes/);
    expect(asked).toEqual(['eu-west-1']);
    expect(s3c.commandCalls(SubmitMultiRegionAccessPointRoutesCommand)[0]?.args[0].input).toEqual({
      AccountId: '111122223333',
      Mrap: MRAP,
      RouteUpdates: [
        { Bucket: 'models-eu', Region: 'eu-west-1', TrafficDialPercentage: 100 },
        { Bucket: 'models-us', Region: 'us-east-1', TrafficDialPercentage: 0 },
      ],
    });
  });

  it('changes nothing when the routes already send traffic to the standby only (a retry, a re-run)', async () => {
    // Prepare
    s3c.on(GetMultiRegionAccessPointRoutesCommand).resolves(routes(0, 100));

    // Act
    const result = await switchAccessPoint(CONFIG);

    // Assess
    expect(result.outcome).toBe('already-switched');
    expect(s3c).not.toHaveReceivedCommand(SubmitMultiRegionAccessPointRoutesCommand);
  });

  it('tries the next failover control Region when one does not answer, and records which answered', async () => {
    // Prepare
    s3c
      .on(GetMultiRegionAccessPointRoutesCommand)
      .rejectsOnce(unavailable())
      .rejectsOnce(Object.assign(new Error('aborted'), { name: 'AbortError' }))
      .resolvesOnce(routes(100, 0))
      .resolvesOnce(routes(0, 100));
    s3c.on(SubmitMultiRegionAccessPointRoutesCommand).resolves({});
    const { asked, client } = regionsAsked();

    // Act
    const result = await switchAccessPoint(CONFIG, { client });

    // Assess
    expect(asked).toEqual(['eu-west-1', 'us-west-2', 'ap-southeast-2']);
    expect(result.answeredBy).toBe('ap-southeast-2');
    expect(result.skipped).toHaveLength(2);
    expect(result.skipped[0]).toMatch(/^eu-west-1: /);
  });

  it('stops at a refusal every Region would repeat, and says so when no Region answers', async () => {
    // Prepare
    const denied = Object.assign(new Error('denied'), { name: 'AccessDenied', $fault: 'client', $metadata: {} });
    s3c.on(GetMultiRegionAccessPointRoutesCommand).rejectsOnce(denied);
    const { asked, client } = regionsAsked();

    // Act
    const refusal = await switchAccessPoint(CONFIG, { client }).catch((e: unknown) => e);
    s3c.reset();
    s3c.on(GetMultiRegionAccessPointRoutesCommand).rejects(unavailable());
    const dark = await switchAccessPoint(CONFIG).catch((e: unknown) => e);

    // Assess
    expect(refusal).toBeInstanceOf(AwsRequestFailedError);
    expect(asked).toEqual(['eu-west-1']);
    expect(dark).toBeInstanceOf(ServiceUnavailableError);
    expect((dark as Error).message).toMatch(/^no failover control Region answered: eu-west-1: .*us-east-1: /);
    expect(s3c).not.toHaveReceivedCommand(SubmitMultiRegionAccessPointRoutesCommand);
  });

  it('refuses a plan whose access point is not a Multi-Region Access Point ARN', () => {
    // Act / Assess
    expect(accessPointConfig.safeParse({ ...CONFIG, mrapArn: 'arn:aws:s3:::models-us' }).success).toBe(false);
  });
});
