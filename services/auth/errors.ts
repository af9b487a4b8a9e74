import { AnvilError } from '../errors.js';

/** Why a request could not be authenticated; counted in /metrics by this reason, never with the credential. */
export type AuthFailureReason =
  | 'missing'
  | 'malformed'
  | 'wrong-scheme'
  | 'unknown-user'
  | 'bad-password'
  | 'unknown-token'
  | 'expired-token'
  | 'revoked-token';

/** 401: no credentials, or ones that do not check out. The message never says which part was wrong. */
export class AuthenticationFailed extends AnvilError {
  readonly kind = 'unauthorized';
  constructor(readonly reason: AuthFailureReason) {
    super(
      reason === 'missing' || reason === 'wrong-scheme'
        ? 'Authentication required.'
        : reason === 'malformed'
          ? 'The Authorization header is malformed.'
          : 'Authentication failed: the credentials are not valid.',
    );
  }
}

export class TokenNotFound extends AnvilError {
  readonly kind = 'not-found';
  constructor(ident: string) {
    super(`Token ${ident} could not be found.`);
  }
}
