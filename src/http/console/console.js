// The admin console's script: plain DOM, no framework, no build. It reads the JSON API with the
// token typed at sign-in (sessionStorage only), renders every value with textContent (never as
// HTML), and polls every few seconds while "Live refresh" is on.

const TOKEN_KEY = 'growrk-sync-token';
const POLL_MS = 5000;
const TABS = [
  ['all', 'All'],
  ['succeeded', 'Succeeded'],
  ['failed', 'Failed'],
  ['held', 'Held'],
  ['rejected', 'Rejected'],
];

const state = {
  tab: 'all',
  expanded: new Set(),
  older: null,
  appended: false,
  eventsSeq: 0,
  timer: null,
  busy: false,
  offboardings: true,
};
const $ = (id) => document.getElementById(id);
const token = () => sessionStorage.getItem(TOKEN_KEY) || '';

/** Builds an element: el('td', { class: 'x' }, 'text', child). Strings become text nodes. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'onclick') node.addEventListener('click', value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(`${code}: ${message}`);
    this.status = status;
  }
}

async function api(path, method = 'GET') {
  const res = await fetch(path, { method, headers: { authorization: `Bearer ${token()}` } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = body.error || { code: String(res.status), message: res.statusText };
    throw new ApiError(res.status, e.code, e.message);
  }
  return body;
}

const when = (ms) => (ms ? `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)} UTC` : '');
const badge = (text, kind = text) => el('span', { class: `badge state-${kind}` }, text);
const who = (s) => (s ? [s.name, s.email, s.serial && `serial ${s.serial}`].filter(Boolean).join(' · ') : '');
const show = (message) => {
  $('err').textContent = message || '';
};

function table(headers, rows, empty) {
  if (rows.length === 0) return el('p', { class: 'muted empty' }, empty);
  return el(
    'table',
    {},
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headers.map((h) => el('th', { scope: 'col' }, h)),
      ),
    ),
    el('tbody', {}, rows),
  );
}

/** Asks before doing `action`; resolves true when confirmed. */
function confirmWith(title, body, okLabel) {
  const dialog = $('confirm');
  $('confirm-title').textContent = title;
  $('confirm-body').replaceChildren(...body);
  $('confirm-ok').textContent = okLabel;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) =>
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }),
  );
}

async function act(run) {
  show('');
  try {
    await run();
    await refresh();
  } catch (err) {
    handle(err);
  }
}

// --- overview -------------------------------------------------------------------------------

function renderCounts(counts) {
  const items = ['pending', 'running', 'done', 'dead'].map((k) =>
    el('div', { class: `count count-${k}` }, el('dt', {}, `${k} jobs`), el('dd', {}, String(counts[k] ?? 0))),
  );
  $('counts').replaceChildren(...items);
}

// --- held changes ---------------------------------------------------------------------------

function planList(plan) {
  const ops = plan?.ops || [];
  if (ops.length === 0) return el('span', { class: 'muted' }, 'no operations');
  return el(
    'ul',
    { class: 'plan' },
    ops.map((op) =>
      el(
        'li',
        {},
        el('strong', {}, op.description || op.type),
        op.destructive ? badge('destructive', 'failed') : null,
        (op.changes || []).length
          ? el(
              'dl',
              { class: 'changes' },
              op.changes.map((c) => [
                el('dt', {}, c.field),
                el('dd', {}, `${fmt(c.before)} → ${fmt(c.after)}`),
              ]),
            )
          : null,
      ),
    ),
  );
}

function fmt(value) {
  if (value === undefined || value === null) return '(none)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function decide(h, decision) {
  const person = h.subject.name || h.entityId;
  const verb = decision === 'approve' ? 'Approve' : 'Reject';
  return act(async () => {
    const ok = await confirmWith(
      `${verb} the held change for ${person}?`,
      [
        el(
          'p',
          {},
          `${h.connector}: ${h.kind} ${h.entityId}${h.subject.email ? ` (${h.subject.email})` : ''}`,
        ),
        planList(h.plan),
        el(
          'p',
          { class: 'muted' },
          decision === 'approve'
            ? 'It is planned again from the current state, then applied.'
            : 'Nothing is applied.',
        ),
      ],
      verb,
    );
    if (ok) await api(`/api/held/${encodeURIComponent(h.id)}/${decision}`, 'POST');
  });
}

