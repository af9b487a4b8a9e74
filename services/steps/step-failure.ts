/** A step failed in a way a person must fix; the message goes to last_error as it is. */
export class StepFailure extends Error {}
