/**
 * The lab's stand-in for SageMaker in the standby region, for the ML platform drill's serving capacity: an HTTP
 * server on loopback speaking the SageMaker API's wire protocol (AWS JSON 1.1, `X-Amz-Target: SageMaker.<Op>`), which
 * the real `@aws-sdk/client-sagemaker` client reaches through the SDK's endpoint setting
 * (`AWS_ENDPOINT_URL_SAGEMAKER`). It serves DescribeEndpoint and UpdateEndpointWeightsAndCapacities for the endpoints
 * the lab registers: "When it receives the request, SageMaker sets the endpoint status to Updating. After updating the
 * endpoint, it sets the status to InService" (here `scaleMs` later, with the variant's current count at the desired
 * one); an unknown endpoint is not found. An update of an endpoint that is not InService is refused here
 * (ValidationException): the API reference lists no such refusal (its only error is ResourceLimitExceeded), so this
 * is the lab being strict, not AWS modelled: the capacity adapter never updates an endpoint that is Updating, and a
 * refusal here would show it did.
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpointWeightsAndCapacities.html
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html
 */
import { type StandInAnswer, startStandIn } from './standin-http.js';

interface Endpoint {
  name: string;
  variant: string;
  current: number;
  desired: number;
  status: 'InService' | 'Updating';
  scaleMs: number;
  updates: number;
}

export interface LocalSageMaker {
  readonly url: string;
  /**
   * Registers an InService endpoint with one variant at `count` instances. Returns how to remove it. An update
   * settles `scaleMs` after it is accepted and, with `hold`, not before that has resolved either: a test that reads
   * the endpoint while Updating holds it there, so how long its reads take on a loaded machine decides nothing.
   */
  endpoint(e: { name: string; variant: string; count: number; scaleMs: number; hold?: Promise<unknown> }): () => void;
  /** The endpoint as it is now (undefined when not registered). */
  describe(name: string): Readonly<Endpoint> | undefined;
}

const refuse = (message: string): StandInAnswer => ({ status: 400, body: { __type: 'ValidationException', message } });

const start = async (): Promise<LocalSageMaker> => {
  const endpoints = new Map<string, Endpoint>();
  const holds = new WeakMap<Endpoint, Promise<unknown>>();
  const describeEndpoint = (body: Record<string, unknown>): StandInAnswer => {
    const e = endpoints.get(String(body.EndpointName));
    if (!e) return refuse(`Could not find endpoint "${String(body.EndpointName)}".`);
    return {
      status: 200,
      body: {
        EndpointName: e.name,
        EndpointArn: `arn:aws:sagemaker:eu-west-1:000000000000:endpoint/${e.name}`,
        EndpointConfigName: `${e.name}-config`,
        EndpointStatus: e.status,
        ProductionVariants: [
          { VariantName: e.variant, CurrentInstanceCount: e.current, DesiredInstanceCount: e.desired },
        ],
        CreationTime: 0,
        LastModifiedTime: Date.now() / 1000,
      },
    };
  };
  const update = (body: Record<string, unknown>): StandInAnswer => {
    const e = endpoints.get(String(body.EndpointName));
    if (!e) return refuse(`Could not find endpoint "${String(body.EndpointName)}".`);
    if (e.status !== 'InService') return refuse(`Cannot update in-progress endpoint "${e.name}".`);
    const wanted = (
      (body.DesiredWeightsAndCapacities ?? []) as { VariantName?: string; DesiredInstanceCount?: number }[]
    ).find((d) => d.VariantName === e.variant);
    if (!wanted || wanted.DesiredInstanceCount === undefined) return refuse(`no capacity for variant ${e.variant}`);
    const count = wanted.DesiredInstanceCount;
    e.status = 'Updating';
    e.desired = count;
    e.updates += 1;
    setTimeout(() => {
      void Promise.resolve(holds.get(e)).then(() => {
        e.current = count;
        e.status = 'InService';
      });
    }, e.scaleMs).unref();
    return { status: 200, body: { EndpointArn: `arn:aws:sagemaker:eu-west-1:000000000000:endpoint/${e.name}` } };
  };
  const { url } = await startStandIn('application/x-amz-json-1.1', async (req, text) => {
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^SageMaker\./, '');
    const body = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
    if (operation === 'DescribeEndpoint') return describeEndpoint(body);
    if (operation === 'UpdateEndpointWeightsAndCapacities') return update(body);
    return refuse(`${operation} is not served by the lab`);
  });
  return {
    url,
    endpoint: ({ name, variant, count, scaleMs, hold }) => {
      const e: Endpoint = { name, variant, current: count, desired: count, status: 'InService', scaleMs, updates: 0 };
      endpoints.set(name, e);
      if (hold) holds.set(e, hold);
      return () => {
        if (endpoints.get(name) === e) endpoints.delete(name);
      };
    },
    describe: (name) => endpoints.get(name),
  };
};

let shared: Promise<LocalSageMaker> | undefined;

/** The process's SageMaker stand-in, started on first use. */
export const localSageMaker = (): Promise<LocalSageMaker> => {
  shared ??= start();
  return shared;
};
