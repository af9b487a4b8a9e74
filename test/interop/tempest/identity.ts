import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInIdentity {
  /** `http://127.0.0.1:PORT/v3` */
  url: string;
  /** How many tokens it issued: proof that tempest came through it. */
  tokensIssued(): number;
  close(): Promise<void>;
}

/**
 * The smallest Keystone v3 tempest needs to find the baremetal endpoint:
 * `POST /v3/auth/tokens` answers any password with a token and a catalog whose
 * `baremetal` entry is the Anvil under test, scoped to the project or system
 * the request asked for. Anvil runs without authentication here, as Ironic
 * does under tempest's static accounts: it never sees this token's meaning.
 */
export async function startStandInIdentity(baremetalUrl: string): Promise<StandInIdentity> {
  let issued = 0;
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 500, message: String(err) } }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://identity');
    if (req.method === 'POST' && url.pathname === '/v3/auth/tokens') {
      const body = JSON.parse(await readBody(req)) as { auth?: AuthRequest };
      const token = tokenFor(body.auth ?? {}, baremetalUrl);
      issued++;
      res.writeHead(201, { 'content-type': 'application/json', 'x-subject-token': `stand-in-${randomUUID()}` });
      res.end(JSON.stringify({ token }));
      return;
    }
    if (req.method === 'GET' && (url.pathname === '/v3' || url.pathname === '/v3/')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ version: { id: 'v3.14', status: 'stable', links: [{ rel: 'self', href: selfUrl() }] } }),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 404, message: `${req.method} ${url.pathname} is not served here` } }));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const selfUrl = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3`;
  return {
    url: selfUrl(),
    tokensIssued: () => issued,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface AuthRequest {
  identity?: { password?: { user?: { name?: string; id?: string } } };
  scope?: { project?: { name?: string; id?: string }; system?: { all?: boolean } };
}

function tokenFor(auth: AuthRequest, baremetalUrl: string) {
  const now = new Date();
  const userName = auth.identity?.password?.user?.name ?? auth.identity?.password?.user?.id ?? 'admin';
  const domain = { id: 'default', name: 'Default' };
  const scope = auth.scope?.system
    ? { system: { all: true } }
    : {
        project: {
          id: projectId(auth.scope?.project?.name ?? 'admin'),
          name: auth.scope?.project?.name ?? 'admin',
          domain,
        },
      };
  return {
    methods: ['password'],
    user: { id: `user-${userName}`, name: userName, domain },
    ...scope,
    roles: [{ id: 'role-admin', name: 'admin' }],
    issued_at: now.toISOString(),
    expires_at: new Date(now.getTime() + 12 * 3600_000).toISOString(),
    catalog: [
      {
        id: 'svc-baremetal',
        type: 'baremetal',
        name: 'ironic',
        endpoints: ['public', 'internal', 'admin'].map((iface) => ({
          id: `ep-${iface}`,
          interface: iface,
          region: 'RegionOne',
          region_id: 'RegionOne',
          url: baremetalUrl,
        })),
      },
    ],
  };
}

function projectId(name: string): string {
  return `project-${name}`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
