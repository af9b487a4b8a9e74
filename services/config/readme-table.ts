import { InWords, listSettings, type Setting } from './setting.js';
import { settings } from './settings.js';

const BEGIN = '<!-- settings:begin -->';
const END = '<!-- settings:end -->';

function defaultText(setting: Setting): string {
  const value = setting.spec.default;
  if (value instanceof InWords) return value.text;
  if (value === null) return 'unset';
  return `\`${typeof value === 'string' && value !== '' ? value : JSON.stringify(value)}\``;
}

/** The README's configuration table: one row per setting, in the table's order. */
export function renderSettingsTable(): string {
  const rows = listSettings(settings).map((setting) => {
    const { env, yaml, help } = setting.spec;
    return `| \`${env}\` | \`${yaml}\` | ${defaultText(setting)} | ${help.replaceAll('|', '\\|')} |`;
  });
  return ['| variable | YAML key | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** `readme` with the text between its settings markers replaced by `table`. */
export function withSettingsTable(readme: string, table: string): string {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${BEGIN} … ${END} block`);
  return `${readme.slice(0, begin + BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}
