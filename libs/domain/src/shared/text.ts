/**
 * What free text in an event may hold. Events are never edited, and their text is shown in audit
 * trails, logs and other systems: no control characters (a single-line field not even a line
 * break or tab; a multi-line one — reasons, notes, descriptions — those three only), no unpaired
 * UTF-16 surrogate, and more than white space and invisible format characters.
 */
export type TextProblem = 'blank' | 'control-character' | 'ill-formed';

// C0 controls but tab, line feed and carriage return; DEL; C1 controls. (Matching them is the point.)
// eslint-disable-next-line no-control-regex
const CONTROL_MULTILINE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
// eslint-disable-next-line no-control-regex
const CONTROL_SINGLE_LINE = /[\u0000-\u001F\u007F-\u009F]/;
// White space and format characters (zero-width space, joiners, direction marks, BOM...).
const INVISIBLE = /^[\s\p{Cf}]*$/u;

/** Why `value` cannot be stored as text, or null when it can. */
export function textProblem(value: string, multiline = false): TextProblem | null {
  if (INVISIBLE.test(value)) return 'blank';
  if ((multiline ? CONTROL_MULTILINE : CONTROL_SINGLE_LINE).test(value)) return 'control-character';
  if (!value.isWellFormed()) return 'ill-formed';
  return null;
}

export const TEXT_PROBLEMS: Record<TextProblem, string> = {
  blank: 'must hold more than white space',
  'control-character': 'must not contain control characters',
  'ill-formed': 'must be well-formed Unicode (an unpaired surrogate)',
};
