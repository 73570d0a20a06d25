// Server admin page: users (activate/deactivate, admin role, password reset), registration setting,
// and the server audit log with filters and CSV export.
import { $, h, clear, toast, errorText, openDialog, presenceDot, closeButton } from './dom.js';
import { t, fmtDateTime } from './i18n.js';
import { state } from './state.js';
import { get, patch, post, del, query } from './api.js';
import { adminView as directoryView, editFields } from './directory.js';
import { view as consoleView } from './console.js';

let tab = 'users';

function tabs() {
  return h('nav', { class: 'tabs' }, ['users', 'directory', 'audit', 'console'].map((name) => h('button', {
    type: 'button', class: tab === name ? 'active' : '', text: t('admin.' + name), dataset: { testid: 'admin-tab-' + name }, onclick: () => { tab = name; render(); },
  })));
}

async function usersView() {
  const wrap = h('div', { class: 'stack' });
  try {
    const [{ users }, { settings }] = await Promise.all([get('/api/admin/users'), get('/api/admin/settings')]);
    const reg = h('select', {}, ['open', 'closed'].map((v) => h('option', { value: v, text: t('admin.registration.' + v), selected: settings.registration === v })));
    reg.addEventListener('change', () => patch('/api/admin/settings', { registration: reg.value }).then(() => toast(t('common.saved'))).catch((e) => toast(errorText(e))));
    wrap.append(h('label', { class: 'row' }, h('span', { text: t('admin.registration') }), reg));
    const table = h('table', { class: 'admin-users', dataset: { testid: 'admin-users' } },
      h('tr', {}, ['admin.user', 'admin.lastSeen', 'admin.active', 'admin.isAdmin', 'admin.actions'].map((k) => h('th', { text: t(k) }))));
    for (const u of users) {
      const me = u.id === state.me.id;
      const toggle = (field) => {
        const box = h('input', { type: 'checkbox', checked: u[field], disabled: me, 'aria-label': t(field === 'is_active' ? 'admin.active' : 'admin.isAdmin') });
        box.addEventListener('change', async () => {
          try { await patch(`/api/admin/users/${u.id}`, { [field]: box.checked }); u[field] = box.checked; } catch (err) { box.checked = !box.checked; toast(errorText(err)); }
        });
        return box;
      };
      table.append(h('tr', { dataset: { userId: u.id }, class: u.is_active ? '' : 'inactive' },
        h('td', {}, presenceDot(u.presence), h('strong', { text: ' ' + u.display_name }), h('span', { class: 'sub', text: ' @' + u.username }),
          u.department || u.title ? h('div', { class: 'sub', text: [u.department, u.title, u.extension].filter(Boolean).join(' · ') }) : null),
        h('td', { text: u.last_seen ? fmtDateTime(u.last_seen) : '—' }),
        h('td', {}, toggle('is_active')), h('td', {}, toggle('is_admin')),
        h('td', {}, h('button', { type: 'button', class: 'link', text: t('admin.editProfile'), dataset: { testid: 'admin-edit-profile' }, onclick: () => editFields(u, render) }),
          me ? null : h('button', { type: 'button', class: 'link', text: t('admin.resetPassword'), onclick: async () => {
          if (!confirm(t('admin.confirmReset', { name: u.display_name }))) return;
          try { const res = await post(`/api/admin/users/${u.id}/reset-password`); prompt(t('admin.temporaryPassword'), res.temporary_password); } catch (err) { toast(errorText(err)); }
        } }), me ? null : h('button', { type: 'button', class: 'link danger', text: t('admin.deleteUser'), onclick: async () => {
          if (!confirm(t('admin.confirmDelete', { name: u.display_name }))) return;
          try { await del(`/api/admin/users/${u.id}`); render(); } catch (err) { toast(errorText(err)); }
        } }))));
    }
    wrap.append(table);
  } catch (err) { wrap.append(h('p', { class: 'error', text: errorText(err) })); }
  return wrap;
}

function auditView() {
  const action = h('input', { placeholder: t('admin.action'), maxlength: '64' });
  const from = h('input', { type: 'date' });
  const to = h('input', { type: 'date' });
  const table = h('table', { class: 'audit', dataset: { testid: 'admin-audit' } });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true, text: t('search.more') });
  const csv = h('a', { class: 'button secondary small', text: t('admin.csv') });
  let next = null;
  const params = () => ({ action: action.value.trim(), date_from: from.value, date_to: to.value });
  const load = async (append) => {
    if (!append) { clear(table).append(h('tr', {}, ['admin.when', 'admin.actionHeader', 'admin.actor', 'admin.target', 'admin.ip', 'admin.details'].map((k) => h('th', { text: t(k) })))); next = null; }
    csv.href = '/api/admin/audit-logs' + query({ ...params(), format: 'csv' });
    try {
      const body = await get('/api/admin/audit-logs' + query({ ...params(), limit: 100, before_id: append ? next : undefined }));
      for (const e of body.audit_logs) {
        table.append(h('tr', {}, h('td', { text: fmtDateTime(e.created_at) }), h('td', { text: e.action }),
          h('td', { text: (e.actor && (e.actor.display_name || e.actor.username)) || '' }),
          h('td', { text: (e.target_user && (e.target_user.display_name || e.target_user.username)) || (e.room_id ? t('admin.room', { id: e.room_id }) : '') }),
          h('td', { text: e.client_ip || '' }),
          h('td', { class: 'details', text: e.details && Object.keys(e.details).length ? JSON.stringify(e.details) : '' })));
      }
      next = body.next_before_id;
      more.hidden = !body.has_more;
    } catch (err) { toast(errorText(err)); }
  };
  more.addEventListener('click', () => load(true));
  const filters = h('form', { class: 'filters row', onsubmit: (e) => { e.preventDefault(); load(false); } },
    action, h('label', {}, h('span', { text: t('admin.from') }), from), h('label', {}, h('span', { text: t('admin.to') }), to),
    h('button', { type: 'submit', class: 'primary small', text: t('admin.filter') }), csv);
  load(false);
  return h('div', { class: 'stack' }, filters, h('div', { class: 'table-wrap' }, table), more);
}

async function render() {
  const body = clear($('#admin-body'));
  body.append(h('header', { class: 'panel-head' }, h('h3', { text: t('admin.title') }), tabs(),
    closeButton(() => $('#admin-dialog').close(), t('common.close'))));
  body.append(tab === 'users' ? await usersView() : tab === 'directory' ? directoryView() : tab === 'console' ? consoleView() : auditView());
}

export function open(which) { if (which) tab = which; openDialog($('#admin-dialog')); render(); }

export function init() { $('#admin-open').addEventListener('click', () => open()); }  // not the click event as the tab
