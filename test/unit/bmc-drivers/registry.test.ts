import { describe, expect, it } from 'vitest';
import {
  BmcDriverRegistry,
  InvalidBmcAddress,
  InvalidDriverInfo,
  type BmcCallEvent,
} from '../../../bmc-drivers/index.js';
import { IpmiDriver } from '../../../bmc-drivers/ipmi/driver.js';
import { RedfishDriver } from '../../../bmc-drivers/redfish/driver.js';

const credentials = { username: 'admin', password: 'pw' };
const redfishInfo = {
  redfish_address: 'https://10.0.0.5',
  redfish_system_id: '/redfish/v1/Systems/1',
  redfish_username: 'root',
  redfish_password: 'calvin',
};

describe('BmcDriverRegistry', () => {
  it('builds a Redfish driver with every interface for the redfish and idrac hardware types', () => {
    const registry = new BmcDriverRegistry();
    for (const type of ['redfish', 'idrac'] as const) {
      const driver = registry.fromDriverInfo(type, redfishInfo);
      expect(driver).toBeInstanceOf(RedfishDriver);
      expect(driver.name).toBe(type);
      expect(driver.bmc).toBe('10.0.0.5:443/redfish/v1/Systems/1');
      expect(
        [driver.inspect, driver.virtualMedia, driver.bios, driver.firmware].every((part) => part !== undefined),
      ).toBe(true);
    }
  });

  it('builds an IPMI driver with power and management only', () => {
    const driver = new BmcDriverRegistry().fromDriverInfo('ipmi', {
      ipmi_address: '10.0.0.6',
      ipmi_port: '6230',
      ipmi_username: 'admin',
      ipmi_password: 'pw',
    });
    expect(driver).toBeInstanceOf(IpmiDriver);
    expect(driver.bmc).toBe('10.0.0.6:6230');
    expect(driver.power.supportedPowerStates).toContain('soft power off');
    expect([driver.inspect, driver.virtualMedia, driver.bios, driver.firmware]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it.each([
    ['redfish://10.0.0.5/redfish/v1/Systems/1', RedfishDriver, 'redfish', '10.0.0.5:443/redfish/v1/Systems/1'],
    [
      'redfish-virtualmedia+http://10.0.0.5:8000/redfish/v1/Systems/2',
      RedfishDriver,
      'redfish',
      '10.0.0.5:8000/redfish/v1/Systems/2',
    ],
    [
      'idrac-redfish://10.0.0.9/redfish/v1/Systems/System.Embedded.1',
      RedfishDriver,
      'idrac',
      '10.0.0.9:443/redfish/v1/Systems/System.Embedded.1',
    ],
    ['idrac-virtualmedia+https://10.0.0.9', RedfishDriver, 'idrac', '10.0.0.9:443'],
    ['ipmi://10.0.0.6', IpmiDriver, 'ipmi', '10.0.0.6:623'],
    ['10.0.0.6:6231', IpmiDriver, 'ipmi', '10.0.0.6:6231'],
  ])('picks the driver for %s', (address, kind, name, bmc) => {
    const driver = new BmcDriverRegistry().fromAddress(address, credentials);
    expect(driver).toBeInstanceOf(kind);
    expect(driver).toMatchObject({ name, bmc });
  });

  it('refuses bad input with the typed errors', () => {
    const registry = new BmcDriverRegistry();
    expect(() => registry.fromAddress('ilo4://10.0.0.5', credentials)).toThrow(InvalidBmcAddress);
    expect(() => registry.fromDriverInfo('fake-hardware', {})).toThrow(InvalidDriverInfo);
    expect(() => registry.fromDriverInfo('ipmi', { ipmi_address: '10.0.0.6' })).toThrow(/ipmi_username/);
  });

  it('reports an unreadable CA bundle as InvalidDriverInfo on first use, without retrying it', async () => {
    const events: BmcCallEvent[] = [];
    const driver = new BmcDriverRegistry({ onCall: (e) => events.push(e) }).fromDriverInfo('redfish', {
      ...redfishInfo,
      redfish_verify_ca: '/nonexistent/anvil-test-ca.pem',
    });
    const error = await driver.power.getPowerState().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidDriverInfo);
    expect(error).toMatchObject({ key: 'redfish_verify_ca' });
    expect(events).toMatchObject([{ outcome: 'error', attempts: 1 }]);
  });
});
