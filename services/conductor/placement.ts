import { TemporaryFailure } from '../errors.js';
import { HashRing } from './hash-ring.js';
import type { ConductorMembership } from './membership.js';

/**
 * Which live conductor owns a node: a hash ring on node uuid over the live
 * conductors of the node's conductor group. The list of live conductors is
 * read at most once per `ttlMs`, so a busy API does not query it per request.
 */
export class Placement {
  private cached: { at: number; rings: Map<string, HashRing> } | null = null;
  /** The ring over every live conductor, kept while they stay the same. */
  private anyGroup: { id: string; ring: HashRing } | null = null;

  constructor(
    private readonly membership: ConductorMembership,
    private readonly ttlMs: number,
  ) {}

  async ownerOf(nodeUuid: string, group: string): Promise<string> {
    const ring = (await this.rings()).get(group);
    const owner = ring?.ownerOf(nodeUuid) ?? null;
    if (owner === null) {
      throw new TemporaryFailure(
        `No conductor is alive for conductor group "${group}" to take the request; retry when one is running.`,
      );
    }
    return owner;
  }

  /** The live conductor, of any group, that owns `key`: for work bound to no group, such as an allocation. */
  async ownerOfAny(key: string): Promise<string> {
    const members = await this.members();
    const id = members.join(' ');
    if (this.anyGroup?.id !== id) this.anyGroup = { id, ring: new HashRing(members) };
    const owner = this.anyGroup.ring.ownerOf(key);
    if (owner === null)
      throw new TemporaryFailure('No conductor is alive to take the request; retry when one is running.');
    return owner;
  }

  /** A synchronous view of the current rings, for showing each node's conductor in a listing. */
  async snapshot(): Promise<(nodeUuid: string, group: string) => string | null> {
    const rings = await this.rings();
    return (uuid, group) => rings.get(group)?.ownerOf(uuid) ?? null;
  }

  /** Every live conductor, in every group. */
  async members(): Promise<string[]> {
    return [...(await this.rings()).values()].flatMap((ring) => [...ring.members]).sort();
  }

  /** Forgets the cached ring, e.g. after this process registered or a takeover. */
  invalidate(): void {
    this.cached = null;
  }

  private async rings(): Promise<Map<string, HashRing>> {
    if (this.cached && Date.now() - this.cached.at < this.ttlMs) return this.cached.rings;
    const byGroup = new Map<string, string[]>();
    for (const c of await this.membership.alive()) byGroup.set(c.group, [...(byGroup.get(c.group) ?? []), c.hostname]);
    const rings = new Map([...byGroup].map(([group, names]) => [group, new HashRing(names)]));
    this.cached = { at: Date.now(), rings };
    return rings;
  }
}
