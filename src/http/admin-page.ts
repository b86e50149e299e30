/**
 * The admin page: static HTML and a little script that calls the JSON API with the token the
 * operator types (kept in sessionStorage only). It renders text with textContent, never as HTML.
 */
export const ADMIN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>growrk-sync admin</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}h1{font-size:1.3rem}h2{font-size:1.05rem;margin-top:1.5rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}code{font-size:12px}button{margin-right:.3rem}#err{color:#a00}.muted{color:#777}
</style></head><body>
<h1>growrk-sync</h1>
<form id="login"><label>Admin token <input id="token" type="password" autocomplete="off"></label> <button>Show</button></form>
<p id="err"></p>
<h2>Sync jobs</h2><p id="jobs" class="muted">-</p>
<h2>Held changes</h2><table id="held"><thead><tr><th>id</th><th>connector</th><th>entity</th><th>planned</th><th>reason</th><th></th></tr></thead><tbody></tbody></table>
<h2>Recent events</h2><table id="events"><thead><tr><th>id</th><th>received</th><th>type</th><th>status</th><th>entities</th><th>error</th></tr></thead><tbody></tbody></table>
<h2>Reconciliation runs</h2><table id="runs"><thead><tr><th>id</th><th>started</th><th>connector</th><th>status</th><th>dry run</th></tr></thead><tbody></tbody></table>
<script>
const $ = (id) => document.getElementById(id);
const token = () => sessionStorage.getItem('growrk-sync-token') || '';
async function api(path, method = 'GET') {
  const res = await fetch(path, { method, headers: { authorization: 'Bearer ' + token() } });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ? body.error.code + ': ' + body.error.message : res.status);
  return body;
}
function row(table, cells, extra) {
  const tr = document.createElement('tr');
  for (const c of cells) { const td = document.createElement('td'); td.textContent = c == null ? '' : String(c); tr.appendChild(td); }
  if (extra) { const td = document.createElement('td'); td.appendChild(extra); tr.appendChild(td); }
  $(table).querySelector('tbody').appendChild(tr);
}
function clear(table) { $(table).querySelector('tbody').replaceChildren(); }
async function load() {
  $('err').textContent = '';
  try {
    const jobs = await api('/api/jobs');
    $('jobs').textContent = Object.entries(jobs.counts).map(([k, v]) => k + ': ' + v).join('   ');
    clear('held');
    for (const h of (await api('/api/held')).held) {
      const actions = document.createElement('span');
      for (const d of ['approve', 'reject']) {
        const b = document.createElement('button'); b.textContent = d;
        b.onclick = async () => { try { await api('/api/held/' + encodeURIComponent(h.id) + '/' + d, 'POST'); load(); } catch (e) { $('err').textContent = e.message; } };
        actions.appendChild(b);
      }
      row('held', [h.id, h.connector, h.kind + ':' + h.entityId, (h.plan && h.plan.ops || []).map((o) => o.type).join(', '), h.reason], actions);
    }
    clear('events');
    for (const e of (await api('/api/events?limit=50')).events) row('events', [e.id, new Date(e.receivedAt).toISOString(), e.type, e.status, e.entityKeys.join(', '), e.error ? e.error.code : '']);
    clear('runs');
    for (const r of (await api('/api/runs')).runs) row('runs', [r.id, new Date(r.startedAt).toISOString(), r.connector || 'all', r.status, r.dryRun ? 'yes' : 'no']);
  } catch (e) { $('err').textContent = e.message; }
}
$('login').onsubmit = (ev) => { ev.preventDefault(); sessionStorage.setItem('growrk-sync-token', $('token').value); load(); };
if (token()) load();
</script></body></html>
`;
