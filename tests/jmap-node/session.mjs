// A realistic JMAP session by an independent client library from npm
// (jmap-jam 0.13.1, package-lock.json), driven by
// tests/integration/test_jmap_node.py against a running postroomd:
// query a mailbox, fetch its threads, send with an attachment, set
// keywords, move, destroy, then Email/changes from the old state. Every
// step asserts; the last line is "N passed, M failed" and the exit code
// is non-zero on any failure. Nothing here reaches the network but the
// server under test (JMAP_SESSION_URL, a loopback address).
import assert from "node:assert/strict";
import JamClient from "jmap-jam";

const sessionUrl = process.env.JMAP_SESSION_URL;
const bearerToken = process.env.JMAP_TOKEN;
const rcpt = process.env.JMAP_RCPT;
const self = process.env.JMAP_USER;
const expectInbox = Number(process.env.JMAP_INBOX_COUNT);

let passed = 0;
let failed = 0;
const state = {};

async function step(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (err) {
    failed++;
    console.log(`not ok - ${name}`);
    console.log(
      "  " + (err && err.stack ? err.stack : JSON.stringify(err)),
    );
  }
}

const jam = new JamClient({ sessionUrl, bearerToken });

await step("session and primary account", async () => {
  const session = await jam.session;
  assert.equal(session.username, self);
  state.accountId = await jam.getPrimaryAccount();
  assert.match(state.accountId, /^a\d+$/);
  assert.ok(session.capabilities["urn:ietf:params:jmap:submission"]);
});

await step("mailboxes by role", async () => {
  const [res] = await jam.api.Mailbox.get({ accountId: state.accountId });
  const byRole = Object.fromEntries(
    res.list.filter((m) => m.role).map((m) => [m.role, m.id]),
  );
  for (const role of ["inbox", "drafts", "sent", "archive", "trash"]) {
    assert.ok(byRole[role], `no ${role} mailbox`);
  }
  state.boxes = byRole;
});

await step("query the inbox and fetch its threads (result references)", async () => {
  const [r] = await jam.requestMany((t) => {
    const query = t.Email.query({
      accountId: state.accountId,
      filter: { inMailbox: state.boxes.inbox },
      sort: [{ property: "receivedAt", isAscending: false }],
      calculateTotal: true,
    });
    const emails = t.Email.get({
      accountId: state.accountId,
      ids: query.$ref("/ids"),
      properties: ["id", "threadId", "subject", "from", "keywords", "preview"],
    });
    const threads = t.Thread.get({
      accountId: state.accountId,
      ids: emails.$ref("/list/*/threadId"),
    });
    return { query, emails, threads };
  });
  assert.equal(r.query.total, expectInbox);
  assert.equal(r.emails.list.length, expectInbox);
  state.oldState = r.emails.state;
  state.inbox = r.emails.list;
  // the reply and its parent are one thread of two (delivered in the
  // same second: their order is the server's, RFC 8621 §3)
  const big = r.threads.list.find((t) => t.emailIds.length === 2);
  assert.ok(big, JSON.stringify(r.threads.list));
  const subjects = big.emailIds.map(
    (id) => r.emails.list.find((e) => e.id === id).subject,
  );
  assert.deepEqual(subjects.sort(), ["Plans", "Re: Plans"]);
  const again = (await jam.api.Thread.get({
    accountId: state.accountId, ids: [big.id] }))[0].list[0];
  assert.deepEqual(again.emailIds, big.emailIds);
  assert.ok(r.emails.list.every((e) => typeof e.preview === "string"));
});

await step("upload an attachment", async () => {
  const data = new Blob(["%PDF-1.4 jam\n"], { type: "application/pdf" });
  const up = await jam.uploadBlob(state.accountId, data);
  assert.match(up.blobId, /^b[0-9a-f]{64}$/);
  assert.equal(up.size, 13);
  state.blobId = up.blobId;
});

