import { describe, expect, it } from 'vitest';
import { InvalidBmcAddress, parseBmcAddress, type BmcAddress } from '../../../bmc-drivers/index.js';

const SYSTEM = '/redfish/v1/Systems/1';

describe('parseBmcAddress', () => {
  it.each<[string, BmcAddress]>([
    [
      'ipmi://10.0.0.5',
      {
        protocol: 'ipmi',
        vendor: null,
        bootMethod: 'ipxe',
        host: '10.0.0.5',
        port: 623,
        scheme: null,
        systemPath: null,
      },
    ],
    [
      'ipmi://10.0.0.5:6230',
      {
        protocol: 'ipmi',
        vendor: null,
        bootMethod: 'ipxe',
        host: '10.0.0.5',
        port: 6230,
        scheme: null,
        systemPath: null,
      },
    ],
    [
      'ipmi://[fd00::5]:6230',
      {
        protocol: 'ipmi',
        vendor: null,
        bootMethod: 'ipxe',
        host: 'fd00::5',
        port: 6230,
        scheme: null,
        systemPath: null,
      },
    ],
    [
      '10.0.0.5:6231',
      {
        protocol: 'ipmi',
        vendor: null,
        bootMethod: 'ipxe',
        host: '10.0.0.5',
        port: 6231,
        scheme: null,
        systemPath: null,
      },
    ],
    [
      'bmc-7.rack.example',
      {
        protocol: 'ipmi',
        vendor: null,
        bootMethod: 'ipxe',
        host: 'bmc-7.rack.example',
        port: 623,
        scheme: null,
        systemPath: null,
      },
    ],
    [
      'libvirt://192.168.122.1:6233',
      {
        protocol: 'ipmi',
        vendor: null,
        bootMethod: 'ipxe',
        host: '192.168.122.1',
        port: 6233,
        scheme: null,
        systemPath: null,
      },
    ],
    [
      'ipmi://host:80',
      { protocol: 'ipmi', vendor: null, bootMethod: 'ipxe', host: 'host', port: 80, scheme: null, systemPath: null },
    ],
    [
      `redfish://10.0.0.5${SYSTEM}`,
      {
        protocol: 'redfish',
        vendor: null,
        bootMethod: 'ipxe',
        host: '10.0.0.5',
        port: 443,
        scheme: 'https',
        systemPath: SYSTEM,
      },
    ],
    [
      `redfish+http://127.0.0.1:8000/redfish/v1/Systems/sim-0/`,
      {
        protocol: 'redfish',
        vendor: null,
        bootMethod: 'ipxe',
        host: '127.0.0.1',
        port: 8000,
        scheme: 'http',
        systemPath: '/redfish/v1/Systems/sim-0',
      },
    ],
    [
      `redfish+https://BMC.example:8443${SYSTEM}`,
      {
        protocol: 'redfish',
        vendor: null,
        bootMethod: 'ipxe',
        host: 'bmc.example',
        port: 8443,
        scheme: 'https',
        systemPath: SYSTEM,
      },
    ],
    [
      'redfish+http://10.0.0.5',
      {
        protocol: 'redfish',
        vendor: null,
        bootMethod: 'ipxe',
        host: '10.0.0.5',
        port: 80,
        scheme: 'http',
        systemPath: null,
      },
    ],
    [
      'redfish://10.0.0.5/redfish/v1',
      {
        protocol: 'redfish',
        vendor: null,
        bootMethod: 'ipxe',
        host: '10.0.0.5',
        port: 443,
        scheme: 'https',
        systemPath: null,
      },
    ],
    [
      `redfish-virtualmedia://10.0.0.5${SYSTEM}`,
      {
        protocol: 'redfish',
        vendor: null,
        bootMethod: 'virtual-media',
        host: '10.0.0.5',
        port: 443,
        scheme: 'https',
        systemPath: SYSTEM,
      },
    ],
    [
      `redfish-virtualmedia+http://10.0.0.5:8000${SYSTEM}`,
      {
        protocol: 'redfish',
        vendor: null,
        bootMethod: 'virtual-media',
        host: '10.0.0.5',
        port: 8000,
        scheme: 'http',
        systemPath: SYSTEM,
      },
    ],
    [
      `redfish-virtualmedia+https://10.0.0.5${SYSTEM}`,
      {
        protocol: 'redfish',
        vendor: null,
        bootMethod: 'virtual-media',
        host: '10.0.0.5',
        port: 443,
        scheme: 'https',
        systemPath: SYSTEM,
      },
    ],
    [
      'idrac-redfish://10.0.0.9/redfish/v1/Systems/System.Embedded.1',
      {
        protocol: 'redfish',
        vendor: 'idrac',
        bootMethod: 'ipxe',
        host: '10.0.0.9',
        port: 443,
        scheme: 'https',
        systemPath: '/redfish/v1/Systems/System.Embedded.1',
      },
    ],
    [
      'idrac-redfish+http://10.0.0.9:8080',
      {
        protocol: 'redfish',
        vendor: 'idrac',
        bootMethod: 'ipxe',
        host: '10.0.0.9',
        port: 8080,
        scheme: 'http',
        systemPath: null,
      },
    ],
    [
      'idrac-virtualmedia://10.0.0.9/redfish/v1/Systems/System.Embedded.1',
      {
        protocol: 'redfish',
        vendor: 'idrac',
        bootMethod: 'virtual-media',
        host: '10.0.0.9',
        port: 443,
        scheme: 'https',
        systemPath: '/redfish/v1/Systems/System.Embedded.1',
      },
    ],
    [
      'idrac-virtualmedia+http://10.0.0.9:80',
      {
        protocol: 'redfish',
        vendor: 'idrac',
        bootMethod: 'virtual-media',
        host: '10.0.0.9',
        port: 80,
        scheme: 'http',
        systemPath: null,
      },
    ],
    [
      'IDRAC-VIRTUALMEDIA+HTTPS://[fd00::9]:8443',
      {
        protocol: 'redfish',
        vendor: 'idrac',
        bootMethod: 'virtual-media',
        host: 'fd00::9',
        port: 8443,
        scheme: 'https',
        systemPath: null,
      },
    ],
  ])('reads %s', (address, expected) => {
    expect(parseBmcAddress(address)).toEqual(expected);
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['ftp://10.0.0.5', 'unknown scheme'],
    ['ilo4://10.0.0.5', 'unknown scheme'],
    ['ipmi+http://10.0.0.5', 'unknown scheme'],
    ['redfish+ftp://10.0.0.5', 'unknown scheme'],
    ['redfish+http+https://10.0.0.5', 'unknown scheme'],
    ['ipmi://10.0.0.5:99999', 'not a valid URL'],
    ['ipmi://10.0.0.5:0', 'port'],
    ['ipmi://10.0.0.5/path', 'no path'],
    ['ipmi://', 'names no host'],
    ['redfish://10.0.0.5/redfish/v1/Managers/1', '/redfish/v1/Systems/<id>'],
    ['redfish://10.0.0.5/redfish/v1/Systems/1/Bios', '/redfish/v1/Systems/<id>'],
    ['redfish://10.0.0.5/redfish/v1/Systems/1?x=1', 'query'],
  ])('refuses %j (%s)', (address, reason) => {
    expect(() => parseBmcAddress(address)).toThrow(InvalidBmcAddress);
    expect(() => parseBmcAddress(address)).toThrow(reason);
  });

  it('refuses credentials in the address without echoing them', () => {
    const attempt = (): unknown => parseBmcAddress('redfish://root:calvin-secret@10.0.0.5/redfish/v1/Systems/1');
    expect(attempt).toThrow(InvalidBmcAddress);
    expect(attempt).toThrow('credentials');
    expect(attempt).not.toThrow('calvin-secret');
  });
});
