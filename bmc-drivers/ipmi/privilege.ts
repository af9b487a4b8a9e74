// Privilege levels (IPMI v2.0 section 6.8; numbers from Table 22-28).

export type IpmiPrivilege = 'callback' | 'user' | 'operator' | 'administrator';

export const PRIVILEGE_LEVEL: Readonly<Record<IpmiPrivilege, number>> = {
  callback: 1,
  user: 2,
  operator: 3,
  administrator: 4,
};

export function privilegeFromLevel(level: number): IpmiPrivilege | 'oem' | undefined {
  const found = (Object.keys(PRIVILEGE_LEVEL) as IpmiPrivilege[]).find((name) => PRIVILEGE_LEVEL[name] === level);
  if (found !== undefined) return found;
  return level === 5 ? 'oem' : undefined;
}