await step("send with the attachment, filed in Sent", async () => {
  const [r] = await jam.requestMany((t) => {
    const identities = t.Identity.get({ accountId: state.accountId });
    const draft = t.Email.set({
      accountId: state.accountId,
      create: {
        draft: {
          mailboxIds: { [state.boxes.drafts]: true },
          keywords: { $draft: true, $seen: true },
          from: [{ email: self }],
          to: [{ email: rcpt }],
          subject: "Report from jam",
          bodyValues: { body: { value: "The report is attached.\n" } },
          textBody: [{ partId: "body", type: "text/plain" }],
          attachments: [
            { blobId: state.blobId, type: "application/pdf", name: "report.pdf" },
          ],
        },
      },
    });
    const send = t.EmailSubmission.set({
      accountId: state.accountId,
      create: { send: { identityId: "i1", emailId: "#draft" } },
      onSuccessUpdateEmail: {
        "#send": {
          [`mailboxIds/${state.boxes.drafts}`]: null,
          [`mailboxIds/${state.boxes.sent}`]: true,
          "keywords/$draft": null,
        },
      },
    });
    return { identities, draft, send };
  });
  assert.equal(r.identities.list[0].email, self);
  state.sentId = r.draft.created.draft.id;
  // the implicit Email/set answers with the same call id (RFC 8621
  // §7.5), so jam keeps it under "send", after EmailSubmission/set's
  assert.ok(state.sentId in r.send.updated, JSON.stringify(r.send));
  const [subs] = await jam.api.EmailSubmission.query({
    accountId: state.accountId,
    filter: { emailIds: [state.sentId] },
  });
  assert.equal(subs.ids.length, 1);
  const [got] = await jam.api.Email.get({
    accountId: state.accountId,
    ids: [state.sentId],
    properties: ["mailboxIds", "keywords", "attachments", "hasAttachment"],
  });
  const e = got.list[0];
  assert.deepEqual(Object.keys(e.mailboxIds), [state.boxes.sent]);
  assert.equal(e.keywords.$draft, undefined);
  assert.equal(e.hasAttachment, true);
  assert.equal(e.attachments[0].name, "report.pdf");
  state.partBlob = e.attachments[0].blobId;
});

await step("download the attachment back", async () => {
  const resp = await jam.downloadBlob({
    accountId: state.accountId,
    blobId: state.partBlob,
    mimeType: "application/pdf",
    fileName: "report.pdf",
  });
  assert.equal(await resp.text(), "%PDF-1.4 jam\n");
});

await step("set keywords", async () => {
  const [first] = state.inbox;
  const [r] = await jam.api.Email.set({
    accountId: state.accountId,
    update: { [first.id]: { "keywords/$flagged": true, "keywords/$seen": true } },
  });
  assert.ok(first.id in r.updated);
  state.flagged = first.id;
});

await step("move to the archive", async () => {
  const [, second] = state.inbox;
  const [r] = await jam.api.Email.set({
    accountId: state.accountId,
    update: {
      [second.id]: {
        mailboxIds: { [state.boxes.archive]: true },
      },
    },
  });
  assert.ok(second.id in r.updated);
  state.moved = second.id;
});

await step("destroy", async () => {
  const last = state.inbox[state.inbox.length - 1];
  const [r] = await jam.api.Email.set({
    accountId: state.accountId,
    destroy: [last.id],
  });
  assert.deepEqual(r.destroyed, [last.id]);
  state.destroyed = last.id;
});

await step("Email/changes from the old state", async () => {
  const [ch] = await jam.api.Email.changes({
    accountId: state.accountId,
    sinceState: state.oldState,
  });
  assert.equal(ch.oldState, state.oldState);
  assert.ok(ch.created.includes(state.sentId), JSON.stringify(ch));
  assert.ok(ch.updated.includes(state.flagged));
  assert.ok(ch.updated.includes(state.moved));
  assert.ok(ch.destroyed.includes(state.destroyed));
  const [now] = await jam.api.Email.get({ accountId: state.accountId, ids: [] });
  assert.equal(ch.newState, now.state);
  assert.equal(ch.hasMoreChanges, false);
});

await step("errors come back as the RFC's", async () => {
  await assert.rejects(
    jam.api.Email.get({ accountId: "a999999" }),
    (err) => err.type === "accountNotFound",
  );
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
