/**
 * A client for the ramdisk agent's API (ironic-python-agent's /v1/commands),
 * which the conductor calls at the callback URL the agent heartbeats with.
 */

export type CommandStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface AgentCommand {
  id: string;
  command_name: string;
  command_status: CommandStatus;
  command_error: unknown;
  command_result: unknown;
}

/** The agent could not be reached or answered nonsense: the node's step fails with this message. */
export class AgentError extends Error {
  override readonly name = 'AgentError';
}

export class AgentClient {
  constructor(private readonly timeoutMs: number) {}

  /** Starts a command without waiting for it (`wait=false`); its progress is read with `command`. */
  async execute(agentUrl: string, token: string, name: string, params: Record<string, unknown>): Promise<AgentCommand> {
    return this.call(agentUrl, token, 'POST', '/v1/commands/?wait=false', {
      name,
      params: { ...params, agent_token: token },
    });
  }

  /** The agent's view of one command, found in its command list. */
  async command(agentUrl: string, token: string, id: string): Promise<AgentCommand> {
    const body = await this.call<{ commands?: AgentCommand[] }>(agentUrl, token, 'GET', '/v1/commands/');
    const found = body.commands?.find((c) => c.id === id);
    if (!found) throw new AgentError(`The agent at ${agentUrl} no longer knows command ${id}: it may have restarted.`);
    return found;
  }

  private async call<T = AgentCommand>(
    agentUrl: string,
    token: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T> {
    const url = new URL(path, agentUrl.endsWith('/') ? agentUrl : `${agentUrl}/`);
    url.searchParams.set('agent_token', token);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new AgentError(
        `The agent at ${agentUrl} did not answer ${method} ${url.pathname}: ${(err as Error).message}`,
      );
    }
    const text = await res.text();
    if (!res.ok)
      throw new AgentError(
        `The agent at ${agentUrl} answered ${method} ${url.pathname} with HTTP ${res.status}: ${text.slice(0, 300)}`,
      );
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new AgentError(
        `The agent at ${agentUrl} answered ${method} ${url.pathname} with something that is not JSON.`,
      );
    }
  }
}
