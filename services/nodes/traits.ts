import { InvalidParameterValue } from '../errors.js';

// A standard trait (os-traits style) or a custom one.
const TRAIT = /^(CUSTOM_[A-Z0-9_]+|[A-Z][A-Z0-9_]*)$/;

export function checkTrait(trait: string): void {
  if (trait.length > 255 || !TRAIT.test(trait)) {
    throw new InvalidParameterValue(
      `Invalid trait '${trait}': a trait is an upper-case standard trait name or starts with CUSTOM_ followed by A-Z, 0-9 and _.`,
    );
  }
}
