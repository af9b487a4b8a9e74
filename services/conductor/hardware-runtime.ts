import type { AnvilError } from '../errors.js';
import type { HistoryEvent } from '../events/index.js';
import type {
  JsonObject,
  Node,
  NodeChanges,
  PowerState,
  TargetPowerState,
  ProvisionEvent,
  Verb,
} from '../nodes/index.js';

/** A node under its lock, with the one way to move it through the state machine. */
export interface NodeTask {
  readonly node: Node;
  /** Applies `event` to the node's provision state (with `changes`) and persists it. */
  fire(event: ProvisionEvent, changes?: NodeChanges): Promise<void>;
  /** Persists changes that are not a state transition, and `event` in the node's history in the same commit. */
  update(changes: NodeChanges, event?: HistoryEvent): Promise<void>;
}

/** A provision verb and the steps it asks for, as far as the hardware must judge them. */
export interface WorkRequest {
  verb: Verb;
  cleanSteps?: JsonObject[];
  serviceSteps?: JsonObject[];
  deploySteps?: JsonObject[];
  configdrive?: string | JsonObject;
  disableRamdisk?: boolean;
  /** The password a rescue sets, checked with the rescue interface before it is stored. */
  rescuePassword?: string;
}

/** What the conductor needs from a hardware type to do the work the API asked for. */
export interface HardwareRuntime {
  /** Carries a node in a transitional state on, until it is stable or waiting for something outside. */
  advance(task: NodeTask): Promise<void>;
  /** Brings the machine to `target` and returns the power state it reached. */
  setPower(task: NodeTask, target: TargetPowerState, timeoutSeconds: number | null): Promise<PowerState>;
  /**
   * Why this hardware cannot carry the request out on `node`, as the error
   * the API answers at once; null when it can. Pure: the API asks before accepting.
   */
  refusal?(node: Node, request: WorkRequest): AnvilError | null;
  /** Takes the agent's boot media out of a node whose agent work failed or timed out; absent where nothing is inserted. */
  releaseAgentMedia?(node: Node): Promise<void>;
  /** Starts or stops the node's console; absent where the hardware type serves none (the API refuses those first). */
  setConsole?(task: NodeTask, enabled: boolean): Promise<void>;
}
