// The Cluster API machine the machines e2e tests create: a worker of cluster
// `prod` on any host labelled rack r1, the rig's image, its own name as its
// hostname in its user data, and an address from `pool`.
import type { ImageFile } from './provision-rig.js';

type Body = Record<string, any>;

/** A create body for `/v1/anvil/machines`; `spec` overrides the defaults above. */
export function machineBody(name: string, image: ImageFile, pool: string, spec: Body = {}): Body {
  return {
    name,
    spec: {
      cluster: 'prod',
      role: 'worker',
      host_selector: { match_labels: { rack: 'r1' } },
      image: { url: image.url, checksum: image.sha256, checksum_type: 'sha256', disk_format: 'raw' },
      user_data: `#cloud-config\nhostname: ${name}\n`,
      data_template: { networks: [{ pool }], meta_data: { cluster: 'prod' } },
      automated_cleaning_mode: 'metadata',
      ...spec,
    },
  };
}
