/**
 * Roles, least to most: `reader` may only read (secrets stay masked),
 * `operator` drives nodes, ports, allocations, IPAM, provisioning and power,
 * `admin` may do everything, tokens included.
 */
export const ROLES = ['reader', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Whether `role` may do what `needed` may. */
export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** Who asked: recorded in node history and logs. */
export interface Principal {
  /** `user:alice`, `token:<uuid>`, or `anonymous` (auth none, loopback only). */
  name: string;
  role: Role;
}
