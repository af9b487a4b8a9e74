// Typed failures of a Redfish conversation. Messages name the method and the
// path, never the credentials or the Authorization/X-Auth-Token headers.

export class RedfishError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The BMC answered with an HTTP error status. */
export class RedfishHttpError extends RedfishError {
  readonly status: number;
  /** The BMC's own words: `error.message` or its first extended message. */
  readonly redfishMessage: string;
  /** e.g. `Base.1.16.PreconditionFailed`, when the BMC gave one. */
  readonly messageId: string | null;
  /** JSON pointers such as `#/TransferProtocolType` the BMC blamed. */
  readonly relatedProperties: string[];
  readonly method: string;
  readonly path: string;

  constructor(init: {
    status: number;
    redfishMessage: string;
    messageId: string | null;
    relatedProperties: string[];
    method: string;
    path: string;
  }) {
    super(`${init.method} ${init.path} answered HTTP ${init.status}: ${init.redfishMessage}`);
    this.status = init.status;
    this.redfishMessage = init.redfishMessage;
    this.messageId = init.messageId;
    this.relatedProperties = init.relatedProperties;
    this.method = init.method;
    this.path = init.path;
  }
}

/** No answer within the deadline: a per-call timeout or a task that never finished. */
export class RedfishTimeoutError extends RedfishError {
  readonly timeoutMs: number;

  constructor(message: string, timeoutMs: number) {
    super(message);
    this.timeoutMs = timeoutMs;
  }
}

/** The BMC refused the credentials (session login and basic auth both). */
export class RedfishAuthError extends RedfishError {}

/** The BMC answered something that is not the Redfish we expected. */
export class RedfishProtocolError extends RedfishError {}

/** The BMC could not be reached at all: refused, reset, TLS verification failed. */
export class RedfishConnectionError extends RedfishError {
  readonly code: string | null;

  constructor(message: string, code: string | null, cause: unknown) {
    super(message, { cause });
    this.code = code;
  }
}

/** A Redfish task ended in Exception, Killed or Cancelled. */
export class RedfishTaskError extends RedfishError {
  readonly taskState: string;
  readonly messages: string[];

  constructor(taskState: string, messages: string[], path: string) {
    super(`task ${path} ended ${taskState}${messages.length > 0 ? `: ${messages.join('; ')}` : ''}`);
    this.taskState = taskState;
    this.messages = messages;
  }
}

/** The BMC does not offer what was asked (no such action, value not allowed). */
export class RedfishUnsupportedError extends RedfishError {}
