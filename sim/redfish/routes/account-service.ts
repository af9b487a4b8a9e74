import { Router } from 'express';
import { bodyObject, collection, link, ROOT, sendResource, type SimContext } from '../context.js';
import { RedfishFault } from '../errors.js';

// The BMC's user accounts: the one account the service was started with,
// read-only, with the standard Redfish roles. Accounts are configured when
// the simulator starts, so a change over Redfish is refused, not faked.

const SERVICE = `${ROOT}/AccountService`;
const ACCOUNTS = `${SERVICE}/Accounts`;
const ROLES = `${SERVICE}/Roles`;
const ACCOUNT_ID = '1';

/** The roles DSP8011 defines, with the privileges each is given. */
const ROLE_PRIVILEGES: Record<string, string[]> = {
  Administrator: ['Login', 'ConfigureManager', 'ConfigureUsers', 'ConfigureSelf', 'ConfigureComponents'],
  Operator: ['Login', 'ConfigureSelf', 'ConfigureComponents'],
  ReadOnly: ['Login', 'ConfigureSelf'],
};

function accountBody(ctx: SimContext): object {
  return {
    '@odata.type': '#ManagerAccount.v1_12_0.ManagerAccount',
    '@odata.id': `${ACCOUNTS}/${ACCOUNT_ID}`,
    Id: ACCOUNT_ID,
    Name: 'User Account',
    UserName: ctx.credentials.username,
    // DSP0266: the password is null when read.
    Password: null,
    RoleId: 'Administrator',
    Enabled: true,
    Locked: false,
    AccountTypes: ['Redfish'],
    Links: { Role: link(`${ROLES}/Administrator`) },
  };
}

function roleBody(id: string, privileges: string[]): object {
  return {
    '@odata.type': '#Role.v1_3_2.Role',
    '@odata.id': `${ROLES}/${id}`,
    Id: id,
    Name: `${id} role`,
    RoleId: id,
    IsPredefined: true,
    AssignedPrivileges: privileges,
  };
}

export function accountServiceRoutes(ctx: SimContext): Router {
  const router = Router();

  router.get(SERVICE, (_req, res) => {
    sendResource(res, {
      '@odata.type': '#AccountService.v1_15_0.AccountService',
      '@odata.id': SERVICE,
      Id: 'AccountService',
      Name: 'Account Service',
      ServiceEnabled: true,
      MinPasswordLength: 8,
      MaxPasswordLength: 64,
      AuthFailureLoggingThreshold: 3,
      AccountLockoutThreshold: 0,
      Accounts: link(ACCOUNTS),
      Roles: link(ROLES),
      Status: { State: 'Enabled', Health: 'OK' },
    });
  });
  router.get(ACCOUNTS, (_req, res) => {
    sendResource(res, collection(ACCOUNTS, 'Accounts', 'ManagerAccountCollection', [`${ACCOUNTS}/${ACCOUNT_ID}`]));
  });
  router.get(`${ACCOUNTS}/:id`, (req, res) => {
    if (req.params.id !== ACCOUNT_ID)
      throw new RedfishFault(404, 'ResourceNotFound', 'The requested account was not found.');
    sendResource(res, accountBody(ctx));
  });
  router.patch(`${ACCOUNTS}/:id`, (req) => {
    if (req.params.id !== ACCOUNT_ID)
      throw new RedfishFault(404, 'ResourceNotFound', 'The requested account was not found.');
    const keys = Object.keys(bodyObject(req));
    throw new RedfishFault(
      400,
      'PropertyNotWritable',
      `The account is configured when the simulator starts; ${keys.length > 0 ? keys.join(', ') : 'nothing'} cannot be changed over Redfish.`,
      keys.map((k) => `#/${k}`),
    );
  });
  router.get(ROLES, (_req, res) => {
    sendResource(
      res,
      collection(
        ROLES,
        'Roles',
        'RoleCollection',
        Object.keys(ROLE_PRIVILEGES).map((id) => `${ROLES}/${id}`),
      ),
    );
  });
  router.get(`${ROLES}/:id`, (req, res) => {
    const privileges = Object.hasOwn(ROLE_PRIVILEGES, req.params.id) ? ROLE_PRIVILEGES[req.params.id] : undefined;
    if (!privileges) throw new RedfishFault(404, 'ResourceNotFound', 'The requested role was not found.');
    sendResource(res, roleBody(req.params.id, privileges));
  });

  return router;
}
