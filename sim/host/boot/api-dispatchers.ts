// How agents reach the API: from their own host's address, as real hosts
// do, so that Anvil's per-source limits (the agent endpoints' failure
// throttle) see one source per host rather than the whole fleet as one.
import { Agent, type Dispatcher } from 'undici';

export class ApiDispatchers {
  private readonly byAddress = new Map<string, Agent>();
  private shared: Agent | null = null;

  /** `ca`: PEM certificates an https API is verified against; null: the system's. */
  constructor(private readonly ca: string | null) {}

  /**
   * The connection pool for calls made from `localAddress` (null: the
   * default source). Null when fetch's own defaults serve (no CA, no
   * address to bind).
   */
  from(localAddress: string | null): Dispatcher | null {
    if (localAddress === null) {
      if (this.ca === null) return null;
      this.shared ??= new Agent({ connect: { ca: this.ca } });
      return this.shared;
    }
    let agent = this.byAddress.get(localAddress);
    if (agent === undefined) {
      agent = new Agent({ connect: { localAddress, ...(this.ca === null ? {} : { ca: this.ca }) } });
      this.byAddress.set(localAddress, agent);
    }
    return agent;
  }

  async close(): Promise<void> {
    const agents = [...this.byAddress.values(), ...(this.shared === null ? [] : [this.shared])];
    this.byAddress.clear();
    this.shared = null;
    await Promise.all(agents.map((agent) => agent.destroy()));
  }
}
