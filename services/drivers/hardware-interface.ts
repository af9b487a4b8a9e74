import type { AgentImageDefaults } from '../boot/index.js';
import type { InterfaceName, Node } from '../nodes/index.js';
import { requireBmc, ValidationFailure } from './validation.js';

/**
 * One implementation of one hardware interface (DESIGN decision 2): what
 * `validate` approves is what its operations need. Implementations with
 * operations of their own (boot, deploy, rescue) extend this.
 */
export interface HardwareInterface {
  readonly name: string;
  /** Throws ValidationFailure, in Ironic's words, when the node cannot use this interface as set. */
  validate(node: Node, env: ValidationEnv): void;
}

/** What validation reads besides the node: the configured agent images for nodes whose driver_info names none. */
export interface ValidationEnv {
  agentImages: AgentImageDefaults;
}

/** Operations carried out through the node's BMC driver: valid when the BMC connection is. */
export class BmcInterface implements HardwareInterface {
  constructor(readonly name: string) {}

  validate(node: Node): void {
    requireBmc(node);
  }
}

/** Needs nothing of the node: fake-hardware's, the network's `noop`, the agent's inspection. */
export class FreeInterface implements HardwareInterface {
  constructor(readonly name: string) {}

  validate(): void {}
}

/** `no-bios`, `no-raid` and the like: the interface is switched off, which validate says. */
export class DisabledInterface implements HardwareInterface {
  constructor(
    readonly name: string,
    private readonly iface: InterfaceName,
  ) {}

  validate(): void {
    throw new ValidationFailure(`Driver does not support ${this.iface} (disabled or not implemented).`);
  }
}
