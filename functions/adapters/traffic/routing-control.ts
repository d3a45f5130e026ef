/**
 * `routing-control` traffic switch: ARC routing controls, on the cluster's data plane only. One
 * UpdateRoutingControlStates sets the standby's control On and the primary's Off together, so a safety rule such
 * as "at least one On" holds at every moment; GetRoutingControlState confirms. Nothing here calls Route 53's
 * control plane: the failover records tied to the controls' health checks were created ahead of time.
 * https://docs.aws.amazon.com/routing-control/latest/APIReference/API_UpdateRoutingControlStates.html
 * https://docs.aws.amazon.com/routing-control/latest/APIReference/API_GetRoutingControlState.html
 */
import {
  GetRoutingControlStateCommand,
  type Route53RecoveryClusterClient,
  UpdateRoutingControlStatesCommand,
} from '@aws-sdk/client-route53-recovery-cluster';
import type { PlanWithTraffic } from '#core/plan.js';
import type { ChangeStatus, DnsSwitch, TrafficChange } from '#core/ports.js';
import { type ClusterEndpoint, clusterClient, onCluster } from './endpoints.js';

export interface RoutingControlSwitchDeps {
  /** Reads what the plan's record answers (Verify): the plan's `dns` adapter. */
  records: Pick<DnsSwitch, 'resolve'>;
  /** The client of one cluster endpoint; tests pass mocked clients. */
  clientOf?: (endpoint: ClusterEndpoint, timeoutMs: number) => Route53RecoveryClusterClient;
}

export type RoutingStates = { primary: string; standby: string };

export class RoutingControlSwitch implements DnsSwitch {
  readonly #plan: PlanWithTraffic<'routing-control'>;
  readonly #deps: RoutingControlSwitchDeps;

  constructor(plan: PlanWithTraffic<'routing-control'>, deps: RoutingControlSwitchDeps) {
    this.#plan = plan;
    this.#deps = deps;
  }

  #onCluster<T>(what: string, call: (client: Route53RecoveryClusterClient, signal: AbortSignal) => Promise<T>) {
    const t = this.#plan.traffic;
    return onCluster(t.clusterEndpoints, t.endpointTimeoutMs, what, call, this.#deps.clientOf ?? clusterClient);
  }

  /**
   * Standby On and primary Off in one call. Idempotent: controls already in those states stay so (ARC accepts
   * setting a state it already has), and nothing here ever sets the standby Off.
   */
  async point(_recordName: string, _target: string, _ttl: number): Promise<TrafficChange> {
    const { routingControls } = this.#plan.traffic;
    const { endpoint, skipped } = await this.#onCluster('UpdateRoutingControlStates', (client, abortSignal) =>
      client.send(
        new UpdateRoutingControlStatesCommand({
          UpdateRoutingControlStateEntries: [
            { RoutingControlArn: routingControls.standby, RoutingControlState: 'On' },
            { RoutingControlArn: routingControls.primary, RoutingControlState: 'Off' },
          ],
        }),
        { abortSignal },
      ),
    );
    const passed = skipped.length > 0 ? ` after ${skipped.length} endpoint(s) did not answer` : '';
    return {
      changeId: `routing-control:${endpoint.region}`,
      mechanism: 'routing-control',
      endpoint: endpoint.region,
      detail: `routing controls: ${this.#plan.regions.standby} On, ${this.#plan.regions.primary} Off via ${endpoint.region}${passed}`,
    };
  }

  /** Both controls as the cluster reads them now (each read rotates the endpoints on its own). */
  async states(): Promise<RoutingStates & { endpoint: string }> {
    const { routingControls } = this.#plan.traffic;
    const read = (arn: string) =>
      this.#onCluster(`GetRoutingControlState ${arn}`, (client, abortSignal) =>
        client.send(new GetRoutingControlStateCommand({ RoutingControlArn: arn }), { abortSignal }),
      );
    const standby = await read(routingControls.standby);
    const primary = await read(routingControls.primary);
    return {
      standby: standby.value.RoutingControlState ?? 'unknown',
      primary: primary.value.RoutingControlState ?? 'unknown',
      endpoint: standby.endpoint.region,
    };
  }

  /** In sync once the cluster reads the standby On and the primary Off. */
  async changeStatus(_changeId: string): Promise<ChangeStatus> {
    const states = await this.states();
    return states.standby === 'On' && states.primary === 'Off' ? 'insync' : 'pending';
  }

  resolve(recordName: string): Promise<string[]> {
    return this.#deps.records.resolve(recordName);
  }
}
