// The simple rules as Sieve (RFC 5228, with fileinto, imap4flags and copy).
// They live in the account's active script, beside whatever else is
// there (the server's vacation and forwarding block, rules written by
// hand or by another client): one require line at the top and one section
// at the end, each marked, and the rules themselves kept as JSON in the
// section's first comment so that the editor reads back exactly what it
// wrote. Everything outside the marks is left byte for byte.

export const BEGIN = '# BEGIN postroom webmail rules';
export const END = '# END postroom webmail rules';
const REQUIRE_MARK = '# postroom webmail rules';

export const FIELDS = [['from', 'From'], ['to', 'To or Cc'], ['subject', 'Subject'], ['header', 'Header']];
export const ACTIONS = [['move', 'Move to folder'], ['flag', 'Flag'], ['forward', 'Forward to'],
  ['discard', 'Delete']];

// A Sieve quoted string (RFC 5228 §2.4.2): backslash and quote escaped;
// line breaks (never in a rule's one-line fields) become spaces.
export function quote(s) {
  return `"${String(s).replace(/\r?\n/g, ' ').replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function test(rule) {
  const v = quote(rule.value);
  if (rule.field === 'from') return `address :contains "from" ${v}`;
  if (rule.field === 'to') return `address :contains ["to", "cc"] ${v}`;
  if (rule.field === 'subject') return `header :contains "subject" ${v}`;
  return `header :contains ${quote(rule.header || 'subject')} ${v}`;
}

function action(rule) {
  if (rule.action === 'move') return `fileinto ${quote(rule.arg)};\n  stop;`;
  if (rule.action === 'flag') return 'addflag "\\\\Flagged";';
  if (rule.action === 'forward') return `redirect :copy ${quote(rule.arg)};`;
  return 'discard;\n  stop;';
}

function needs(rules) {
  const ext = new Set();
  for (const r of rules) {
    if (r.action === 'move') ext.add('fileinto');
    if (r.action === 'flag') ext.add('imap4flags');
    if (r.action === 'forward') ext.add('copy');
  }
  return [...ext].sort();
}

// The rules the webmail wrote into text ([] when none).
export function readRules(text) {
  const start = text.indexOf(BEGIN);
  if (start < 0) return [];
  const m = /^# rules: (.*)$/m.exec(text.slice(start));
  if (!m) return [];
  try {
    const rules = JSON.parse(m[1]);
    return Array.isArray(rules) ? rules : [];
  } catch (err) {
    return [];
  }
}

// text with the webmail's part replaced by rules (removed when empty),
// in the script's own line ends.
export function writeRules(text, rules) {
  const nl = text.includes('\r\n') ? '\r\n' : '\n';
  let out = text.replace(/^require [^\n]*; # postroom webmail rules\r?\n/m, '');
  const start = out.indexOf(BEGIN), end = out.indexOf(END);
  if (start >= 0 && end > start) {
    let after = end + END.length;
    if (out.startsWith('\r\n', after)) after += 2;
    else if (out[after] === '\n') after += 1;
    out = out.slice(0, start) + out.slice(after);
  }
  if (!rules.length) return out;
  if (out && !out.endsWith('\n')) out += nl;
  const ext = needs(rules);
  const head = ext.length ? `require [${ext.map(quote).join(', ')}]; ${REQUIRE_MARK}${nl}` : '';
  const body = rules.map((r) => `if ${test(r)} {${nl}  ${action(r).replace(/\n/g, nl)}${nl}}`).join(nl);
  // JSON in a comment: no newline can be in it (JSON escapes them)
  return `${head}${out}${BEGIN}${nl}# rules: ${JSON.stringify(rules)}${nl}${body}${nl}${END}${nl}`;
}