/** The Approve (primary) or Reject (danger) button of a held change. */
function decisionButton(h, decision) {
  const person = h.subject.name || h.entityId;
  const verb = decision === 'approve' ? 'Approve' : 'Reject';
  return el(
    'button',
    {
      type: 'button',
      class: decision === 'approve' ? 'primary' : 'danger',
      'aria-label': `${verb} held change for ${person}`,
      onclick: () => decide(h, decision),
    },
    verb,
  );
}

function renderHeld(held) {
  $('held-count').textContent = String(held.length);
  const rows = held.map((h) => {
    const person = h.subject.name || h.entityId;
    return el(
      'tr',
      {},
      el('td', {}, el('strong', {}, person), el('div', { class: 'muted' }, `${h.kind} ${h.entityId}`)),
      el('td', {}, h.subject.email || h.subject.serial || ''),
      el('td', {}, h.connector),
      el('td', {}, planList(h.plan)),
      el('td', {}, h.reason, el('div', { class: 'muted' }, `held ${when(h.createdAt)}`)),
      el('td', { class: 'actions' }, decisionButton(h, 'approve'), decisionButton(h, 'reject')),
    );
  });
  $('held').replaceChildren(
    table(
      ['Person', 'E-mail', 'Connector', 'Planned change', 'Why held', 'Decision'],
      rows,
      'Nothing is held.',
    ),
  );
}

// --- dead jobs ------------------------------------------------------------------------------

function renderDead(dead) {
  $('dead-count').textContent = String(dead.length);
  $('replay-all').disabled = dead.length === 0;
  const rows = dead.map((j) => {
    const subject = j.subject.name || j.entityId;
    return el(
      'tr',
      {},
      el('td', {}, el('strong', {}, subject), el('div', { class: 'muted' }, `${j.kind} ${j.entityId}`)),
      el('td', {}, j.connector),
      el('td', {}, String(j.attempts)),
      el(
        'td',
        {},
        j.lastError ? el('code', {}, j.lastError.code) : '',
        j.lastError ? ` ${j.lastError.message}` : '',
      ),
      el('td', {}, when(j.updatedAt)),
      el(
        'td',
        { class: 'actions' },
        el(
          'button',
          {
            type: 'button',
            'aria-label': `Replay dead ${j.connector} job for ${subject}`,
            onclick: () => act(() => api(`/api/jobs/${encodeURIComponent(j.id)}/replay`, 'POST')),
          },
          'Replay',
        ),
      ),
    );
  });
  $('dead').replaceChildren(
    table(['Subject', 'Connector', 'Attempts', 'Last error', 'Died', ''], rows, 'No dead jobs.'),
  );
}

// --- events ---------------------------------------------------------------------------------

function renderTabs() {
  const tabs = TABS.map(([id, label]) =>
    el(
      'button',
      {
        type: 'button',
        role: 'tab',
        id: `tab-${id}`,
        'aria-selected': state.tab === id ? 'true' : 'false',
        'aria-controls': 'events-panel',
        tabindex: state.tab === id ? '0' : '-1',
        onclick: () => selectTab(id),
      },
      label,
    ),
  );
  $('tabs').replaceChildren(...tabs);
  $('events-panel').setAttribute('aria-labelledby', `tab-${state.tab}`);
}

function selectTab(id, focus = false) {
  state.tab = id;
  state.older = null;
  state.appended = false;
  renderTabs();
  // Until the tab's own rows arrive, the list still shows the previous tab's.
  $('events').setAttribute('aria-busy', 'true');
  if (focus) $(`tab-${id}`).focus();
  void loadEvents().catch(handle);
}

function outcomeSummary(counts) {
  return Object.entries(counts).map(([result, n]) => badge(`${n} ${result}`, result));
}

function eventRow(e) {
  const open = state.expanded.has(e.id);
  const detailId = `detail-${e.id}`;
  const toggle = el(
    'button',
    {
      type: 'button',
      class: 'disclosure',
      'aria-expanded': open ? 'true' : 'false',
      'aria-controls': detailId,
      'aria-label': `${open ? 'Hide' : 'Show'} outcomes of event ${e.id}`,
      onclick: () => toggleEvent(e.id),
    },
    open ? '▾' : '▸',
  );
  const main = el(
    'tr',
    { class: `event-row ${open ? 'open' : ''}`, 'data-event': e.id },
    el('td', {}, toggle),
    el('td', {}, when(e.receivedAt)),
    el('td', {}, e.type || '(unreadable)', el('div', { class: 'muted mono' }, e.id)),
    el('td', {}, (e.entityKeys || []).join(', ')),
    el('td', {}, badge(e.state)),
    el(
      'td',
      {},
      outcomeSummary(e.outcomes || {}),
      e.error ? el('div', { class: 'error-text' }, `${e.error.code}: ${e.error.message}`) : null,
    ),
  );
  const detail = el(
    'tr',
    { class: 'detail', id: detailId, hidden: !open },
    el('td', { colspan: '6' }, el('div', { class: 'muted' }, 'Loading…')),
  );
  if (open) void loadDetail(e.id, detail.firstChild);
  return [main, detail];
}

