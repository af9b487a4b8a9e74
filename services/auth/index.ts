export { Authenticator, type AuthMode, type AuthenticatorSettings, type Credentials } from './authenticator.js';
export { AuthenticationFailed, TokenNotFound, type AuthFailureReason } from './errors.js';
export { HtpasswdError, HtpasswdFile, type SkippedLine } from './htpasswd.js';
export { roleAllows, ROLES, type Principal, type Role } from './roles.js';
export { TokenStore, type ApiToken, type NewToken } from './tokens.js';
