import { describe, expect, it } from 'vitest';
import { parseLldp } from '../../../../services/inspect/index.js';

const hex = (text: string) => Buffer.from(text, 'utf8').toString('hex');

describe('LLDP TLVs as the agent reports them, parsed into the keys Ironic stores', () => {
  it('reads the chassis and port ids (MAC subtypes as MACs, others as text), the system name and the VLANs', () => {
    const tlvs = [
      [1, '04' + '001122334455'], // chassis id, subtype 4: a MAC
      [2, '05' + hex('Ethernet1/7')], // port id, subtype 5: an interface name
      [5, hex('leaf-3.dc1')],
      [127, '0080c2' + '01' + '0064'], // 802.1 port VLAN id 100
      [127, '0080c2' + '03' + '0064' + '04' + hex('prov')], // 802.1 VLAN name: 100 "prov"
      [127, '0080c2' + '03' + '00c8' + '03' + hex('ops')],
    ];
    expect(parseLldp(tlvs)).toEqual({
      switch_chassis_id: '00:11:22:33:44:55',
      switch_port_id: 'Ethernet1/7',
      switch_system_name: 'leaf-3.dc1',
      switch_port_untagged_vlan_id: 100,
      switch_port_vlans: [
        { id: 100, name: 'prov' },
        { id: 200, name: 'ops' },
      ],
    });
  });

  it('reads a port id of the MAC subtype as a MAC', () => {
    expect(parseLldp([[2, '03' + 'aabbccddeeff']])).toEqual({ switch_port_id: 'aa:bb:cc:dd:ee:ff' });
  });

  it('skips what is malformed or unknown: not hex, truncated, another OUI, another type', () => {
    expect(
      parseLldp([
        [1, 'zz'],
        [2, '05'],
        [127, '0080c2' + '03' + '0064' + '09' + hex('short')],
        [127, '00120f' + '01' + '0064'],
        [8, '0102'],
        'not a tlv',
        [5],
      ]),
    ).toEqual({});
    expect(parseLldp(null)).toEqual({});
  });
});
