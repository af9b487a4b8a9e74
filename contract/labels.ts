// Anvil's host labels as they travel on the wire: what a key may be.

/**
 * What a label key may be: the one definition behind the API's selectors and
 * the CLI's enroll file labels, so that no host is labelled with a key a
 * machine's selector could never name (Kubernetes' keys, loosely: letters,
 * digits and `._/-`, starting with a letter or digit, at most 253).
 */
export const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,252}$/;

/** Why a key is refused, for messages. */
export const LABEL_KEY_RULE =
  'A label key starts with a letter or digit and holds letters, digits and ._/- (at most 253)';
