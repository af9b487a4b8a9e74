import type { Node } from '../../services/nodes/model.js';
import { INTERFACE_FIELDS } from '../../services/nodes/model.js';

/** A complete node record for repository-level tests, fake-hardware in enroll unless overridden. */
export function nodeFixture(overrides: Partial<Omit<Node, 'id'>> = {}): Omit<Node, 'id'> {
  const now = new Date().toISOString();
  const interfaces = Object.fromEntries(INTERFACE_FIELDS.map((f) => [f, 'fake'])) as Record<
    (typeof INTERFACE_FIELDS)[number],
    string
  >;
  return {
    ...interfaces,
    uuid: crypto.randomUUID(),
    name: null,
    driver: 'fake-hardware',
    driver_info: {},
    driver_internal_info: {},
    instance_info: {},
    properties: {},
    extra: {},
    network_data: {},
    raid_config: {},
    target_raid_config: {},
    clean_step: {},
    deploy_step: {},
    service_step: {},
    traits: [],
    provision_state: 'enroll',
    target_provision_state: null,
    power_state: null,
    target_power_state: null,
    maintenance: false,
    maintenance_reason: null,
    fault: null,
    last_error: null,
    reservation: null,
    conductor_group: '',
    instance_uuid: null,
    allocation_uuid: null,
    resource_class: null,
    automated_clean: null,
    protected: false,
    protected_reason: null,
    retired: false,
    retired_reason: null,
    owner: null,
    lessee: null,
    description: null,
    shard: null,
    parent_node: null,
    disable_power_off: false,
    console_enabled: false,
    boot_mode: null,
    secure_boot: null,
    chassis_uuid: null,
    inspection_started_at: null,
    inspection_finished_at: null,
    provision_updated_at: null,
    created_at: now,
    updated_at: null,
    ...overrides,
  };
}
