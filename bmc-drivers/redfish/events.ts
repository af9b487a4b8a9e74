import { z } from 'zod';
import type { EventSubscription, EventSubscriptionRequest, BmcResource } from '../driver.js';
import { RedfishHttpError, RedfishProtocolError, RedfishUnsupportedError } from './errors.js';
import { collectionSchema, odataRef } from './schemas.js';
import type { RedfishSystem } from './system-path.js';

// Event subscriptions (EventService/Subscriptions, DSP0266 §13): the BMC
// POSTs what happens on the machine to a listener's URL. A subscription
// belongs to the BMC, not to the system, as on any single-system BMC.

const rootSchema = z.looseObject({ EventService: odataRef.optional() });
const eventServiceSchema = z.looseObject({ Subscriptions: odataRef.optional() });
const subscriptionSchema = z.looseObject({ Id: z.string() });

async function subscriptionsPath(system: RedfishSystem): Promise<string> {
  const root = (await system.client.getAs('/redfish/v1/', rootSchema)).body;
  if (!root.EventService) throw new RedfishUnsupportedError('the BMC exposes no EventService');
  const service = (await system.client.getAs(root.EventService['@odata.id'], eventServiceSchema)).body;
  if (!service.Subscriptions) throw new RedfishUnsupportedError('the BMC EventService exposes no Subscriptions');
  return service.Subscriptions['@odata.id'].replace(/\/+$/, '');
}

/** A subscription's own path; ids come from the BMC or a caller, so they are escaped, never joined raw. */
function memberPath(collection: string, id: string): string {
  return `${collection}/${encodeURIComponent(id)}`;
}

function asObject(body: unknown, what: string): BmcResource {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new RedfishProtocolError(`${what} answered with a body that is not a JSON object`);
  return body as BmcResource;
}

/**
 * POSTs the subscription, then reads it back from the Location the BMC
 * gives: some BMCs answer 201 with no body. Protocol defaults to Redfish and
 * Context to "", as DSP0268 does.
 */
export async function createSubscription(
  system: RedfishSystem,
  request: EventSubscriptionRequest,
): Promise<EventSubscription> {
  const collection = await subscriptionsPath(system);
  const payload: Record<string, unknown> = {
    Destination: request.destination,
    Protocol: request.protocol ?? 'Redfish',
    Context: request.context ?? '',
  };
  if (request.eventTypes !== undefined) payload.EventTypes = request.eventTypes;
  if (request.httpHeaders !== undefined && request.httpHeaders.length > 0) payload.HttpHeaders = request.httpHeaders;
  const created = await system.client.post(collection, payload);
  const location = created.location === null ? null : new URL(created.location, 'http://bmc').pathname;
  const body =
    location !== null
      ? asObject((await system.client.get(location)).body, `GET ${location}`)
      : asObject(created.body, `POST ${collection}`);
  const parsed = subscriptionSchema.safeParse(body);
  if (!parsed.success) throw new RedfishProtocolError(`the subscription the BMC created at ${collection} has no Id`);
  return { id: parsed.data.Id, body };
}

/** The Subscriptions collection as the BMC answers it. */
export async function listSubscriptions(system: RedfishSystem): Promise<BmcResource> {
  const collection = await subscriptionsPath(system);
  const response = await system.client.get(collection);
  collectionSchema.parse(response.body);
  return asObject(response.body, `GET ${collection}`);
}

/** One subscription, or null when the BMC has none by that id. */
export async function getSubscription(system: RedfishSystem, id: string): Promise<BmcResource | null> {
  const path = memberPath(await subscriptionsPath(system), id);
  try {
    return asObject((await system.client.get(path)).body, `GET ${path}`);
  } catch (err) {
    if (err instanceof RedfishHttpError && err.status === 404) return null;
    throw err;
  }
}

/** Deletes it; false when the BMC had none by that id. */
export async function deleteSubscription(system: RedfishSystem, id: string): Promise<boolean> {
  const path = memberPath(await subscriptionsPath(system), id);
  try {
    await system.client.delete(path);
    return true;
  } catch (err) {
    if (err instanceof RedfishHttpError && err.status === 404) return false;
    throw err;
  }
}
