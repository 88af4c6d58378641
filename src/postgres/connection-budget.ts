import { Problem } from '../core';

/** What a target runs against one database: how many web replicas at most, and what each holds. */
export interface ConnectionDemand {
  /** Where the demand is counted, named in a refusal: `web` (compose) or `kubernetes`. */
  readonly component: string;
  /** The field a user changes to lower the replica count, e.g. `replicas` or `autoscaling.maxReplicas`. */
  readonly replicasField: string;
  /** The most web replicas that run at once, a rollout's extra one included. */
  readonly replicas: number;
  /** Why that many: e.g. '1, and its replacement during ops/redeploy.sh'. */
  readonly replicasWhy: string;
  readonly workers: number;
  /** Connections per worker: its pool's maxSize and the health check's own. */
  readonly perWorker: number;
}

/** What the database offers the app: max_connections less the connections kept for ops, migrations and superusers. */
export interface ConnectionSupply {
  readonly maxConnections: number;
  readonly reservedConnections: number;
}

/**
 * Refuses a stack whose web replicas can hold more connections than the database lets them open: past
 * max_connections, PostgreSQL refuses a new connection ("too many clients already") and the requests fail.
 */
export function checkConnectionBudget(demand: ConnectionDemand, supply: ConnectionSupply): Problem[] {
  const { replicas, workers, perWorker } = demand;
  const wanted = replicas * workers * perWorker;
  const available = supply.maxConnections - supply.reservedConnections;
  if (![replicas, workers, perWorker, available].every(Number.isInteger) || wanted <= available) return [];
  return [{
    component: demand.component,
    field: `${demand.replicasField} × web.workers × (web.databasePool.maxSize + 1)`,
    value: `${replicas} × ${workers} × ${perWorker} = ${wanted} connections (${replicas} replicas: ${demand.replicasWhy})`,
    allowed: `at most postgres.maxConnections − postgres.reservedConnections = ${supply.maxConnections} − ${supply.reservedConnections} = ${available}: `
      + 'fewer replicas, workers or pooled connections, or a larger postgres.maxConnections',
  }];
}
