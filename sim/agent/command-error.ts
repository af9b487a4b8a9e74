/**
 * A command failure as IPA reports it (its RESTError): `type` is the name of
 * IPA's exception class (ImageChecksumError, DeviceNotFound...), `message`
 * that class's fixed sentence, `details` what went wrong this time, and
 * `code` its HTTP-ish status; so whoever reads command_error sees what a
 * real agent would have said.
 */
export class AgentCommandError extends Error {
  constructor(
    readonly type: IpaErrorType,
    readonly details: string,
  ) {
    super(`${IPA_ERRORS[type].message}: ${details}`);
    this.name = 'AgentCommandError';
  }

  get summary(): string {
    return IPA_ERRORS[this.type].message;
  }

  get code(): number {
    return IPA_ERRORS[this.type].code;
  }
}

/** IPA's exception classes the simulated agent raises, with their `message` and `status_code` (ironic_python_agent/errors.py). */
const IPA_ERRORS = {
  RESTError: { message: 'An error occurred', code: 500 },
  CommandExecutionError: { message: 'Command execution failed', code: 500 },
  InvalidCommandParamsError: { message: 'Invalid command parameters', code: 400 },
  DeploymentError: { message: 'Deploy step failed', code: 500 },
  CleaningError: { message: 'Clean step failed', code: 500 },
  ImageDownloadError: { message: 'Error downloading image', code: 500 },
  ImageChecksumError: { message: 'Error verifying image checksum', code: 500 },
  DeviceNotFound: { message: 'Error finding the disk or partition device to deploy the image onto', code: 404 },
} as const satisfies Record<string, { message: string; code: number }>;

export type IpaErrorType = keyof typeof IPA_ERRORS;
