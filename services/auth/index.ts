export { Authenticator, type AuthMode, type AuthenticatorSettings, type Credentials } from './authenticator.js';
export { AuthenticationFailed, RoleTooLow, TokenNotFound, type AuthFailureReason } from './errors.js';
export { HtpasswdError, HtpasswdFile, type SkippedLine } from './htpasswd.js';
export { isRole, roleAllows, ROLES, type Principal, type Role } from './roles.js';
export { TOKEN_PREFIX, TokenStore, type ApiToken, type NewToken } from './tokens.js';
