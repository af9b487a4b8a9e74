// The agents' HTTP side: one http.Server parses and routes for every agent
// of the fleet, and each running agent gets its own loopback port (a bare
// TCP listener handing connections to that server). A port per agent keeps
// callback_url exactly IPA's `http://<ip>:<port>`, with no path prefix that
// a conductor's URL joining could drop; one parser and one router keep a
// thousand agents to a thousand listening sockets and nothing more. Ports
// exist only while an agent runs: an idle host holds none.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { CommandLog, RunningCommand } from './commands.js';

/** IPA's API version prefix. */
const COMMANDS_PATH = /^\/v1\/commands\/?$/;
const COMMAND_PATH = /^\/v1\/commands\/([^/]+)\/?$/;
/** Config drives travel inside write_image params, gzip+base64, up to Ironic's 64 MiB. */
const MAX_BODY_BYTES = 96 * 1024 * 1024;

/** What the server needs of one running agent. */
export interface AgentEndpoint {
  /** false once the agent has died: its requests are dropped unanswered. */
  alive(): boolean;
  /** null when lookup gave no token (a conductor that does not require one): anything goes. */
  readonly token: string | null;
  readonly commands: CommandLog;
  /** Starts a command; null when this agent knows no such command. */
  execute(name: string, params: Record<string, unknown>): { command: RunningCommand; sync: boolean } | null;
}

export interface AgentListener {
  port: number;
  close(): void;
}

export class AgentServer {
  private readonly server = http.createServer((req, res) => this.route(req, res));
  private readonly endpointOf = new WeakMap<Socket, AgentEndpoint>();

  /** Opens a loopback port for one agent. */
  async listen(endpoint: AgentEndpoint, address: string): Promise<AgentListener> {
    const sockets = new Set<Socket>();
    const listener = net.createServer((socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      this.endpointOf.set(socket, endpoint);
      this.server.emit('connection', socket);
    });
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(0, address, () => {
        listener.off('error', reject);
        resolve();
      });
    });
    return {
      port: (listener.address() as AddressInfo).port,
      // A machine that lost power or an agent that died: connections end mid-sentence, new ones are refused.
      close: () => {
        listener.close();
        for (const socket of sockets) socket.destroy();
      },
    };
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const endpoint = this.endpointOf.get(req.socket);
    if (endpoint === undefined || !endpoint.alive()) {
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://agent');
    const one = COMMAND_PATH.exec(url.pathname);
    if (req.method === 'GET' && COMMANDS_PATH.test(url.pathname)) {
      if (!this.tokenAccepted(endpoint, url.searchParams.get('agent_token'), res, false)) return;
      sendJson(res, 200, { commands: endpoint.commands.list() });
      return;
    }
    if (req.method === 'GET' && one !== null) {
      if (!this.tokenAccepted(endpoint, url.searchParams.get('agent_token'), res, false)) return;
      const command = endpoint.commands.get(decodeURIComponent(one[1] as string));
      if (command === undefined) sendError(res, 404, 'RequestedObjectNotFoundError', `Command ${one[1]} not found`);
      else sendJson(res, 200, command.view());
      return;
    }
    if (req.method === 'POST' && COMMANDS_PATH.test(url.pathname)) {
      readJson(req).then(
        (body) => this.runCommand(endpoint, url, body, res),
        (err: unknown) => sendError(res, 400, 'InvalidContentError', err instanceof Error ? err.message : String(err)),
      );
      return;
    }
    sendError(res, 404, 'NotFound', `${req.method ?? ''} ${url.pathname} is not part of the agent API`);
  }

  private async runCommand(endpoint: AgentEndpoint, url: URL, body: unknown, res: ServerResponse): Promise<void> {
    const request = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const name = request.name;
    const params = request.params;
    if (typeof name !== 'string' || typeof params !== 'object' || params === null || Array.isArray(params)) {
      sendError(res, 400, 'InvalidContentError', 'Missing or invalid name or params');
      return;
    }
    const paramToken = (params as Record<string, unknown>).agent_token;
    const token = url.searchParams.get('agent_token') ?? (typeof paramToken === 'string' ? paramToken : null);
    if (!this.tokenAccepted(endpoint, token, res, true)) return;
    if (endpoint.commands.busy) {
      sendError(res, 409, 'AgentIsBusy', `Agent is busy with another command; cannot run ${name}`);
      return;
    }
    const started = endpoint.execute(name, params as Record<string, unknown>);
    if (started === null) {
      sendError(res, 400, 'InvalidCommandError', `Unknown command: ${name}`);
      return;
    }
    const { command, sync } = started;
    const wait = url.searchParams.get('wait') === 'true';
    if (wait || sync) await command.done;
    if (!endpoint.alive()) return;
    sendJson(res, 200, command.view());
    if (command.status === 'RUNNING') void command.done.then(() => command.reported());
    else res.once('finish', () => command.reported());
  }

  /**
   * IPA checks the token on POST /v1/commands; a GET with no token is
   * answered as IPA does, but a wrong one never is.
   */
  private tokenAccepted(
    endpoint: AgentEndpoint,
    token: string | null,
    res: ServerResponse,
    required: boolean,
  ): boolean {
    if (endpoint.token === null) return true;
    if (token === null && !required) return true;
    if (token === endpoint.token) return true;
    sendError(res, 401, 'Unauthorized', token === null ? 'Agent token is required' : 'Agent token is invalid');
    return false;
  }
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`request body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text === '' ? {} : JSON.parse(text));
      } catch {
        reject(new Error('request body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** IPA's error body: the exception's type, the status, a message and details. */
function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { type, code: status, message, details: message });
}
