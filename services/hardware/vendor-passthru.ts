import type { BmcResource, EventSubscriptionRequest } from '../../bmc-drivers/index.js';
import { InvalidParameterValue } from '../errors.js';
import type { Node } from '../nodes/index.js';

// Ironic's node vendor passthru for the redfish vendor interfaces: the BMC
// event subscription methods Metal3 drives, with Ironic's metadata, argument
// checks and wording. What is checked here is checked before any BMC call.

/** One method's metadata, as `GET /v1/nodes/{id}/vendor_passthru/methods` shows it. */
export interface VendorMethodMetadata {
  http_methods: string[];
  async: boolean;
  description: string;
  attach: boolean;
  require_exclusive_lock: boolean;
}

/** What a synchronous method answers: a BMC resource (or Ironic's view of one), or nothing. */
export type VendorPassthruResult = BmcResource | null;

const sync = (http: string, description: string): VendorMethodMetadata => ({
  http_methods: [http],
  async: false,
  description,
  attach: false,
  require_exclusive_lock: true,
});

const REDFISH_METHODS: Readonly<Record<string, VendorMethodMetadata>> = {
  create_subscription: sync(
    'POST',
    "Creates a subscription on a node. Required argument: a dictionary of {'Destination': 'destination_url'}",
  ),
  delete_subscription: sync(
    'DELETE',
    "Delete a subscription on a node. Required argument: a dictionary of {'id': 'subscription_bmc_id'}",
  ),
  get_all_subscriptions: sync('GET', 'Returns all subscriptions on the node.'),
  get_subscription: sync(
    'GET',
    "Get a subscription on the node. Required argument: a dictionary of {'id': 'subscription_bmc_id'}",
  ),
};

/** The vendor interfaces whose methods are the Redfish ones (Ironic's idrac-redfish inherits them). */
const REDFISH_VENDORS = new Set(['redfish', 'idrac-redfish']);

/** What the node's vendor interface offers; nothing for the others, whose methods Anvil does not carry out. */
export function vendorMethodsOf(node: Node): Record<string, VendorMethodMetadata> {
  return REDFISH_VENDORS.has(node.vendor_interface) ? { ...REDFISH_METHODS } : {};
}

export type VendorCall =
  | { method: 'create_subscription'; request: EventSubscriptionRequest }
  | { method: 'delete_subscription'; id: string }
  | { method: 'get_all_subscriptions' }
  | { method: 'get_subscription'; id: string };

/**
 * Finds the method and checks its arguments, as Ironic's conductor and the
 * redfish vendor interface's validate() do. EventTypes the BMC does not
 * offer are refused by the BMC itself, before it subscribes anything.
 */
export function parseVendorCall(
  node: Node,
  method: string,
  httpMethod: string,
  args: Record<string, unknown>,
): VendorCall {
  const metadata = Object.hasOwn(vendorMethodsOf(node), method) ? REDFISH_METHODS[method] : undefined;
  if (metadata === undefined) throw new InvalidParameterValue(`No handler for method ${method}`);
  if (!metadata.http_methods.includes(httpMethod.toUpperCase())) {
    throw new InvalidParameterValue(`The method ${method} does not support HTTP ${httpMethod.toUpperCase()}`);
  }
  switch (method) {
    case 'create_subscription':
      return { method, request: parseCreate(args) };
    case 'delete_subscription':
      return { method, id: subscriptionId(args.id, 'Invalid BMC subscription ID value') };
    case 'get_subscription':
      return { method, id: subscriptionId(args.id, 'Invalid BMC ID value') };
    default:
      return { method: 'get_all_subscriptions' };
  }
}

function parseCreate(args: Record<string, unknown>): EventSubscriptionRequest {
  const context = args.Context ?? '';
  const protocol = args.Protocol ?? 'Redfish';
  const headers = args.HttpHeaders;
  const eventTypes = args.EventTypes;
  if (typeof context !== 'string') throw new InvalidParameterValue(`Context ${pyStr(context)} is not a valid string`);
  if (typeof protocol !== 'string') throw new InvalidParameterValue(`Protocol ${pyStr(protocol)} is not a string`);
  if (headers !== undefined && headers !== null && !isHeaderList(headers)) {
    // Ironic prints the value; header values are often credentials, so only its kind is named.
    throw new InvalidParameterValue(
      `HttpHeaders (${Array.isArray(headers) ? 'a list' : typeof headers}) is not a list of headers`,
    );
  }
  if (eventTypes !== undefined && eventTypes !== null && !isStringList(eventTypes)) {
    throw new InvalidParameterValue(`EventTypes ${pyStr(eventTypes)} is not a valid value`);
  }
  const destination = args.Destination;
  if (!isEventUrl(destination)) throw new InvalidParameterValue(`Destination ${pyStr(destination)} is not a valid URI`);
  return {
    destination,
    context,
    protocol,
    // Ironic subscribes to Alert events when none are named.
    eventTypes: isStringList(eventTypes) ? eventTypes : ['Alert'],
    ...(isHeaderList(headers) && headers.length > 0 ? { httpHeaders: headers } : {}),
  };
}

/** The fields of a subscription Ironic answers with; the rest (HttpHeaders above all) stays on the BMC. */
const SUBSCRIPTION_FIELDS = ['Id', 'Context', 'Protocol', 'Destination', 'EventTypes'];

export function subscriptionView(body: BmcResource): BmcResource {
  return Object.fromEntries(Object.entries(body).filter(([k]) => SUBSCRIPTION_FIELDS.includes(k)));
}

/** Characters Ironic refuses in an id that is joined onto the BMC's Subscriptions path. */
const URL_ILLEGAL = /[!*'(),{}|\\^~[\]`<>#%"]/;

function subscriptionId(value: unknown, invalid: string): string {
  if (value === undefined || value === null || value === '') throw new InvalidParameterValue("id can't be None");
  if (typeof value !== 'string' || URL_ILLEGAL.test(value) || value.includes('..') || value.includes('/')) {
    throw new InvalidParameterValue(`${invalid}: '${pyStr(value)}'`);
  }
  return value;
}

/** An http(s) URL with a host: the only kind of listener a BMC posts events to. */
function isEventUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function isHeaderList(value: unknown): value is Array<Record<string, string>> {
  return (
    Array.isArray(value) &&
    value.every(
      (h) =>
        typeof h === 'object' &&
        h !== null &&
        !Array.isArray(h) &&
        Object.values(h as Record<string, unknown>).every((v) => typeof v === 'string'),
    )
  );
}

/** A value as Ironic's messages print it (Python's str()): None, lists in brackets. */
function pyStr(value: unknown): string {
  if (value === undefined || value === null) return 'None';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map((v) => (typeof v === 'string' ? `'${v}'` : pyStr(v))).join(', ')}]`;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return JSON.stringify(value);
}
