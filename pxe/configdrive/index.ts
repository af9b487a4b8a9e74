export {
  buildConfigDrive,
  CONFIG_DRIVE_LABEL,
  CONFIG_DRIVE_VERSIONS,
  configDriveFiles,
  MAX_CONFIG_DRIVE_BYTES,
  parseConfigDrive,
  type ConfigDrive,
  type ConfigDriveDefaults,
} from './configdrive.js';
export { decodeConfigDrive, encodeConfigDrive } from './encoding.js';
export { ConfigDriveDecodeError, ConfigDriveInvalid, IsoFormatError, IsoWriteError } from './errors.js';
export { readIso9660, type IsoContents } from './iso9660-read.js';
export { writeIso9660, type IsoFile, type IsoOptions } from './iso9660-write.js';
