import { useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { signIn, type AuthMode } from '../session.js';

/** Sign-in with what the API asks for: a user and password (basic) or a token (token mode). */
export function LoginPage({ mode }: { mode: AuthMode }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(mode === 'token' ? { kind: 'token', token: token.trim() } : { kind: 'basic', user, password });
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? mode === 'token'
            ? 'That token was refused: it may be wrong, expired or revoked.'
            : 'That user name and password were refused.'
          : err instanceof Error
            ? err.message
            : String(err),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <h1>Anvil</h1>
      <form onSubmit={(e) => void submit(e)} aria-describedby={error === null ? undefined : 'login-error'}>
        {mode === 'token' ? (
          <label>
            API token
            <input
              id="login-token"
              type="password"
              autoComplete="off"
              required
              value={token}
              onInput={(e) => setToken(e.currentTarget.value)}
            />
          </label>
        ) : (
          <>
            <label>
              User name
              <input
                id="login-user"
                autoComplete="username"
                required
                value={user}
                onInput={(e) => setUser(e.currentTarget.value)}
              />
            </label>
            <label>
              Password
              <input
                id="login-password"
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
              />
            </label>
          </>
        )}
        {error !== null && (
          <p id="login-error" class="error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
