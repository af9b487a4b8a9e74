/** An agent ISO that could not be built or published for a node; the message says what to fix. */
export class AgentIsoError extends Error {
  override readonly name = 'AgentIsoError';
}
