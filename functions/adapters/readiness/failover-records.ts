/**
 * The failover records of a data-plane plan's `traffic.records` as Route 53 holds them (ListResourceRecordSets, every
 * set of each name with a `Failover` role) and the health checks they name (GetHealthCheck, once per id). Both are
 * Route 53 control-plane reads, served from us-east-1: the check's scope is `primary`. Reads only.
 */
import { GetHealthCheckCommand, type HealthCheck, Route53Client } from '@aws-sdk/client-route-53';
import { translateAwsError } from '#adapters/aws-errors.js';
import { clientFor } from '#adapters/client-cache.js';
import { ROUTE53_CONTROL_PLANE_REGION } from '#adapters/dns/route53.js';
import { listRecordSetsNamed, recordValues } from '#adapters/dns/route53-zone.js';
import type { PlanWithDns } from '#core/plan.js';
import type { FailoverRecordFacts, FailoverSetFacts, HealthCheckFacts } from '#core/ports.js';

const factsOf = (id: string, hc: HealthCheck | undefined): HealthCheckFacts => {
  const config = hc?.HealthCheckConfig;
  return {
    id,
    exists: true,
    ...(config?.Type ? { type: config.Type } : {}),
    ...(config?.RoutingControlArn ? { routingControlArn: config.RoutingControlArn } : {}),
    ...(config?.AlarmIdentifier
      ? { alarm: { region: config.AlarmIdentifier.Region ?? '', name: config.AlarmIdentifier.Name ?? '' } }
      : {}),
    ...(config?.Inverted !== undefined ? { inverted: config.Inverted } : {}),
    ...(config?.Disabled !== undefined ? { disabled: config.Disabled } : {}),
    ...(config?.InsufficientDataHealthStatus
      ? { insufficientDataHealthStatus: config.InsufficientDataHealthStatus }
      : {}),
  };
};

export class FailoverRecordReader {
  readonly #plan: PlanWithDns<'route53'>;
  readonly #makeClient: () => Route53Client;

  constructor(plan: PlanWithDns<'route53'>, deps: { route53?: () => Route53Client } = {}) {
    this.#plan = plan;
    this.#makeClient =
      deps.route53 ??
      (() => clientFor(Route53Client, ROUTE53_CONTROL_PLANE_REGION, { maxAttempts: 2, requestTimeoutMs: 5000 }));
  }

  async failoverRecords(): Promise<FailoverRecordFacts> {
    const traffic = this.#plan.traffic;
    const names = traffic.kind === 'upsert' ? [] : traffic.records;
    const client = this.#makeClient();
    const zone = this.#plan.dns.hostedZoneId;
    const listed = await Promise.all(names.map((name) => listRecordSetsNamed(client, zone, name)));
    const sets: FailoverSetFacts[] = listed.flat().flatMap((s) =>
      s.Failover
        ? [
            {
              name: (s.Name ?? '').replace(/\.$/, ''),
              type: s.Type ?? '',
              role: s.Failover,
              setIdentifier: s.SetIdentifier ?? '',
              values: recordValues([s]),
              ...(s.HealthCheckId ? { healthCheckId: s.HealthCheckId } : {}),
            },
          ]
        : [],
    );
    const ids = [...new Set(sets.flatMap((s) => (s.healthCheckId ? [s.healthCheckId] : [])))];
    const healthChecks = await Promise.all(ids.map((id) => this.#healthCheck(client, id)));
    return { sets, healthChecks };
  }

  async #healthCheck(client: Route53Client, id: string): Promise<HealthCheckFacts> {
    try {
      const out = await client.send(new GetHealthCheckCommand({ HealthCheckId: id }));
      return factsOf(id, out.HealthCheck);
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchHealthCheck') return { id, exists: false };
      throw translateAwsError(error, `GetHealthCheck ${id}`);
    }
  }
}
