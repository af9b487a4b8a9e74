// `npm run docs:settings`: rewrites README.md's configuration table from the settings table.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderSettingsTable, withSettingsTable } from './readme-table.js';

const readme = 'README.md';
writeFileSync(readme, withSettingsTable(readFileSync(readme, 'utf8'), renderSettingsTable()));
