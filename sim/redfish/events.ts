import type { Clock, Fleet, FirmwareJob, FirmwareJobStatus, SimHost } from '../host/index.js';
import { ROOT, systemUri } from './context.js';

// The BMC's side of Redfish eventing: who subscribed, and the POST of each
// event to them. Events are queued per subscriber and sent in the
// background, so nothing a host does ever waits on a subscriber.

export const EVENT_SERVICE = `${ROOT}/EventService`;
export const SUBSCRIPTIONS = `${EVENT_SERVICE}/Subscriptions`;

/** The event types a subscription may name (EventService.EventTypesForSubscription). */
export const EVENT_TYPES = ['StatusChange', 'ResourceUpdated', 'ResourceAdded', 'ResourceRemoved', 'Alert'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The registries the events sent here come from. */
export const REGISTRY_PREFIXES = ['ResourceEvent', 'Update'] as const;
const RESOURCE_EVENT = 'ResourceEvent.1.3.0';
const UPDATE = 'Update.1.0';

export interface SubscriptionSpec {
  destination: string;
  context: string;
  eventTypes: EventType[];
  registryPrefixes: string[];
  /** Header name to value, sent with every event and never shown again. */
  httpHeaders: Record<string, string>;
}

export interface Subscription extends SubscriptionSpec {
  id: string;
}

/** One EventRecord: what happened, to which resource. */
export interface EventRecordSpec {
  /** What a subscription's EventTypes select on. */
  eventType: EventType;
  messageId: string;
  message: string;
  messageArgs: string[];
  origin: string;
  severity: 'OK' | 'Warning' | 'Critical';
}

export interface DeliveryOptions {
  /** Attempts after the first failed one (DeliveryRetryAttempts). */
  retryAttempts: number;
  retryIntervalMs: number;
  /** Deadline of one POST. */
  timeoutMs: number;
  /** Events waiting per subscriber beyond this are dropped, oldest first, as a BMC's buffer does. */
  queueLimit: number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = {
  retryAttempts: 3,
  retryIntervalMs: 1000,
  timeoutMs: 5000,
  queueLimit: 100,
};

interface Outbox {
  queue: object[];
  sending: boolean;
}

/** Subscriptions of the whole service, and the events sent to them. */
export class EventSubscriptions {
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly outboxes = new Map<string, Outbox>();
  private readonly aborter = new AbortController();
  /** Retry pauses under way, each with what ends it early. */
  private readonly pauses = new Map<NodeJS.Timeout, () => void>();
  /** Firmware jobs' due times, to look at each job when it should end. */
  private readonly jobTimers = new Set<NodeJS.Timeout>();
  private readonly detach: Array<() => void> = [];
  private nextId = 1;
  private nextEventId = 1;

  constructor(
    private readonly clock: Clock,
    readonly delivery: DeliveryOptions = DEFAULT_DELIVERY,
  ) {}

  /** Sends an event for each power transition, and when a power-on applied pending BIOS settings. */
  watch(fleet: Fleet): void {
    for (const host of fleet.hosts) {
      let biosAppliedAt = host.biosAppliedAt;
      this.detach.push(
        host.onPower((event) => {
          if (this.subscriptions.size === 0) {
            biosAppliedAt = host.biosAppliedAt;
            return;
          }
          const records = [powerRecord(host, event.kind)];
          if (event.kind === 'on' && host.biosAppliedAt !== biosAppliedAt) {
            biosAppliedAt = host.biosAppliedAt;
            records.push({
              eventType: 'ResourceUpdated',
              messageId: `${RESOURCE_EVENT}.ResourceChanged`,
              message: 'One or more resource properties have changed.',
              messageArgs: [],
              origin: `${systemUri(host)}/Bios`,
              severity: 'OK',
            });
          }
          this.publish(records);
        }),
      );
    }
  }

  /**
   * Sends the end of a firmware update, as a BMC does when it finishes
   * flashing: UpdateSuccessful, or ApplyFailed, from `origin` (the firmware
   * inventory item). The job ends by the clock without a timer of its own,
   * so it is looked at when due; with a fake clock, at the next look after.
   */
  watchFirmwareJob(job: FirmwareJob, origin: string): void {
    job.onFinished((status) => this.publish([firmwareRecord(job, status, origin)]));
    this.lookWhenDue(job, job.remainingMs);
  }

  /**
   * A timer may fire a little before the job's clock says it is due, so a
   * job still running is looked at again when due, as long as its clock
   * moves: a frozen test clock leaves it to the next look.
   */
  private lookWhenDue(job: FirmwareJob, delayMs: number): void {
    const timer = setTimeout(() => {
      this.jobTimers.delete(timer);
      if (job.status().state !== 'Running') return;
      const left = job.remainingMs;
      if (left < delayMs) this.lookWhenDue(job, left);
    }, delayMs);
    timer.unref();
    this.jobTimers.add(timer);
  }

  create(spec: SubscriptionSpec): Subscription {
    const subscription = { ...spec, id: String(this.nextId++) };
    this.subscriptions.set(subscription.id, subscription);
    this.outboxes.set(subscription.id, { queue: [], sending: false });
    return subscription;
  }

  get(id: string): Subscription | undefined {
    return this.subscriptions.get(id);
  }

  list(): Subscription[] {
    return [...this.subscriptions.values()];
  }

  /** Removes it; events still queued for it are dropped. */
  delete(id: string): boolean {
    this.outboxes.delete(id);
    return this.subscriptions.delete(id);
  }

  /** Queues one Event, carrying these records, for every subscriber that wants them. */
  publish(records: EventRecordSpec[]): void {
    for (const subscription of this.subscriptions.values()) {
      const wanted = records.filter((r) => wants(subscription, r));
      if (wanted.length > 0) this.enqueue(subscription, this.eventBody(subscription, wanted));
    }
  }

  /** Stops watching hosts and abandons deliveries in flight. */
  close(): void {
    for (const stop of this.detach.splice(0)) stop();
    for (const timer of this.jobTimers) clearTimeout(timer);
    this.jobTimers.clear();
    this.aborter.abort();
    for (const [timer, end] of this.pauses) {
      clearTimeout(timer);
      end();
    }
    this.pauses.clear();
    this.outboxes.clear();
  }

  private eventBody(subscription: Subscription, records: EventRecordSpec[]): object {
    const eventId = this.nextEventId++;
    const at = new Date(this.clock()).toISOString();
    return {
      '@odata.type': '#Event.v1_9_0.Event',
      Id: String(eventId),
      Name: 'Event',
      Context: subscription.context,
      Events: records.map((r, i) => ({
        // Deprecated in the record since Event v1.3, but BMCs still fill it
        // in, and it is what a subscription's EventTypes select on.
        EventType: r.eventType,
        EventId: `${eventId}.${i}`,
        EventTimestamp: at,
        MemberId: String(i),
        MessageId: r.messageId,
        Message: r.message,
        MessageArgs: r.messageArgs,
        MessageSeverity: r.severity,
        Severity: r.severity,
        OriginOfCondition: { '@odata.id': r.origin },
        Context: subscription.context,
      })),
    };
  }

  private enqueue(subscription: Subscription, event: object): void {
    const outbox = this.outboxes.get(subscription.id);
    if (!outbox) return;
    outbox.queue.push(event);
    if (outbox.queue.length > this.delivery.queueLimit) outbox.queue.shift();
    if (!outbox.sending) void this.drain(subscription, outbox);
  }

  /** Sends the queue in order, each event with bounded retries; a dead subscriber costs only its own queue. */
  private async drain(subscription: Subscription, outbox: Outbox): Promise<void> {
    outbox.sending = true;
    try {
      for (let event = outbox.queue.shift(); event !== undefined; event = outbox.queue.shift()) {
        for (let attempt = 0; attempt <= this.delivery.retryAttempts; attempt++) {
          if (this.aborter.signal.aborted || !this.subscriptions.has(subscription.id)) return;
          if (attempt > 0) await this.pause(this.delivery.retryIntervalMs);
          if (await this.post(subscription, event)) break;
        }
      }
    } finally {
      outbox.sending = false;
    }
  }

  private async post(subscription: Subscription, event: object): Promise<boolean> {
    try {
      const res = await fetch(subscription.destination, {
        method: 'POST',
        headers: { ...subscription.httpHeaders, 'content-type': 'application/json' },
        body: JSON.stringify(event),
        redirect: 'manual',
        signal: AbortSignal.any([this.aborter.signal, AbortSignal.timeout(this.delivery.timeoutMs)]),
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.ok;
    } catch {
      return false;
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pauses.delete(timer);
        resolve();
      }, ms);
      this.pauses.set(timer, resolve);
    });
  }
}

function powerRecord(host: SimHost, kind: 'on' | 'off'): EventRecordSpec {
  const on = kind === 'on';
  return {
    eventType: 'StatusChange',
    messageId: `${RESOURCE_EVENT}.${on ? 'ResourcePoweredOn' : 'ResourcePoweredOff'}`,
    message: `The resource \`${systemUri(host)}\` has powered ${on ? 'on' : 'off'}.`,
    messageArgs: [systemUri(host)],
    origin: systemUri(host),
    severity: 'OK',
  };
}

/** A success changed the component's version; a failure is an alert for someone to act on. */
function firmwareRecord(job: FirmwareJob, status: FirmwareJobStatus, origin: string): EventRecordSpec {
  const device = job.plan.componentId ?? origin;
  const image = job.plan.imageUri;
  if (status.state === 'Completed') {
    return {
      eventType: 'ResourceUpdated',
      messageId: `${UPDATE}.UpdateSuccessful`,
      message: `Device '${device}' successfully updated with image '${image}'.`,
      messageArgs: [device, image],
      origin,
      severity: 'OK',
    };
  }
  return {
    eventType: 'Alert',
    messageId: `${UPDATE}.ApplyFailed`,
    message: `Installation of image '${image}' to '${device}' failed.`,
    messageArgs: [image, device],
    origin,
    severity: 'Critical',
  };
}

/**
 * A subscription selects by EventTypes, as BMCs of every age do, and since
 * Redfish 1.6 also by registry: a record must match each list the
 * subscription names, and a list left empty matches all.
 */
function wants(subscription: Subscription, record: EventRecordSpec): boolean {
  if (subscription.eventTypes.length > 0 && !subscription.eventTypes.includes(record.eventType)) return false;
  if (subscription.registryPrefixes.length === 0) return true;
  const prefix = record.messageId.split('.')[0] ?? '';
  return subscription.registryPrefixes.includes(prefix);
}
