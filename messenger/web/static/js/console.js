// Operator console (server admins): status, backups (create, verify, download, restore with the
// backup's name typed as confirmation), the settings form built from the server's settings table,
// a live log tail and the diagnostics download.
import { h, clear, toast, errorText } from './dom.js';
import { t, has, fmtDateTime } from './i18n.js';
import { get, post, patch, query } from './api.js';

const size = (n) => (n === null || n === undefined ? '—' : n < 1024 * 1024 ? `${Math.ceil(n / 1024)} KB`
  : n < 1024 ** 3 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${(n / 1024 ** 3).toFixed(2)} GB`);

let logTimer = null;

// A verify check or problem {code, params} in the catalog's words (the answer's English "text" is for scripts);
// null for a code this client does not know.
const finding = (f) => (f && has('console.check.' + f.code) ? t('console.check.' + f.code, f.params) : null);

function row(label, value, testid) {
  return h('tr', {}, h('th', { text: t(label) }), h('td', { text: value, dataset: testid ? { testid } : undefined }));
}

async function statusBlock(box) {
  clear(box);
  try {
    const { status: s } = await get('/api/admin/status');
    const health = s.health.status === 'ok' ? t('console.healthOk')
      : s.health.reasons.map((r) => t('console.reason.' + r)).join(', ');
    const backup = s.last_backup ? `${fmtDateTime(s.last_backup.created_at)} (${s.last_backup.name})` : t('console.none');
    const verified = s.last_verification
      ? `${fmtDateTime(s.last_verification.at)} · ${t(s.last_verification.ok ? 'console.verifyOk' : 'console.verifyBad')}`
      : t('console.none');
    box.append(h('table', { class: 'console-status', dataset: { testid: 'console-status' } },
      row('console.version', s.version), row('console.uptime', t('console.minutes', { n: Math.floor(s.uptime_seconds / 60) })),
      row('console.online', String(s.online_users)), row('console.database', size(s.database_bytes)),
      row('console.uploads', size(s.uploads_bytes)), row('console.freeDisk', size(s.free_disk_bytes)),
      row('console.health', health, 'console-health'), row('console.lastBackup', backup),
      row('console.lastVerification', verified, 'console-last-verification')));
  } catch (err) { box.append(h('p', { class: 'error', text: errorText(err) })); }
}

async function backupsBlock(box, refreshStatus) {
  clear(box);
  const create = h('button', { type: 'button', class: 'primary small', text: t('console.backupNow'), dataset: { testid: 'console-backup' } });
  create.addEventListener('click', async () => {
    create.disabled = true;
    try { await post('/api/admin/backups', {}); toast(t('console.backupDone')); } catch (err) { toast(errorText(err)); }
    create.disabled = false;
    backupsBlock(box, refreshStatus); refreshStatus();
  });
  box.append(h('div', { class: 'row' }, h('h4', { text: t('console.backups') }), create));
  try {
    const { backups } = await get('/api/admin/backups');
    const table = h('table', { class: 'console-backups', dataset: { testid: 'console-backups' } },
      h('tr', {}, ['console.when', 'console.name', 'console.size', 'admin.actions'].map((k) => h('th', { text: t(k) }))));
    for (const b of backups) {
      const verify = h('button', { type: 'button', class: 'link', text: t('console.verify'), dataset: { testid: 'console-verify' } });
      verify.addEventListener('click', async () => {
        verify.disabled = true;
        try {
          const res = await post(`/api/admin/backups/${encodeURIComponent(b.name)}/verify`, {});
          const problem = res.ok ? null : finding(res.problems[0]);
          toast(res.ok ? t('console.verifyOk') : problem ? `${t('console.verifyBad')}: ${problem}` : t('console.verifyBad'));
        } catch (err) { toast(errorText(err)); }
        verify.disabled = false;
        refreshStatus();
      });
      const restore = h('button', { type: 'button', class: 'link danger', text: t('console.restore'), dataset: { testid: 'console-restore' } });
      restore.addEventListener('click', async () => {
        const typed = prompt(t('console.confirmRestore', { name: b.name }));
        if (typed === null) return;
        try {
          await post(`/api/admin/backups/${encodeURIComponent(b.name)}/restore`, { confirm: typed.trim() });
          toast(t('console.restoring'));
        } catch (err) { toast(errorText(err)); }
      });
      table.append(h('tr', { dataset: { backup: b.name } }, h('td', { text: fmtDateTime(b.created_at) }),
        h('td', { text: b.name }), h('td', { text: size(b.size) }),
        h('td', {}, verify, h('a', { class: 'link', href: `/api/admin/backups/${encodeURIComponent(b.name)}/download`, text: t('console.download') }), restore)));
    }
    if (!backups.length) table.append(h('tr', {}, h('td', { colspan: '4', text: t('console.none') })));
    box.append(h('div', { class: 'table-wrap' }, table));
  } catch (err) { box.append(h('p', { class: 'error', text: errorText(err) })); }
}

function input(field) {
  if (field.type === 'bool') return h('input', { type: 'checkbox', name: field.name, checked: !!field.value });
  if (field.choices) {
    return h('select', { name: field.name }, field.choices.map((c) => h('option', { value: c, text: c, selected: String(field.value).toLowerCase() === String(c).toLowerCase() })));
  }
  const numeric = field.type === 'int' || field.type === 'float';
  return h('input', { name: field.name, type: numeric ? 'number' : 'text', value: field.value ?? '',
    min: field.min ?? undefined, max: field.max ?? undefined, step: field.type === 'float' ? 'any' : undefined });
}

async function settingsBlock(box) {
  clear(box);
  box.append(h('h4', { text: t('console.settings') }));
  try {
    const body = await get('/api/admin/settings');
    const form = h('form', { class: 'stack console-settings', dataset: { testid: 'console-settings' } });
    for (const f of body.server) {
      const restart = f.restart ? h('span', { class: 'sub', text: ' · ' + t('console.restartNeeded') }) : null;
      form.append(h('label', {}, h('span', {}, h('strong', { text: f.name }), restart), input(f),
        h('span', { class: 'hint', text: t(f.help) })));
    }
    const pending = h('p', { class: 'hint', dataset: { testid: 'console-restart-needed' },
      text: body.restart_needed.length ? t('console.pendingRestart', { names: body.restart_needed.join(', ') }) : '' });
    form.append(pending, h('button', { type: 'submit', class: 'primary small', text: t('common.save') }));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const changes = {};
      for (const f of body.server) {
        const el = form.elements[f.name];
        let value = f.type === 'bool' ? el.checked : el.value;
        if (f.type === 'int') value = Number.parseInt(value, 10);
        if (f.type === 'float') value = Number.parseFloat(value);
        if (JSON.stringify(value) !== JSON.stringify(f.value)) changes[f.name] = value;
      }
      if (!Object.keys(changes).length) return;
      try { await patch('/api/admin/settings', changes); toast(t('common.saved')); settingsBlock(box); } catch (err) { toast(errorText(err)); }
    });
    box.append(form);
  } catch (err) { box.append(h('p', { class: 'error', text: errorText(err) })); }
}

function logBlock(box) {
  const pre = h('pre', { class: 'console-log', dataset: { testid: 'console-log' } });
  let shown = false;
  const load = async () => {
    if (shown && !pre.isConnected) { clearInterval(logTimer); logTimer = null; return; }  // the dialog moved on
    shown = shown || pre.isConnected;
    try { pre.textContent = (await get('/api/admin/logs' + query({ lines: 200 }))).lines.join('\n'); } catch { /* the next tick tries again */ }
  };
  if (logTimer) clearInterval(logTimer);
  logTimer = setInterval(load, 5000);
  load();
  box.append(h('div', { class: 'row' }, h('h4', { text: t('console.log') }),
    h('a', { class: 'button secondary small', href: '/api/admin/diagnostics', text: t('console.diagnostics') })), pre);
}

export function view() {
  const status = h('div');
  const backups = h('div');
  const settings = h('div');
  const log = h('div');
  const refreshStatus = () => statusBlock(status);
  refreshStatus();
  backupsBlock(backups, refreshStatus);
  settingsBlock(settings);
  logBlock(log);
  return h('div', { class: 'stack console', dataset: { testid: 'console' } }, status, backups, settings, log);
}
