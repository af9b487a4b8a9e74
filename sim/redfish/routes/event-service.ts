import { Router } from 'express';
import { bodyObject, collection, link, sendResource, type SimContext } from '../context.js';
import { RedfishFault } from '../errors.js';
import {
  EVENT_SERVICE,
  EVENT_TYPES,
  REGISTRY_PREFIXES,
  SUBSCRIPTIONS,
  type EventRecordSpec,
  type EventType,
  type Subscription,
  type SubscriptionSpec,
} from '../events.js';

// EventService with its subscriptions (EventDestination) and the
// SubmitTestEvent action. What is sent, and when, is in ../events.ts.

const SUBMIT_TEST_EVENT = `${EVENT_SERVICE}/Actions/EventService.SubmitTestEvent`;
const DESTINATION_SCHEMES = ['http:', 'https:'];
/** RFC 9110 field-name token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const SEVERITIES = ['OK', 'Warning', 'Critical'] as const;

function subscriptionBody(subscription: Subscription): object {
  return {
    '@odata.type': '#EventDestination.v1_13_0.EventDestination',
    '@odata.id': `${SUBSCRIPTIONS}/${subscription.id}`,
    Id: subscription.id,
    Name: `Event subscription ${subscription.id}`,
    Destination: subscription.destination,
    Context: subscription.context,
    Protocol: 'Redfish',
    SubscriptionType: 'RedfishEvent',
    EventFormatType: 'Event',
    EventTypes: subscription.eventTypes,
    RegistryPrefixes: subscription.registryPrefixes,
    // DSP0268: HttpHeaders "shall be null or an empty array in responses"; they carry secrets.
    HttpHeaders: [],
    Status: { State: 'Enabled', Health: 'OK' },
  };
}

function propertyFault(
  messageId: 'PropertyValueNotInList' | 'PropertyValueFormatError' | 'PropertyValueTypeError',
  key: string,
  message: string,
): RedfishFault {
  return new RedfishFault(400, messageId, message, [`#/${key}`]);
}

function stringList<T extends string>(body: Record<string, unknown>, key: string, allowed: readonly T[]): T[] {
  const value = body[key];
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw propertyFault('PropertyValueTypeError', key, `The property ${key} must be an array.`);
  for (const item of value) {
    if (typeof item !== 'string' || !(allowed as readonly string[]).includes(item)) {
      throw propertyFault(
        'PropertyValueNotInList',
        key,
        `The value ${JSON.stringify(item)} for ${key} is not one of ${allowed.join(', ')}.`,
      );
    }
  }
  return value as T[];
}

/** HttpHeaders is an array of {name: value} objects. */
function headers(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  const items = Array.isArray(value) ? value : [value];
  const out: Record<string, string> = {};
  for (const item of items) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw propertyFault('PropertyValueTypeError', 'HttpHeaders', 'HttpHeaders must be an array of objects.');
    }
    for (const [name, v] of Object.entries(item as Record<string, unknown>)) {
      if (!HEADER_NAME.test(name) || typeof v !== 'string' || /[\r\n\0]/.test(v)) {
        throw propertyFault(
          'PropertyValueFormatError',
          'HttpHeaders',
          `The header ${JSON.stringify(name)} in HttpHeaders is not a valid HTTP header with a string value.`,
        );
      }
      out[name] = v;
    }
  }
  return out;
}

const CREATE_KEYS = [
  'Destination',
  'Context',
  'Protocol',
  'HttpHeaders',
  'EventTypes',
  'RegistryPrefixes',
  'SubscriptionType',
  'EventFormatType',
];

function parseSubscription(body: Record<string, unknown>): SubscriptionSpec {
  for (const key of Object.keys(body)) {
    if (!CREATE_KEYS.includes(key)) {
      throw new RedfishFault(400, 'PropertyUnknown', `The property ${key} is not known to EventDestination.`, [
        `#/${key}`,
      ]);
    }
  }
  const destination = body.Destination;
  if (destination === undefined) {
    throw new RedfishFault(400, 'PropertyMissing', 'The property Destination is required to create a subscription.', [
      '#/Destination',
    ]);
  }
  let url: URL | null;
  try {
    url = typeof destination === 'string' ? new URL(destination) : null;
  } catch {
    url = null;
  }
  if (url === null || !DESTINATION_SCHEMES.includes(url.protocol)) {
    throw propertyFault(
      'PropertyValueFormatError',
      'Destination',
      'The property Destination must be an http or https URL.',
    );
  }
  const context = body.Context ?? '';
  if (typeof context !== 'string')
    throw propertyFault('PropertyValueTypeError', 'Context', 'Context must be a string.');
  const fixed: Array<[string, string]> = [
    ['Protocol', 'Redfish'],
    ['SubscriptionType', 'RedfishEvent'],
    ['EventFormatType', 'Event'],
  ];
  for (const [key, only] of fixed) {
    if (body[key] !== undefined && body[key] !== only) {
      throw propertyFault(
        'PropertyValueNotInList',
        key,
        `The value ${JSON.stringify(body[key])} for ${key} is not supported; only ${only}.`,
      );
    }
  }
  return {
    destination: url.toString(),
    context,
    eventTypes: stringList<EventType>(body, 'EventTypes', EVENT_TYPES),
    registryPrefixes: stringList(body, 'RegistryPrefixes', REGISTRY_PREFIXES),
    httpHeaders: headers(body.HttpHeaders),
  };
}

