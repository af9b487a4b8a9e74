import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolUsage } from '../ipam/index.js';
import type { NodeRepository } from './nodes/index.js';

/** The process's Prometheus registry and the instruments every layer shares. */
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'anvil_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly provisionRequests = new Counter({
    name: 'anvil_provision_requests_total',
    help: 'Provision state change requests accepted, by verb',
    labelNames: ['verb'] as const,
    registers: [this.registry],
  });

  readonly bmcCallDuration = new Histogram({
    name: 'anvil_bmc_call_duration_seconds',
    help: 'BMC call latency by driver, operation and outcome (ok, error, timeout)',
    labelNames: ['driver', 'operation', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly transitions = new Counter({
    name: 'anvil_provision_transitions_total',
    help: 'Provision state transitions, by the state entered',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly authFailures = new Counter({
    name: 'anvil_auth_failures_total',
    help: 'Requests refused authentication, by reason (missing, malformed, unknown-user, bad-password, ...)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly lockConflicts = new Counter({
    name: 'anvil_node_lock_conflicts_total',
    help: 'Requests refused with NodeLocked',
    registers: [this.registry],
  });

  readonly powerSyncDuration = new Histogram({
    name: 'anvil_power_sync_pass_duration_seconds',
    help: 'Duration of one power sync pass over the nodes a conductor owns',
    buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });

  readonly powerSyncFailures = new Counter({
    name: 'anvil_power_sync_failures_total',
    help: 'Power state reads or corrections that failed during power sync',
    registers: [this.registry],
  });

  readonly powerSyncMismatches = new Counter({
    name: 'anvil_power_sync_mismatches_total',
    help: 'Nodes whose hardware power state differed from the recorded one',
    registers: [this.registry],
  });

  readonly tftpBytes = new Counter({
    name: 'anvil_tftp_bytes_total',
    help: 'Bytes sent by the TFTP server, by outcome (complete, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly httpBootBytes = new Counter({
    name: 'anvil_http_boot_bytes_total',
    help: 'Bytes sent by the HTTP boot and image server, by route',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });

  readonly dhcpReplies = new Counter({
    name: 'anvil_dhcp_replies_total',
    help: 'DHCP replies sent, by message type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  constructor(nodes: NodeRepository) {
    collectDefaultMetrics({ register: this.registry, prefix: 'anvil_' });
    // Counted when scraped, so the figure is the database's, shared by every process.
    new Gauge({
      name: 'anvil_nodes',
      help: 'Nodes by provision state',
      labelNames: ['provision_state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [state, n] of await nodes.countByProvisionState()) this.set({ provision_state: state }, n);
      },
    });
  }

  /** Addresses per IPAM pool by state (allocated, free), counted from the database when scraped. */
  trackIpamPools(ipam: { allUsage(): Promise<{ pool: string; usage: PoolUsage }[]> }): void {
    new Gauge({
      name: 'anvil_ipam_pool_addresses',
      help: 'IPAM pool addresses by state (allocated, free)',
      labelNames: ['pool', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const { pool, usage } of await ipam.allUsage()) {
          this.set({ pool, state: 'allocated' }, usage.allocated);
          this.set({ pool, state: 'free' }, Number(usage.free));
        }
      },
    });
  }
}