function toggleEvent(id) {
  if (state.expanded.has(id)) state.expanded.delete(id);
  else state.expanded.add(id);
  const row = document.querySelector(`tr[data-event="${CSS.escape(id)}"]`);
  if (!row) return;
  const [main, detail] = eventRow(JSON.parse(row.dataset.row));
  main.dataset.row = row.dataset.row;
  row.nextElementSibling.replaceWith(detail);
  row.replaceWith(main);
  main.querySelector('button.disclosure').focus();
}

async function loadDetail(id, cell) {
  try {
    const d = await api(`/api/events/${encodeURIComponent(id)}`);
    cell.replaceChildren(renderDetail(d));
  } catch (err) {
    cell.replaceChildren(el('p', { class: 'error-text' }, err.message));
  }
}

function renderDetail(d) {
  const byConnector = new Map();
  for (const o of d.outcomes) {
    if (!byConnector.has(o.connector)) byConnector.set(o.connector, []);
    byConnector.get(o.connector).push(o);
  }
  const parts = [];
  if (d.subjects.length)
    parts.push(
      el(
        'p',
        {},
        'Concerns: ',
        d.subjects.map((s) => `${s.kind} ${s.id}${who(s) ? ` (${who(s)})` : ''}`).join('; '),
      ),
    );
  if (d.event.error)
    parts.push(el('p', { class: 'error-text' }, `Rejected: ${d.event.error.code}: ${d.event.error.message}`));
  for (const [connector, outcomes] of byConnector) {
    const rows = outcomes
      .slice()
      .sort((a, b) => a.at - b.at)
      .map((o) =>
        el(
          'tr',
          {},
          el('td', {}, when(o.at)),
          el('td', {}, `${o.kind} ${o.entityId}`),
          el('td', {}, badge(o.result)),
          el('td', {}, o.summary),
          el(
            'td',
            {},
            o.error ? el('span', { class: 'error-text' }, `${o.error.code}: ${o.error.message}`) : '',
          ),
        ),
      );
    parts.push(
      el('h3', {}, connector),
      table(['When', 'Entity', 'Result', 'What was done', 'Error'], rows, ''),
    );
  }
  if (byConnector.size === 0) parts.push(el('p', { class: 'muted' }, 'No outcome recorded yet.'));
  if (d.jobs.length) {
    const rows = d.jobs.map((j) =>
      el(
        'tr',
        {},
        el('td', {}, j.connector),
        el('td', {}, `${j.kind} ${j.entityId}`),
        el('td', {}, badge(j.state)),
        el('td', {}, String(j.attempts)),
        el('td', {}, j.lastError ? `${j.lastError.code}: ${j.lastError.message}` : ''),
      ),
    );
    parts.push(
      el('h3', {}, 'Sync jobs'),
      table(['Connector', 'Entity', 'State', 'Attempts', 'Last error'], rows, ''),
    );
  }
  if (d.event.status !== 'rejected')
    parts.push(
      el(
        'p',
        {},
        el(
          'button',
          {
            type: 'button',
            'aria-label': `Replay event ${d.event.id}`,
            onclick: () => act(() => api(`/api/events/${encodeURIComponent(d.event.id)}/replay`, 'POST')),
          },
          'Replay this event',
        ),
      ),
    );
  return el('div', { class: 'detail-body' }, parts);
}

