import type { MachineSpec } from '../../../../services/machines/model.js';

/** A worker's spec with an image, an address pool and meta_data: what the pure machine functions take. */
export function machineSpec(overrides: Partial<MachineSpec> = {}): MachineSpec {
  return {
    cluster: 'c1',
    consumer: null,
    role: 'worker',
    host_selector: { match_labels: {}, match_expressions: [], traits: [], resource_class: null },
    failure_domain: null,
    image: { url: 'http://i/os.img', checksum: 'abc', checksum_type: 'sha256', disk_format: 'raw' },
    custom_deploy: null,
    user_data: '#cloud-config\n',
    data_template: { networks: [{ pool: 'v4' }], meta_data: { rack: 'r1', hostname: 'not-this' } },
    automated_cleaning_mode: 'metadata',
    node_reuse: false,
    paused: false,
    ...overrides,
  };
}
