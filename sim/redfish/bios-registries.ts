import { createHash } from 'node:crypto';
import { SIM_BIOS_REGISTRY, type BiosAttributeDefinition, type Fleet, type SimHost } from '../host/index.js';

// The BIOS attribute registries a fleet's hosts publish, by the name each
// host's Bios resource gives in AttributeRegistry. Hosts describing their
// attributes alike share one registry; the fleet's default has the plain
// name, any other a name of its own.

const NAME = 'AnvilSimBiosAttributeRegistry';
export const REGISTRY_VERSION = { major: 1, minor: 0, errata: 0 };
/** What MessageRegistryFile.Registry names: the registry prefix and major.minor. */
export const REGISTRY_PREFIX = `${NAME}.${REGISTRY_VERSION.major}.${REGISTRY_VERSION.minor}`;
const DEFAULT_SIGNATURE = JSON.stringify(SIM_BIOS_REGISTRY);

function registryIdOf(signature: string): string {
  const suffix =
    signature === DEFAULT_SIGNATURE
      ? ''
      : createHash('sha256').update(signature).digest('hex').slice(0, 8).toUpperCase();
  const { major, minor, errata } = REGISTRY_VERSION;
  return `${NAME}${suffix}.v${major}_${minor}_${errata}`;
}

/**
 * Built once per service: a fleet's hosts are fixed and a host's registry is
 * copied at construction and never changes. Naming a registry means
 * serialising it, and finding one by name used to do that for every host of
 * the fleet on every request, so verifying N hosts (three registry reads
 * each) cost O(N²): 5,000 hosts kept the sim busy for well over 600 s.
 */
export class BiosRegistries {
  /** Every distinct registry by its name, in the order of the first host that has it. */
  private readonly byId = new Map<string, BiosAttributeDefinition[]>();
  private readonly idByHost = new Map<SimHost, string | null>();

  constructor(fleet: Fleet) {
    for (const host of fleet.hosts) {
      const registry = host.biosRegistry;
      if (registry === null) {
        this.idByHost.set(host, null);
        continue;
      }
      const id = registryIdOf(JSON.stringify(registry));
      if (!this.byId.has(id)) this.byId.set(id, registry);
      this.idByHost.set(host, id);
    }
  }

  /** The name of the registry a host publishes, or null for one without. */
  idOf(host: SimHost): string | null {
    return this.idByHost.get(host) ?? null;
  }

  get(id: string): readonly BiosAttributeDefinition[] | undefined {
    return this.byId.get(id);
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }
}
