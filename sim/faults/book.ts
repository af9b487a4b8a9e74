import { resolveFaults, type FaultSpec, type Faults } from './spec.js';

/** The faults in force: one fleet-wide set and one set per host name. */
export class FaultBook {
  private fleetWide: FaultSpec = {};
  private readonly perHost = new Map<string, FaultSpec>();

  setFleet(spec: FaultSpec): void {
    this.fleetWide = { ...spec };
  }

  /** Replaces the host's own faults; an empty spec clears them. */
  setHost(name: string, spec: FaultSpec): void {
    if (Object.keys(spec).length === 0) this.perHost.delete(name);
    else this.perHost.set(name, { ...spec });
  }

  /** The faults for a host, or the fleet-wide ones for service-level resources. */
  forHost(name: string | null): Faults {
    return resolveFaults(this.fleetWide, name === null ? undefined : this.perHost.get(name));
  }

  fleet(): FaultSpec {
    return { ...this.fleetWide };
  }

  host(name: string): FaultSpec {
    return { ...(this.perHost.get(name) ?? {}) };
  }
}
