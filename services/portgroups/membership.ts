import { Conflict, InvalidParameterValue, PortgroupPhysnetInconsistent } from '../errors.js';
import type { Portgroup } from './model.js';
import type { PortgroupMember } from './repository.js';

/** A port as it would be once in the group (`id` null while it is being created). */
export interface Candidate {
  id: number | null;
  node_id: number;
  physical_network: string | null;
}

/**
 * A port joins only a group of its own node, and only on the physical network
 * the group's other ports are on (or, while it has none, the group's own
 * network when it names one): a bond spans one node and one network. No
 * network (null) is a network here, as in Ironic.
 */
export function checkMembership(port: Candidate, group: Portgroup, members: readonly PortgroupMember[]): void {
  if (group.node_id !== port.node_id) {
    throw new InvalidParameterValue('Port can not be added to a portgroup belonging to a different node.');
  }
  const networks = [...new Set(members.filter((m) => m.id !== port.id).map((m) => m.physical_network))];
  if (networks.length > 1) throw new PortgroupPhysnetInconsistent(group.uuid, networks);
  if (networks.length === 0 && group.physical_network !== null) networks.push(group.physical_network);
  const [network] = networks;
  if (network !== undefined && network !== port.physical_network) {
    throw new Conflict(
      `Port with physical network ${String(port.physical_network)} cannot become a member of port group ` +
        `${group.uuid} which has ports in physical network ${String(network)}.`,
    );
  }
}

/**
 * A group without standalone ports takes no port that PXE boots on its own.
 * `port` is the port's uuid, or null while it is being created.
 */
export function checkStandalone(group: Portgroup, pxeEnabled: boolean, port: string | null): void {
  if (group.standalone_ports_supported || !pxeEnabled) return;
  throw new Conflict(
    port === null
      ? `Port group ${group.uuid} doesn't support standalone ports. This port cannot be created as a member of ` +
          "that portgroup as the port's 'pxe_enabled' field was set to True."
      : `Port group ${group.uuid} doesn't support standalone ports. This port ${port} cannot be a member of ` +
          "that port group because of: 'pxe_enabled' was set to True",
  );
}

/** A group stops supporting standalone ports only once none of its ports PXE boots on its own. */
export function checkStandaloneOff(group: Portgroup, members: readonly PortgroupMember[]): void {
  if (members.some((m) => m.pxe_enabled)) {
    throw new Conflict(
      `standalone_ports_supported can not be set to False, because the port group ${group.uuid} ` +
        "contains port with 'pxe_enabled' is set to True",
    );
  }
}
