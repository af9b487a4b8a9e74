import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet } from '../../../../sim/host/index.js';
import { startRedfishSim, type RedfishSim } from '../../../../sim/redfish/index.js';
import { members, redfish } from './sim-client.js';

let sim: RedfishSim;

beforeAll(async () => {
  sim = await startRedfishSim({ fleet: createFleet({ count: 1 }) });
});

afterAll(async () => {
  await sim.close();
});

describe('Redfish sim AccountService', () => {
  it('shows the configured user as an Administrator account, without its password', async () => {
    const root = await redfish(sim, 'GET', '/redfish/v1/');
    expect(root.json.AccountService).toEqual({ '@odata.id': '/redfish/v1/AccountService' });
    const service = await redfish(sim, 'GET', '/redfish/v1/AccountService');
    const accounts = await redfish(sim, 'GET', (service.json.Accounts as { '@odata.id': string })['@odata.id']);
    const [only] = members(accounts);
    const account = await redfish(sim, 'GET', only!);
    expect(account.json).toMatchObject({ UserName: 'admin', RoleId: 'Administrator', Enabled: true, Password: null });
    expect(JSON.stringify(account.json)).not.toContain('"password"');
  });

  it('lists the standard roles with their privileges', async () => {
    const roles = await redfish(sim, 'GET', '/redfish/v1/AccountService/Roles');
    expect(members(roles)).toEqual([
      '/redfish/v1/AccountService/Roles/Administrator',
      '/redfish/v1/AccountService/Roles/Operator',
      '/redfish/v1/AccountService/Roles/ReadOnly',
    ]);
    const readOnly = await redfish(sim, 'GET', '/redfish/v1/AccountService/Roles/ReadOnly');
    expect(readOnly.json.AssignedPrivileges).toEqual(['Login', 'ConfigureSelf']);
    expect((await redfish(sim, 'GET', '/redfish/v1/AccountService/Roles/constructor')).status).toBe(404);
  });

  it('refuses a password change with PropertyNotWritable and keeps the old password working', async () => {
    const patch = await redfish(sim, 'PATCH', '/redfish/v1/AccountService/Accounts/1', { Password: 'n3w-secret!' });
    expect(patch.status).toBe(400);
    const info = (
      patch.json.error as { '@Message.ExtendedInfo': Array<{ MessageId: string; RelatedProperties: string[] }> }
    )['@Message.ExtendedInfo'][0]!;
    expect(info.MessageId).toMatch(/\.PropertyNotWritable$/);
    expect(info.RelatedProperties).toEqual(['#/Password']);
    expect((await redfish(sim, 'GET', '/redfish/v1/AccountService/Accounts/1')).status).toBe(200);
  });
});