async function loadEvents(append = false) {
  const view = state.tab;
  const params = new URLSearchParams({ view, limit: '25' });
  if (append && state.older) params.set('before', state.older);
  // A slower answer for an earlier tab (or page) must not overwrite a newer one.
  const seq = ++state.eventsSeq;
  const { events, next } = await api(`/api/events?${params}`);
  if (seq !== state.eventsSeq) return;
  const rows = events.flatMap((e) => {
    const [main, detail] = eventRow(e);
    main.dataset.row = JSON.stringify(e);
    return [main, detail];
  });
  const tbody = document.querySelector('#events tbody');
  state.appended = append;
  if (append && tbody) tbody.append(...rows);
  else
    $('events').replaceChildren(
      table(['', 'Received', 'Event', 'Entities', 'State', 'Outcomes'], rows, 'No events here.'),
    );
  state.older = next;
  $('more').hidden = !next;
  $('events').dataset.view = view;
  $('events').setAttribute('aria-busy', 'false');
}

// --- runs, offboardings, search --------------------------------------------------------------

function countsText(counts) {
  if (!counts) return '';
  return (
    Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ') || 'nothing'
  );
}

function renderRuns(runs) {
  const rows = runs.map((r) =>
    el(
      'tr',
      {},
      el('td', {}, when(r.startedAt), el('div', { class: 'muted mono' }, r.id)),
      el('td', {}, r.connector || 'all', r.dryRun ? badge('dry run', 'pending') : null),
      el('td', {}, r.trigger),
      el('td', {}, badge(r.status)),
      el('td', {}, countsText(r.plan)),
      el(
        'td',
        {},
        countsText(r.results),
        r.budget ? el('div', { class: 'muted' }, r.budget) : null,
        r.errors.map((e) => el('div', { class: 'error-text' }, `${e.code}: ${e.message}`)),
      ),
    ),
  );
  $('runs').replaceChildren(
    table(
      ['Started', 'Connector', 'Trigger', 'Status', 'Plan', 'Result'],
      rows,
      'No reconciliation run yet.',
    ),
  );
}

/** One offboarding's events, oldest first: suspension, each step, handover, wipes, licence, closing. */
function timelineOf(o) {
  const items = [];
  const add = (at, text) => {
    if (at) items.push({ at: Date.parse(at), text });
  };
  add(o.openedAt, 'offboarding opened');
  add(o.suspendedAt, 'account suspended');
  for (const s of o.steps) add(s.at, s.detail ? `${s.step}: ${s.detail}` : s.step);
  if (o.handover) {
    add(o.handover.requestedAt, `data handover to ${o.handover.to} requested`);
    add(o.handover.finishedAt, `data handover to ${o.handover.to}: ${o.handover.state}`);
  }
  for (const d of o.devicesWiped) add(d.at, `device wiped${d.model ? ` (${d.model})` : ''}`);
  add(o.licenceReleasedAt, `licence ${o.licence || 'released'}`);
  add(
    o.closedAt,
    `closed${o.closedReason ? `: ${o.closedReason}` : ''}${o.cancelledReason ? `: ${o.cancelledReason}` : ''}`,
  );
  return items.sort((a, b) => a.at - b.at);
}

function offboardingCard(o) {
  const outstanding = o.equipmentOutstanding.map(
    (e) =>
      `${e.serial || e.productId}${e.status ? ` (${e.status})` : ''}${e.legalHold && e.legalHold !== 'none' ? `, legal hold ${e.legalHold}` : ''}`,
  );
  return el(
    'article',
    { class: 'offboarding', 'data-offboarding': o.id },
    el(
      'h3',
      {},
      o.label || o.employeeId,
      ' ',
      badge(o.status, o.status === 'open' ? 'pending' : o.status === 'closed' ? 'succeeded' : 'skipped'),
    ),
    el('p', { class: 'muted' }, `employee ${o.employeeId} · ${o.connector} · ${o.id}`),
    o.blockedBy ? el('p', { class: 'warn-text' }, `Waiting: ${o.blockedBy}`) : null,
    outstanding.length ? el('p', {}, 'Equipment not back yet: ', outstanding.join('; ')) : null,
    el(
      'ol',
      { class: 'timeline', 'aria-label': `Timeline of the offboarding of ${o.label || o.employeeId}` },
      timelineOf(o).map((i) =>
        el('li', {}, el('time', { datetime: new Date(i.at).toISOString() }, when(i.at)), ' ', i.text),
      ),
    ),
  );
}

/** Offboardings as a timeline per person (GET /api/offboardings); hidden where the API is absent. */
async function loadOffboardings() {
  if (!state.offboardings) return;
  let body;
  try {
    body = await api(`/api/offboardings?limit=20${$('open-only').checked ? '&open=true' : ''}`);
  } catch (err) {
    if (err.status === 404) {
      state.offboardings = false;
      return;
    }
    throw err;
  }
  $('offboardings-section').hidden = false;
  const cards = body.offboardings.map(offboardingCard);
  $('offboardings').replaceChildren(
    ...(cards.length ? cards : [el('p', { class: 'muted empty' }, 'No offboarding here.')]),
  );
}

