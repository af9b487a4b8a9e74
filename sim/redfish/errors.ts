import type { Response } from 'express';

/** The Base message registry version whose ids this simulator answers with. */
export const BASE_REGISTRY = 'Base.1.16';

export type BaseMessage =
  | 'MalformedJSON'
  | 'UnrecognizedRequestBody'
  | 'ResourceNotFound'
  | 'PropertyUnknown'
  | 'PropertyMissing'
  | 'PropertyValueFormatError'
  | 'PropertyNotWritable'
  | 'PropertyValueNotInList'
  | 'PropertyValueOutOfRange'
  | 'PropertyValueConflict'
  | 'PropertyValueTypeError'
  | 'ActionParameterMissing'
  | 'ActionParameterValueNotInList'
  | 'ActionParameterValueFormatError'
  | 'ActionParameterUnknown'
  | 'PreconditionFailed'
  | 'NoValidSession'
  | 'ResourceInUse'
  | 'GeneralError'
  | 'InternalError'
  | 'ServiceTemporarilyUnavailable';

/** A Redfish error answer raised by a route; the server's error handler sends it. */
export class RedfishFault extends Error {
  readonly status: number;
  readonly messageId: BaseMessage;
  readonly relatedProperties: string[];

  constructor(status: number, messageId: BaseMessage, message: string, relatedProperties: string[] = []) {
    super(message);
    this.name = 'RedfishFault';
    this.status = status;
    this.messageId = messageId;
    this.relatedProperties = relatedProperties;
  }
}

export interface RedfishErrorBody {
  error: {
    code: string;
    message: string;
    '@Message.ExtendedInfo': Array<{
      '@odata.type': string;
      MessageId: string;
      Message: string;
      MessageSeverity: 'Critical' | 'Warning' | 'OK';
      Severity: 'Critical' | 'Warning' | 'OK';
      Resolution: string;
      RelatedProperties?: string[];
    }>;
  };
}

/** The error body DSP0266 §9.6 prescribes: a general code plus extended messages. */
export function errorBody(fault: RedfishFault): RedfishErrorBody {
  const id = `${BASE_REGISTRY}.${fault.messageId}`;
  const severity = fault.status >= 500 ? 'Critical' : 'Warning';
  return {
    error: {
      code: id,
      message: fault.message,
      '@Message.ExtendedInfo': [
        {
          '@odata.type': '#Message.v1_1_1.Message',
          MessageId: id,
          Message: fault.message,
          MessageSeverity: severity,
          Severity: severity,
          Resolution: resolutionFor(fault.messageId),
          ...(fault.relatedProperties.length > 0 ? { RelatedProperties: fault.relatedProperties } : {}),
        },
      ],
    },
  };
}

export function sendFault(res: Response, fault: RedfishFault): void {
  if (res.headersSent) return;
  res
    .status(fault.status)
    .set('OData-Version', '4.0')
    .type('application/json')
    .send(JSON.stringify(errorBody(fault)));
}

function resolutionFor(id: BaseMessage): string {
  switch (id) {
    case 'MalformedJSON':
    case 'UnrecognizedRequestBody':
      return 'Ensure that the request body is valid JSON and resubmit the request.';
    case 'PreconditionFailed':
      return 'Re-read the resource to obtain its current ETag and resubmit the request.';
    case 'NoValidSession':
      return 'Establish a session or supply valid credentials before attempting any operation.';
    case 'ServiceTemporarilyUnavailable':
    case 'InternalError':
      return 'Resubmit the request later.';
    default:
      return 'Correct the request and resubmit it.';
  }
}