const TEST_EVENT_KEYS = [
  'MessageId',
  'Message',
  'MessageArgs',
  'OriginOfCondition',
  'Severity',
  'MessageSeverity',
  'EventType',
  'EventId',
  'EventTimestamp',
  'EventGroupId',
  'Context',
];

function parseTestEvent(body: Record<string, unknown>): EventRecordSpec {
  for (const key of Object.keys(body)) {
    if (!TEST_EVENT_KEYS.includes(key)) {
      throw new RedfishFault(400, 'ActionParameterUnknown', `The parameter ${key} is not known to SubmitTestEvent.`, [
        `#/${key}`,
      ]);
    }
  }
  const text = (key: string, fallback: string): string => {
    const value = body[key] ?? fallback;
    if (typeof value !== 'string') {
      throw new RedfishFault(400, 'ActionParameterValueFormatError', `The parameter ${key} must be a string.`, [
        `#/${key}`,
      ]);
    }
    return value;
  };
  if (body.MessageId === undefined) {
    throw new RedfishFault(
      400,
      'ActionParameterMissing',
      'The action SubmitTestEvent requires the parameter MessageId.',
      ['#/MessageId'],
    );
  }
  const args = body.MessageArgs ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
    throw new RedfishFault(
      400,
      'ActionParameterValueFormatError',
      'The parameter MessageArgs must be an array of strings.',
      ['#/MessageArgs'],
    );
  }
  const severity = text('MessageSeverity', text('Severity', 'OK'));
  if (!(SEVERITIES as readonly string[]).includes(severity)) {
    throw new RedfishFault(
      400,
      'ActionParameterValueNotInList',
      `The value ${JSON.stringify(severity)} for the severity is not allowed.`,
      ['#/MessageSeverity'],
    );
  }
  // Ironic subscribes to Alert by default, and a test event is one unless it says otherwise.
  const eventType = text('EventType', 'Alert');
  if (!(EVENT_TYPES as readonly string[]).includes(eventType)) {
    throw new RedfishFault(
      400,
      'ActionParameterValueNotInList',
      `The value ${JSON.stringify(eventType)} for EventType is not one of ${EVENT_TYPES.join(', ')}.`,
      ['#/EventType'],
    );
  }
  return {
    eventType: eventType as EventType,
    messageId: text('MessageId', ''),
    message: text('Message', 'Test event.'),
    messageArgs: args,
    origin: text('OriginOfCondition', EVENT_SERVICE),
    severity: severity as EventRecordSpec['severity'],
  };
}

function subscriptionOr404(ctx: SimContext, id: string): Subscription {
  const subscription = ctx.events.get(id);
  if (!subscription) throw new RedfishFault(404, 'ResourceNotFound', 'The requested subscription was not found.');
  return subscription;
}

export function eventServiceRoutes(ctx: SimContext): Router {
  const router = Router();

  router.get(EVENT_SERVICE, (_req, res) => {
    sendResource(res, {
      '@odata.type': '#EventService.v1_10_0.EventService',
      '@odata.id': EVENT_SERVICE,
      Id: 'EventService',
      Name: 'Event Service',
      ServiceEnabled: true,
      DeliveryRetryAttempts: ctx.events.delivery.retryAttempts,
      DeliveryRetryIntervalSeconds: Math.ceil(ctx.events.delivery.retryIntervalMs / 1000),
      EventTypesForSubscription: [...EVENT_TYPES],
      RegistryPrefixes: [...REGISTRY_PREFIXES],
      EventFormatTypes: ['Event'],
      Subscriptions: link(SUBSCRIPTIONS),
      Status: { State: 'Enabled', Health: 'OK' },
      Actions: {
        '#EventService.SubmitTestEvent': { target: SUBMIT_TEST_EVENT },
      },
    });
  });
  router.get(SUBSCRIPTIONS, (_req, res) => {
    sendResource(
      res,
      collection(
        SUBSCRIPTIONS,
        'Event Subscriptions',
        'EventDestinationCollection',
        ctx.events.list().map((s) => `${SUBSCRIPTIONS}/${s.id}`),
      ),
    );
  });
  router.post(SUBSCRIPTIONS, (req, res) => {
    const subscription = ctx.events.create(parseSubscription(bodyObject(req)));
    res.set('Location', `${SUBSCRIPTIONS}/${subscription.id}`);
    sendResource(res, subscriptionBody(subscription), 201);
  });
  router.get(`${SUBSCRIPTIONS}/:id`, (req, res) => {
    sendResource(res, subscriptionBody(subscriptionOr404(ctx, req.params.id)));
  });
  router.delete(`${SUBSCRIPTIONS}/:id`, (req, res) => {
    ctx.events.delete(subscriptionOr404(ctx, req.params.id).id);
    res.status(204).end();
  });
  router.post(SUBMIT_TEST_EVENT, (req, res) => {
    ctx.events.publish([parseTestEvent(bodyObject(req))]);
    res.status(204).end();
  });

  return router;
}
