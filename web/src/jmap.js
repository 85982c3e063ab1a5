// A JMAP client (RFC 8620 core, RFC 8621 mail) of our own server: the
// session resource, method calls batched into one request with result
// references between them (§3.7), uploads with progress (§6.1), downloads
// (§6.2) and push over the EventSource endpoint (§7.3). Credentials are the
// session cookie (HttpOnly: this code never sees it) or, until the server
// has its login endpoint, an Authorization header kept in memory only
// (auth.js).

export const CAP_CORE = 'urn:ietf:params:jmap:core';
export const CAP_MAIL = 'urn:ietf:params:jmap:mail';
export const CAP_SUBMISSION = 'urn:ietf:params:jmap:submission';
export const CAP_CONTACTS = 'urn:ietf:params:jmap:contacts';
export const CAP_CALENDARS = 'urn:ietf:params:jmap:calendars';
export const CAP_TASKS = 'urn:ietf:params:jmap:tasks';
export const CAP_JOURNAL = 'urn:postroom:jmap:journal';
export const CAP_SIEVE = 'urn:ietf:params:jmap:sieve';
export const CAP_VACATION = 'urn:ietf:params:jmap:vacationresponse';

// The capability a method's type needs in "using" (besides core and mail).
const CAP_OF_TYPE = {
  EmailSubmission: CAP_SUBMISSION, Identity: CAP_SUBMISSION,
  AddressBook: CAP_CONTACTS, ContactCard: CAP_CONTACTS,
  Calendar: CAP_CALENDARS, CalendarEvent: CAP_CALENDARS,
  Task: CAP_TASKS, JournalEntry: CAP_JOURNAL,
  SieveScript: CAP_SIEVE, VacationResponse: CAP_VACATION,
};

export class JmapError extends Error {
  constructor(type, description, status) {
    super(description ? `${type}: ${description}` : type);
    this.type = type;
    this.status = status;
  }
}

// One request being built: add() returns a handle whose ref(path) is a
// result reference for a later call of the same request.
export class Batch {
  constructor(client) {
    this.client = client;
    this.calls = [];
  }

  add(name, args) {
    const id = `c${this.calls.length}`;
    this.calls.push([name, { accountId: this.client.accountId, ...args }, id]);
    return {
      id, name,
      ref: (path) => ({ resultOf: id, name, path }),
    };
  }

  // Sends the calls; returns a Map from call id to the arguments of its
  // response ({methodError} for an "error" response, which allowErrors
  // keeps; else it throws).
  async send({ allowErrors = false } = {}) {
    const responses = await this.client.request(this.calls);
    const byId = new Map();
    for (const [name, args, id] of responses) {
      if (name === 'error' && !allowErrors)
        throw new JmapError(args.type, args.description);
      if (!byId.has(id)) byId.set(id, name === 'error' ? { methodError: args } : args);
      else byId.set(`${id}/${name}`, args); // implicit calls (§5.4)
    }
    return byId;
  }
}

export class JmapClient {
  constructor() {
    this.session = null;
    this.accountId = null;
    this.authHeader = null; // "Basic ..." when not using the cookie
    this.onUnauthorized = () => {};
    this.pending = null;
  }

  // With an Authorization header of our own, the browser's credentials
  // are left out: a 401 then never opens the browser's password dialog.
  get credentials() { return this.authHeader ? 'omit' : 'same-origin'; }

  headers(extra) {
    const hdrs = { ...extra };
    if (this.authHeader) hdrs.Authorization = this.authHeader;
    return hdrs;
  }

  // GET the session resource; returns false on 401.
  async connect() {
    const resp = await fetch('/jmap/session', {
      credentials: this.credentials, headers: this.headers({ Accept: 'application/json' }),
      cache: 'no-store',
    });
    if (resp.status === 401) return false;
    if (!resp.ok) throw new JmapError('serverFail', `session: HTTP ${resp.status}`, resp.status);
    this.session = await resp.json();
    this.accountId = this.session.primaryAccounts[CAP_MAIL];
    return true;
  }

  get username() { return this.session ? this.session.username : ''; }

  capability(cap) {
    return this.session ? this.session.capabilities[cap] : undefined;
  }

