import { readFileSync, statSync } from 'node:fs';
import bcrypt from 'bcryptjs';

/** htpasswd -B writes $2y$; other bcrypt tools write $2a$ or $2b$. */
const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

/** A line Anvil cannot use, said loudly at load so the operator can fix it. */
export interface SkippedLine {
  line: number;
  user: string | null;
  why: string;
}

export interface HtpasswdOptions {
  /** Told about every line skipped, at each (re)load. */
  onSkipped?: (file: string, skipped: SkippedLine) => void;
  /** How often the file's modification time is checked, at most. */
  checkIntervalMs?: number;
  now?: () => number;
}

/**
 * An htpasswd file of bcrypt hashes (as Metal3 deploys Ironic), re-read when
 * it changes: the file is stat'ed at most once per interval, on use, so a
 * replaced or edited file takes effect without a restart or a watcher.
 */
export class HtpasswdFile {
  private users = new Map<string, string>();
  private stamp = '';
  private checkedAt = -Infinity;
  private readonly now: () => number;
  private readonly checkIntervalMs: number;

  constructor(
    readonly path: string,
    private readonly options: HtpasswdOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.checkIntervalMs = options.checkIntervalMs ?? 1000;
    this.reloadIfChanged(true);
  }

  /** Whether the user exists and the password matches its hash. */
  async verify(user: string, password: string): Promise<'ok' | 'unknown-user' | 'bad-password'> {
    this.reloadIfChanged(false);
    const hash = this.users.get(user);
    if (hash === undefined) return 'unknown-user';
    return (await bcrypt.compare(password, hash)) ? 'ok' : 'bad-password';
  }

  /** A counter that changes whenever the file's content was read anew (callers drop what they cached). */
  get version(): string {
    this.reloadIfChanged(false);
    return this.stamp;
  }

  private reloadIfChanged(force: boolean): void {
    const now = this.now();
    if (!force && now - this.checkedAt < this.checkIntervalMs) return;
    this.checkedAt = now;
    let stamp: string;
    try {
      const st = statSync(this.path);
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch (err) {
      // At start a missing file is a configuration error; later (mid-replacement) the last good copy stays.
      if (force) throw new HtpasswdError(`cannot read ANVIL_HTPASSWD ${this.path}: ${(err as Error).message}`);
      return;
    }
    if (stamp === this.stamp) return;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if (force) throw new HtpasswdError(`cannot read ANVIL_HTPASSWD ${this.path}: ${(err as Error).message}`);
      return;
    }
    this.users = this.parse(text);
    this.stamp = stamp;
  }

  private parse(text: string): Map<string, string> {
    const users = new Map<string, string>();
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const colon = line.indexOf(':');
      const skip = (user: string | null, why: string) =>
        this.options.onSkipped?.(this.path, { line: i + 1, user, why });
      if (colon <= 0) return skip(null, 'not user:hash');
      const user = line.slice(0, colon);
      const hash = line.slice(colon + 1);
      if (!BCRYPT.test(hash))
        return skip(user, `unsupported hash ${hashKind(hash)}: only bcrypt (htpasswd -B) is accepted`);
      if (users.has(user)) return skip(user, 'the user is listed twice; the first line counts');
      users.set(user, hash);
    });
    return users;
  }
}

export class HtpasswdError extends Error {
  override readonly name = 'HtpasswdError';
}

/** Names the scheme of a hash Anvil refuses, never the hash itself. */
function hashKind(hash: string): string {
  if (hash.startsWith('$apr1$')) return '"$apr1$" (Apache MD5)';
  if (hash.startsWith('{SHA}')) return '"{SHA}" (SHA-1)';
  if (hash.startsWith('$1$')) return '"$1$" (MD5 crypt)';
  if (hash.startsWith('$5$') || hash.startsWith('$6$')) return `"${hash.slice(0, 3)}" (SHA crypt)`;
  if (hash.startsWith('$2')) return '(a malformed bcrypt hash)';
  return '(crypt or plain text)';
}
