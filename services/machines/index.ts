export { MachineNotFound, MachineSpecConflict } from './errors.js';
export { HOST_LABELS } from './host-choice.js';
export { MACHINE_PHASES, providerIdOf, type Machine, type MachinePhase } from './model.js';
export { MachineReconciler, type NodeRequests } from './reconciler.js';
export { MACHINE_SORT_KEYS, MachineRepository, type MachineFilter, type MachineSortKey } from './repository.js';
export { MachineService, type MachineHandOff } from './service.js';
export { machineCreateSchema, remediateSchema, type MachineCreate, type RemediationRequest } from './spec.js';
export { ProvisioningSlots } from './provisioning-slots.js';
export { MachineWorker } from './worker.js';
