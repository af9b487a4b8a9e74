export { AgentIsoPublisher, findGrubMkrescue, type PublishedUrls } from './agent-iso.js';
export { BootFileFetcher } from './boot-file-fetcher.js';
export { AgentIsoError } from './errors.js';
