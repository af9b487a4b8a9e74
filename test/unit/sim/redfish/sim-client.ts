import type { RedfishSim } from '../../../../sim/redfish/index.js';

export interface SimAnswer {
  status: number;
  json: Record<string, unknown>;
  headers: Headers;
}

/** One Redfish request to the sim with basic auth as admin/password; the body is parsed (empty as {}). */
export async function redfish(sim: RedfishSim, method: string, path: string, body?: unknown): Promise<SimAnswer> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: {
      Authorization: `Basic ${Buffer.from('admin:password').toString('base64')}`,
      'Content-Type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    headers: res.headers,
  };
}

export function members(answer: SimAnswer): string[] {
  return (answer.json.Members as Array<{ '@odata.id': string }>).map((m) => m['@odata.id']);
}
