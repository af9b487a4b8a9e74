import type { JsonObject } from '../nodes/index.js';

/** IEEE 802.1AB TLV types Ironic's LLDP parser reads. */
const CHASSIS_ID = 1;
const PORT_ID = 2;
const SYSTEM_NAME = 5;
const ORG_SPECIFIC = 127;
/** IEEE 802.1's OUI and its subtypes (802.1Q Annex D): port VLAN id, VLAN name. */
const IEEE_8021 = '0080c2';
const PORT_VLAN_ID = 1;
const VLAN_NAME = 3;
/** Chassis and port id subtypes that carry a MAC address (802.1AB 8.5.2.2, 8.5.3.2). */
const CHASSIS_MAC = 4;
const PORT_MAC = 3;

/**
 * One interface's LLDP, as the agent reports it (`[[type, hex value], ...]`),
 * in the keys Ironic's LLDP parser stores under `parsed_lldp` and
 * baremetal-operator reads: `switch_chassis_id`, `switch_port_id`,
 * `switch_system_name`, `switch_port_untagged_vlan_id`, `switch_port_vlans`.
 * TLVs that are malformed or unknown are skipped, as Ironic skips them.
 */
export function parseLldp(tlvs: unknown): JsonObject {
  const parsed: JsonObject = {};
  if (!Array.isArray(tlvs)) return parsed;
  const vlans: JsonObject[] = [];
  for (const tlv of tlvs) {
    if (!Array.isArray(tlv) || typeof tlv[0] !== 'number' || typeof tlv[1] !== 'string') continue;
    if (!/^(?:[0-9a-f]{2})*$/i.test(tlv[1])) continue;
    const value = Buffer.from(tlv[1], 'hex');
    switch (tlv[0]) {
      case CHASSIS_ID:
        if (value.length > 1) parsed.switch_chassis_id = idValue(value, CHASSIS_MAC);
        break;
      case PORT_ID:
        if (value.length > 1) parsed.switch_port_id = idValue(value, PORT_MAC);
        break;
      case SYSTEM_NAME:
        parsed.switch_system_name = value.toString('utf8');
        break;
      case ORG_SPECIFIC:
        if (value.length < 4 || value.subarray(0, 3).toString('hex') !== IEEE_8021) break;
        if (value[3] === PORT_VLAN_ID && value.length >= 6) parsed.switch_port_untagged_vlan_id = value.readUInt16BE(4);
        if (value[3] === VLAN_NAME && value.length >= 7) {
          const nameLength = value[6]!;
          if (value.length >= 7 + nameLength) {
            vlans.push({ id: value.readUInt16BE(4), name: value.subarray(7, 7 + nameLength).toString('utf8') });
          }
        }
        break;
      default:
        break;
    }
  }
  if (vlans.length > 0) parsed.switch_port_vlans = vlans;
  return parsed;
}

/** A chassis or port id: a MAC for the MAC subtype, else the text after the subtype byte. */
function idValue(value: Buffer, macSubtype: number): string {
  const body = value.subarray(1);
  if (value[0] === macSubtype && body.length === 6)
    return [...body].map((b) => b.toString(16).padStart(2, '0')).join(':');
  return body.toString('utf8');
}
