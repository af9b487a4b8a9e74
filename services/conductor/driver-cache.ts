import type { BmcDriver, BmcDriverRegistry } from '../../bmc-drivers/index.js';
import type { Node } from '../nodes/index.js';

/**
 * One BMC driver per node, kept between steps so that sessions (Redfish
 * logins, IPMI RMCP+ sessions) are reused; rebuilt when the node's driver
 * or driver_info changes, e.g. after a credential rotation.
 */
export class DriverCache {
  private readonly drivers = new Map<string, { fingerprint: string; driver: BmcDriver }>();

  constructor(private readonly registry: BmcDriverRegistry) {}

  /** Throws bmc-drivers' InvalidDriverInfo when the node's driver_info cannot reach a BMC. */
  for(node: Node): BmcDriver {
    const fingerprint = JSON.stringify([node.driver, sortKeys(node.driver_info)]);
    const cached = this.drivers.get(node.uuid);
    if (cached?.fingerprint === fingerprint) return cached.driver;
    if (cached) void cached.driver.close();
    const driver = this.registry.fromDriverInfo(node.driver, node.driver_info);
    this.drivers.set(node.uuid, { fingerprint, driver });
    return driver;
  }

  async closeAll(): Promise<void> {
    const all = [...this.drivers.values()];
    this.drivers.clear();
    await Promise.allSettled(all.map((d) => d.driver.close()));
  }
}

function sortKeys(doc: Record<string, unknown>): [string, unknown][] {
  return Object.entries(doc).sort(([a], [b]) => a.localeCompare(b));
}