  // The accounts of other users who share collections with this one
  // (isPersonal false) and whose capabilities include cap (or the one a
  // type's methods need: 'ContactCard'), as [{id, name, isReadOnly}]
  // ordered by name (the owner's address).
  sharedAccounts(cap) {
    if (!this.session) return [];
    cap = CAP_OF_TYPE[cap] || cap;
    return Object.entries(this.session.accounts || {})
      .filter(([id, a]) => id !== this.accountId && a.isPersonal === false &&
        a.accountCapabilities && a.accountCapabilities[cap])
      .map(([id, a]) => ({ id, name: a.name || id, isReadOnly: !!a.isReadOnly }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  accountCapability(cap) {
    const acct = this.session && this.session.accounts[this.accountId];
    return acct ? acct.accountCapabilities[cap] : undefined;
  }

  batch() { return new Batch(this); }

  // One call, batched with the others made in the same task.
  call(name, args) {
    if (!this.pending) {
      const batch = this.batch();
      const handles = [];
      this.pending = { batch, handles };
      queueMicrotask(() => this.flush());
    }
    const handle = this.pending.batch.add(name, args);
    return new Promise((resolve, reject) => {
      this.pending.handles.push({ handle, resolve, reject });
    });
  }

  async flush() {
    const { batch, handles } = this.pending;
    this.pending = null;
    try {
      const results = await batch.send({ allowErrors: true });
      for (const { handle, resolve, reject } of handles) {
        const res = results.get(handle.id);
        if (res && res.methodError) reject(new JmapError(res.methodError.type, res.methodError.description));
        else resolve(res);
      }
    } catch (err) {
      for (const { reject } of handles) reject(err);
    }
  }

  async request(calls) {
    const using = new Set([CAP_CORE, CAP_MAIL]);
    for (const [name] of calls) {
      const cap = CAP_OF_TYPE[name.slice(0, name.indexOf('/'))];
      if (cap) using.add(cap);
    }
    const resp = await fetch(this.session.apiUrl, {
      method: 'POST',
      credentials: this.credentials,
      headers: this.headers({ 'Content-Type': 'application/json', Accept: 'application/json' }),
      body: JSON.stringify({ using: [...using], methodCalls: calls }),
    });
    if (resp.status === 401) {
      this.onUnauthorized();
      throw new JmapError('unauthorized', 'please log in again', 401);
    }
    if (!resp.ok) {
      let problem = {};
      try { problem = await resp.json(); } catch (e) { /* not JSON */ }
      throw new JmapError(problem.type || 'serverFail', problem.detail || `HTTP ${resp.status}`, resp.status);
    }
    const body = await resp.json();
    // a new session state: accounts (shares) came or went (§3.4)
    if (body.sessionState && this.session.state && body.sessionState !== this.session.state)
      this.connect().catch(() => {});
    return body.methodResponses;
  }

  downloadUrl(blobId, name, type) {
    return this.session.downloadUrl
      .replace('{accountId}', encodeURIComponent(this.accountId))
      .replace('{blobId}', encodeURIComponent(blobId))
      .replace('{name}', encodeURIComponent(name || 'download'))
      .replace('{type}', encodeURIComponent(type || 'application/octet-stream'));
  }

  // The blob's bytes as a Blob (for inline images and downloads, which
  // need the credentials an <img> or <a> would not send in header mode).
  async fetchBlob(blobId, name, type) {
    const resp = await fetch(this.downloadUrl(blobId, name, type), {
      credentials: this.credentials, headers: this.headers(),
    });
    if (!resp.ok) throw new JmapError('blobNotFound', `HTTP ${resp.status}`, resp.status);
    return resp.blob();
  }

  // Uploads a File; onProgress(loaded, total). Resolves to {blobId, type,
  // size}. XMLHttpRequest because fetch reports no upload progress.
  upload(file, onProgress, signal) {
    const url = this.session.uploadUrl.replace('{accountId}', encodeURIComponent(this.accountId));
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', url);
      xhr.withCredentials = !this.authHeader;
      if (this.authHeader) xhr.setRequestHeader('Authorization', this.authHeader);
      xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
      xhr.upload.onprogress = (ev) => onProgress && onProgress(ev.loaded, ev.total);
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText));
        else reject(new JmapError('uploadFailed', `HTTP ${xhr.status}`, xhr.status));
      };
      xhr.onerror = () => reject(new JmapError('uploadFailed', 'network error'));
      xhr.onabort = () => reject(new JmapError('uploadAborted', 'cancelled'));
      if (signal) signal.addEventListener('abort', () => xhr.abort());
      xhr.send(file);
    });
  }

  // Push (§7.3): calls onState(changed, accountId) with the StateChange's
  // "changed" map for each account in it (the user's own and the shared
  // ones). The stream is read with fetch, so that it
  // carries the same credentials as every other request (an EventSource
  // object cannot send an Authorization header); it reconnects with
  // back-off. Returns a function that stops it.
  listen(onState) {
    let stopped = false;
    let controller = null;
    let delay = 1000;
    const url = this.session.eventSourceUrl
      .replace('{types}', '*').replace('{closeafter}', 'no').replace('{ping}', '60');
    const run = async () => {
      while (!stopped) {
        controller = new AbortController();
        try {
          const resp = await fetch(url, {
            credentials: this.credentials, cache: 'no-store', signal: controller.signal,
            headers: this.headers({ Accept: 'text/event-stream' }),
          });
          if (resp.status === 401) { this.onUnauthorized(); return; }
          if (!resp.ok || !resp.body) throw new Error(`HTTP ${resp.status}`);
          delay = 1000;
          await readEvents(resp.body, (event, data) => {
            if (event !== 'state') return;
            const change = JSON.parse(data);
            for (const [acct, changed] of Object.entries(change.changed || {}))
              if (changed) onState(changed, acct);
          });
        } catch (err) {
          if (stopped) return;
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 60000);
      }
    };
    run();
    return () => { stopped = true; if (controller) controller.abort(); };
  }
}

// text/event-stream (HTML's server-sent events): calls onEvent(type, data)
// for each event until the stream ends.
async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '', event = 'message', data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let nl;
    while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + (buf.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (data.length) onEvent(event, data.join('\n'));
        event = 'message';
        data = [];
      } else if (line.startsWith(':')) {
        continue;
      } else {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let val = colon < 0 ? '' : line.slice(colon + 1);
        if (val.startsWith(' ')) val = val.slice(1);
        if (field === 'event') event = val;
        else if (field === 'data') data.push(val);
      }
    }
  }
}
