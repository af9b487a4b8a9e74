export { BiosSettingsCache } from './cache.js';
export type { BiosSettingRecord, ReportedBiosSetting } from './model.js';
export { reportedSettings } from './reported.js';
export { BiosSettingsRepository } from './repository.js';
export { planBiosSync, type BiosSyncPlan } from './sync.js';
