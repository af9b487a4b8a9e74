import { Router } from 'express';
import { bodyObject, collection, link, ROOT, sendResource, type SimContext } from '../context.js';
import { RedfishFault } from '../errors.js';

// The BMC's user accounts: the one account the service was started with,
// with the standard Redfish roles. Its password can be changed (a credential
// rotation), which ends every session as BMCs do; the rest is configured
// when the simulator starts, so other changes over Redfish are refused, not faked.

const SERVICE = `${ROOT}/AccountService`;
const ACCOUNTS = `${SERVICE}/Accounts`;
const ROLES = `${SERVICE}/Roles`;
const ACCOUNT_ID = '1';
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 64;

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
      MinPasswordLength: MIN_PASSWORD,
      MaxPasswordLength: MAX_PASSWORD,
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
  router.patch(`${ACCOUNTS}/:id`, (req, res) => {
    if (req.params.id !== ACCOUNT_ID)
      throw new RedfishFault(404, 'ResourceNotFound', 'The requested account was not found.');
    const body = bodyObject(req);
    const others = Object.keys(body).filter((k) => k !== 'Password');
    if (others.length > 0 || !('Password' in body))
      throw new RedfishFault(
        400,
        'PropertyNotWritable',
        `Only the account's Password can be changed; ${others.length > 0 ? others.join(', ') : 'nothing'} cannot be changed over Redfish.`,
        others.map((k) => `#/${k}`),
      );
    const password = body.Password;
    if (typeof password !== 'string' || password.length < MIN_PASSWORD || password.length > MAX_PASSWORD)
      throw new RedfishFault(
        400,
        'PropertyValueFormatError',
        `The Password must be a string of ${MIN_PASSWORD} to ${MAX_PASSWORD} characters.`,
        ['#/Password'],
      );
    ctx.credentials.password = password;
    ctx.sessions.expireAll();
    sendResource(res, accountBody(ctx));
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
