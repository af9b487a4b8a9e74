import type { Request } from 'express';
import { providerIdOf, type Machine } from '../../services/machines/index.js';
import { resourceLinks } from './links.js';

/** A machine as a Kubernetes object: what the provider asked for (`spec`) and what Anvil found (`status`). */
export function serializeMachine(m: Machine, req: Request) {
  return {
    uuid: m.uuid,
    name: m.name,
    // Cluster API bootstrap data carries join tokens and keys: never shown, as Anvil masks every secret.
    spec: m.spec.user_data === null ? m.spec : { ...m.spec, user_data: '******' },
    status: {
      phase: m.phase,
      deleting: m.deleting,
      node_uuid: m.node_uuid,
      provider_id: m.node_uuid === null ? null : providerIdOf(m.node_uuid),
      addresses: m.addresses,
      ready: m.ready,
      failure_reason: m.failure_reason,
      failure_message: m.failure_message,
      phase_times: m.phase_times,
      remediation: m.remediation,
    },
    created_at: m.created_at,
    updated_at: m.updated_at,
    links: resourceLinks(req, 'anvil/machines', m.uuid),
  };
}