async function runSearch(q) {
  const { hits } = await api(`/api/search?q=${encodeURIComponent(q)}`);
  const out = hits.map((h) =>
    el(
      'article',
      { class: 'hit' },
      el(
        'h3',
        {},
        `${h.subject.kind} ${h.subject.id}`,
        ' ',
        h.subject.status ? badge(h.subject.status) : null,
      ),
      el(
        'p',
        {},
        who(h.subject) || '(no name known)',
        h.subject.assignedTo ? ` · assigned to ${h.subject.assignedTo}` : '',
      ),
      h.held.length ? el('p', {}, badge(`${h.held.length} held`, 'held'), ' see Held changes') : null,
      h.deadJobs.length ? el('p', {}, badge(`${h.deadJobs.length} dead`, 'dead'), ' see Dead jobs') : null,
      table(
        ['Received', 'Event', 'State'],
        h.events.map((e) =>
          el(
            'tr',
            {},
            el('td', {}, when(e.receivedAt)),
            el('td', {}, e.type || '', el('div', { class: 'muted mono' }, e.id)),
            el('td', {}, badge(e.state)),
          ),
        ),
        'No recent event.',
      ),
    ),
  );
  $('search-results').replaceChildren(
    ...(out.length ? out : [el('p', { class: 'muted empty' }, `Nothing matches “${q}”.`)]),
  );
}

// --- refresh, sign-in -----------------------------------------------------------------------

function handle(err) {
  if (err instanceof ApiError && err.status === 401) {
    signOut('The token was refused. Sign in again.');
    return;
  }
  show(err.message);
}

async function refresh() {
  if (state.busy || $('confirm').open) return;
  state.busy = true;
  try {
    const [jobs, held, runs] = await Promise.all([api('/api/jobs'), api('/api/held'), api('/api/runs')]);
    renderCounts(jobs.counts);
    renderDead(jobs.dead);
    renderHeld(held.held);
    renderRuns(runs.runs);
    // Older pages the operator opened stay as they are; the newest page follows live.
    if (!state.appended) await loadEvents();
    await loadOffboardings();
    $('updated').textContent = `Updated ${new Date().toLocaleTimeString()}`;
    show('');
  } catch (err) {
    handle(err);
  } finally {
    state.busy = false;
  }
}

function schedule() {
  clearInterval(state.timer);
  state.timer = $('live').checked ? setInterval(() => void refresh(), POLL_MS) : null;
}

function signedIn() {
  $('login-err').textContent = '';
  $('login-section').hidden = true;
  $('app').hidden = false;
  $('controls').hidden = false;
  renderTabs();
  void refresh();
  schedule();
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  clearInterval(state.timer);
  $('app').hidden = true;
  $('controls').hidden = true;
  $('login-section').hidden = false;
  show('');
  $('login-err').textContent = message || '';
  $('token').focus();
}

$('login').addEventListener('submit', (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token').value);
  $('token').value = '';
  signedIn();
});
$('signout').addEventListener('click', () => signOut());
$('refresh').addEventListener('click', () => void refresh());
$('live').addEventListener('change', schedule);
$('open-only').addEventListener('change', () => void loadOffboardings().catch(handle));
$('more').addEventListener('click', () => void loadEvents(true).catch(handle));
$('replay-all').addEventListener('click', () =>
  act(async () => {
    const n = $('dead-count').textContent;
    if (
      await confirmWith(
        `Replay all ${n} dead jobs?`,
        [el('p', {}, 'Each is queued again and planned from the current state.')],
        'Replay all',
      )
    )
      await api('/api/jobs/replay-dead', 'POST');
  }),
);
$('search').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void runSearch($('q').value).catch(handle);
});
$('search-clear').addEventListener('click', () => {
  $('q').value = '';
  $('search-results').replaceChildren();
});
$('tabs').addEventListener('keydown', (ev) => {
  const i = TABS.findIndex(([id]) => id === state.tab);
  const step = { ArrowRight: 1, ArrowLeft: -1 }[ev.key];
  if (step) selectTab(TABS[(i + step + TABS.length) % TABS.length][0], true);
});
if (token()) signedIn();
