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

  it('refuses changes to anything but the password, and passwords outside 8 to 64 characters', async () => {
    const name = await redfish(sim, 'PATCH', '/redfish/v1/AccountService/Accounts/1', { UserName: 'root' });
    expect(name.status).toBe(400);
    const info = (
      name.json.error as { '@Message.ExtendedInfo': Array<{ MessageId: string; RelatedProperties: string[] }> }
    )['@Message.ExtendedInfo'][0]!;
    expect(info.MessageId).toMatch(/\.PropertyNotWritable$/);
    expect(info.RelatedProperties).toEqual(['#/UserName']);
    for (const Password of ['short', 'x'.repeat(65), 12345678, null]) {
      const res = await redfish(sim, 'PATCH', '/redfish/v1/AccountService/Accounts/1', { Password });
      expect(res.status, String(Password)).toBe(400);
    }
    expect((await redfish(sim, 'GET', '/redfish/v1/AccountService/Accounts/1')).status).toBe(200);
  });

  it('changes the password (a credential rotation): the old one and every session end with it, and refusals are counted', async () => {
    const login = await fetch(`${sim.url}/redfish/v1/SessionService/Sessions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ UserName: 'admin', Password: 'password' }),
    });
    const token = login.headers.get('x-auth-token')!;
    expect(login.status).toBe(201);
    const patch = await redfish(sim, 'PATCH', '/redfish/v1/AccountService/Accounts/1', { Password: 'n3w-secret!' });
    expect(patch.status).toBe(200);
    expect(patch.json.Password).toBeNull();

    const refused = async () =>
      ((await (await fetch(`${sim.url}/sim/v1/auth`)).json()) as { refused_logins: number }).refused_logins;
    const before = await refused();
    expect((await redfish(sim, 'GET', '/redfish/v1/Systems')).status).toBe(401);
    const bySession = await fetch(`${sim.url}/redfish/v1/Systems`, { headers: { 'X-Auth-Token': token } });
    expect(bySession.status).toBe(401);
    expect(await refused()).toBe(before + 1);
    const fresh = await fetch(`${sim.url}/redfish/v1/Systems`, {
      headers: { Authorization: `Basic ${Buffer.from('admin:n3w-secret!').toString('base64')}` },
    });
    expect(fresh.status).toBe(200);
  });
});
