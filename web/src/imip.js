// iMIP (RFC 6047): the answer to an invitation mailed to its organizer as
// an iTIP REPLY (RFC 5546 §3.2.3: UID, DTSTAMP, ORGANIZER, the user's
// ATTENDEE with its PARTSTAT, SEQUENCE when not 0), and the invitations of
// an event the user organizes mailed to its guests as a REQUEST (§3.2.2),
// and a CANCEL (§3.2.5) when it is deleted.
// JMAP's Email/set cannot put iMIP's `method` parameter on a part's
// Content-Type, so the message is written here whole, uploaded, imported
// into Sent (Email/import) and submitted (EmailSubmission/set), like any
// other mail the user sends.
const PARTSTAT = { accepted: 'ACCEPTED', tentative: 'TENTATIVE', declined: 'DECLINED' };
const VERB = { accepted: 'Accepted', tentative: 'Tentative', declined: 'Declined' };

const mailto = (a) => String(a || '').replace(/^mailto:/i, '');

// The organizer's address, from replyTo or the owner participant.
export function organizerOf(ev) {
  if (ev.replyTo && ev.replyTo.imip) return mailto(ev.replyTo.imip);
  for (const p of Object.values(ev.participants || {}))
    if (p.roles && p.roles.owner) return mailto((p.sendTo && p.sendTo.imip) || p.email);
  return null;
}

function text(s) { // RFC 5545 §3.3.11
  return String(s).replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');
}

function param(s) { // a quoted parameter value: no DQUOTE, no controls
  return `"${String(s).replace(/["\r\n]/g, '')}"`;
}

// A content line folded at 75 octets (RFC 5545 §3.1), never inside a
// UTF-8 sequence.
function fold(line) {
  const enc = new TextEncoder();
  const out = [];
  let cur = '', size = 0;
  for (const ch of line) {
    const n = enc.encode(ch).length;
    if (size + n > (out.length ? 74 : 75)) { out.push(cur); cur = ''; size = 0; }
    cur += ch;
    size += n;
  }
  out.push(cur);
  return out.join('\r\n ');
}

const stamp = (d) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

export function replyCalendar(ev, status, me, organizer, now = new Date()) {
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Postroom//Webmail//EN', 'METHOD:REPLY',
    'BEGIN:VEVENT', `UID:${ev.uid}`, `DTSTAMP:${stamp(now)}`,
    `ORGANIZER:mailto:${organizer}`,
    `ATTENDEE;${me.name ? `CN=${param(me.name)};` : ''}PARTSTAT=${PARTSTAT[status]}:mailto:${me.email}`];
  if (ev.sequence) lines.push(`SEQUENCE:${ev.sequence}`);
  if (ev.title) lines.push(`SUMMARY:${text(ev.title)}`);
  lines.push('END:VEVENT', 'END:VCALENDAR');
  return `${lines.map(fold).join('\r\n')}\r\n`;
}

function base64(str) {
  let bin = '';
  for (const b of new TextEncoder().encode(str)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/.{76}/g, '$&\r\n');
}

function header(s) { // an RFC 2047 encoded word when not ASCII
  // eslint-disable-next-line no-control-regex
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?utf-8?B?${base64(s).replace(/\r\n/g, '')}?=`;
}

export function replyMessage(ev, status, me, organizer, now = new Date()) {
  const who = me.name ? `${me.name} <${me.email}>` : me.email;
  const body = `${who} has ${status === 'tentative' ? 'tentatively accepted' : status} "${ev.title || 'the invitation'}".\r\n`;
  return imipMessage('REPLY', me, [organizer], `${VERB[status]}: ${ev.title || 'invitation'}`, body,
    replyCalendar(ev, status, me, organizer, now), now);
}

// A multipart/alternative of a text and the iTIP object (RFC 6047 §2.4).
function imipMessage(method, me, to, subject, body, ics, now) {
  const boundary = `=_${crypto.randomUUID()}`;
  const domain = me.email.split('@')[1] || 'localhost';
  return [
    `From: ${me.name ? `${header(me.name)} <${me.email}>` : me.email}`,
    `To: ${to.join(', ')}`, `Subject: ${header(subject)}`,
    `Date: ${now.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${crypto.randomUUID()}@${domain}>`, 'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`, '',
    `--${boundary}`, 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64', '',
    base64(body),
    `--${boundary}`, `Content-Type: text/calendar; charset=utf-8; method=${method}`, 'Content-Transfer-Encoding: base64', '',
    base64(ics),
    `--${boundary}--`, ''].join('\r\n');
}

function identity(app) {
  const ident = app.identities[0] || { email: app.jmap.username };
  return { id: ident.id, name: ident.name || '', email: ident.email || app.jmap.username };
}

// Mails the answer; resolves to the organizer's address (null: none).
export async function sendReply(app, ev, status) {
  const organizer = organizerOf(ev);
  if (!organizer || !PARTSTAT[status]) return null;
  const me = identity(app);
  await submit(app, me, replyMessage(ev, status, me, organizer));
  return organizer;
}

// Imports raw into Sent and submits it.
async function submit(app, ident, raw) {
  const { blobId } = await app.jmap.upload(new Blob([raw], { type: 'message/rfc822' }));
  const sent = app.mailboxByRole('sent') || app.mailboxes.find((m) => m.role === 'drafts') || app.mailboxes[0];
  const imp = await app.jmap.call('Email/import', { emails: { r: {
    blobId, mailboxIds: { [sent.id]: true }, keywords: { $seen: true } } } });
  const made = imp.created && imp.created.r;
  if (!made) throw new Error(`the message was not stored (${JSON.stringify(imp.notCreated || {})})`);
  const sub = await app.jmap.call('EmailSubmission/set', { create: { s: {
    emailId: made.id, identityId: ident.id || undefined } } });
  if (!sub.created || !sub.created.s) throw new Error(`the message was not sent (${JSON.stringify(sub.notCreated || {})})`);
}
