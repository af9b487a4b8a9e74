import type { Request } from 'express';
import type { HardwareType } from '../../services/drivers/index.js';
import type { Minor } from '../microversion.js';
import { baseUrl } from './links.js';

/** Interfaces shown per driver, and the version that started showing each. */
const INTERFACE_VERSIONS: Record<string, Minor> = {
  bios: 40,
  boot: 30,
  console: 30,
  deploy: 30,
  firmware: 86,
  inspect: 30,
  management: 30,
  network: 30,
  power: 30,
  raid: 30,
  rescue: 38,
  storage: 33,
  vendor: 30,
};

export function serializeDriver(type: HardwareType, hosts: string[], req: Request, minor: Minor, detail: boolean) {
  const base = baseUrl(req);
  const out: Record<string, unknown> = {
    name: type.name,
    hosts,
    type: 'dynamic',
    links: [
      { href: `${base}/v1/drivers/${type.name}`, rel: 'self' },
      { href: `${base}/drivers/${type.name}`, rel: 'bookmark' },
    ],
    properties: [
      { href: `${base}/v1/drivers/${type.name}/properties`, rel: 'self' },
      { href: `${base}/drivers/${type.name}/properties`, rel: 'bookmark' },
    ],
  };
  if (detail) {
    for (const [iface, impls] of Object.entries(type.interfaces)) {
      if ((INTERFACE_VERSIONS[iface] ?? 1) > minor) continue;
      out[`default_${iface}_interface`] = impls[0];
      out[`enabled_${iface}_interfaces`] = [...impls];
    }
  }
  return out;
}
