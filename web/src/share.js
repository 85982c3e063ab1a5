// Collections other users share with this one. JMAP shows each owner who
// shares something as an account of its own (isPersonal false, named by
// the owner's address) holding only the shared address books and
// calendars, each with the user's myRights. The views load the user's own
// account and each of those, tag what they get with the account, and show
// a shared collection with its owner and "read only" where the user may
// not write it. The server enforces the rights; this only reflects them
// (a write it refuses anyway comes back as a SetError "forbidden").

// The accounts to load for a type ('ContactCard', 'CalendarEvent', ...):
// the user's own first (owner null), then each account of another user
// sharing collections of that kind.
export function accountsWith(jmap, type) {
  return [{ id: jmap.accountId, name: null, isReadOnly: false },
    ...jmap.sharedAccounts(type)];
}

// Whether the user may change the items of coll (an AddressBook or a
// Calendar, with its myRights) in account acct.
export function canWrite(coll, acct) {
  if (acct && acct.isReadOnly) return false;
  const r = coll && coll.myRights;
  if (!r) return true;
  if ('mayWrite' in r) return !!r.mayWrite;
  if ('mayWriteAll' in r) return !!r.mayWriteAll;
  return true;
}

// Tags each collection of account acct's list with the account (acct),
// its owner's address (owner: null for the user's own) and whether the
// user may write it (writable); returns the list.
export function tagCollections(list, acct) {
  for (const c of list || []) {
    c.acct = acct.id;
    c.owner = acct.name;
    c.writable = canWrite(c, acct);
  }
  return list || [];
}

// A collection's key, unique over accounts (ids are per account).
export function collKey(c) {
  return c.owner ? `${c.acct}/${c.id}` : c.id;
}

// "Team — shared by alice@example.test" (the name alone for the user's own).
export function sharedLabel(c) {
  return c.owner ? `${c.name} — shared by ${c.owner}` : c.name;
}

// The text of a SetError for the user.
export function setErrorText(err) {
  if (err.type === 'forbidden')
    return 'its owner shares it read only with you, so it cannot be changed here';
  return err.description || err.type;
}

// The result of call c of a batch sent with allowErrors, or null when the
// server answered it with an error (a shared account gone meanwhile).
export function resultOf(res, c) {
  const r = res.get(c.id);
  return r && !r.methodError ? r : null;
}
