// The org directory (browse by department; search by name, 초성 or department) and, for server
// admins, the directory CSV import/export and each account's department, title and extension.
import { $, h, clear, avatar, presenceDot, toast, errorText, openDialog, closeButton, debounce, withProfile } from './dom.js';
import { t } from './i18n.js';
import { get, patch, query, upload } from './api.js';
import { shownPresence } from './profile.js';

let department = null; // null: everyone

function person(u) {
  const role = [u.department, u.title].filter(Boolean).join(' · ');
  // A list item holding the button (role=button on the <li> itself would break the list).
  return h('li', {}, withProfile(h('div', { class: 'person', dataset: { testid: 'directory-person', userId: u.id } },
    h('span', { class: 'avatar-wrap' }, avatar(u), presenceDot(shownPresence(u), u.id)),
    h('span', { class: 'person-main' }, h('strong', { class: 'ellipsis', text: u.display_name }),
      h('span', { class: 'sub ellipsis', text: role || '@' + u.username })),
    u.extension ? h('span', { class: 'sub', text: u.extension }) : null), u));
}

async function load() {
  const q = $('#directory-q').value.trim();
  const body = await get('/api/directory' + query({ q, department: department === null ? undefined : department }));
  const deps = clear($('#directory-departments'));
  const total = body.departments.reduce((n, d) => n + d.count, 0);
  const dep = (name, label, count) => h('li', {}, h('button', {
    type: 'button', class: 'dep' + (department === name ? ' active' : ''), dataset: { testid: 'directory-department' },
    onclick: () => { department = name; load().catch((err) => toast(errorText(err))); },
  }, h('span', { class: 'ellipsis', text: label }), h('span', { class: 'sub', text: String(count) })));
  deps.append(dep(null, t('directory.everyone'), total));
  for (const d of body.departments) deps.append(dep(d.name, d.name || t('directory.noDepartment'), d.count));
  const list = clear($('#directory-people'));
  if (!body.users.length) list.append(h('li', { class: 'empty', text: t('directory.none') }));
  for (const u of body.users) list.append(person(u));
}

export function open() {
  const dlg = $('#directory-dialog');
  const body = clear($('#directory-body'));
  department = null;
  const q = h('input', { id: 'directory-q', type: 'search', placeholder: t('directory.search'), autocomplete: 'off', maxlength: '100' });
  q.addEventListener('input', debounce(() => load().catch((err) => toast(errorText(err))), 200));
  body.append(h('header', { class: 'panel-head' }, h('h3', { text: t('directory.title') }), closeButton(() => dlg.close(), t('common.close'))),
    q, h('div', { class: 'directory-cols' }, h('ul', { id: 'directory-departments', class: 'dep-list' }),
      h('ul', { id: 'directory-people', class: 'people-list' })));
  openDialog(dlg);
  q.focus();
  load().catch((err) => toast(errorText(err)));
}

// ---- server admin --------------------------------------------------------------------------------
function errorRow(e) {
  const what = t('directory.err.' + e.code, e.params || {});
  return h('tr', {}, h('td', { text: String(e.row) }), h('td', { text: e.column || '' }), h('td', { text: what }));
}

export function adminView() {
  const result = h('div', { class: 'stack', dataset: { testid: 'directory-import-result' } });
  const input = h('input', { type: 'file', accept: '.csv,text/csv', dataset: { testid: 'directory-import-file' } });
  input.addEventListener('change', async () => {
    const file = input.files[0];
    if (!file) return;
    clear(result);
    try {
      const res = await upload('/api/admin/directory/import', { file });
      result.append(h('p', { text: t('directory.imported', { created: res.created.length, updated: res.updated.length, unchanged: res.unchanged }) }));
      if (res.created.length) {
        result.append(h('p', { class: 'notice', text: t('directory.passwordsOnce') }),
          h('div', { class: 'table-wrap' }, h('table', {}, h('tr', {}, h('th', { text: t('auth.username') }), h('th', { text: t('auth.displayName') }), h('th', { text: t('admin.temporaryPassword') })),
            res.created.map((c) => h('tr', {}, h('td', { text: c.username }), h('td', { text: c.display_name }), h('td', {}, h('code', { text: c.temporary_password })))))));
      }
    } catch (err) {
      result.append(h('p', { class: 'error', text: err.code === 'invalid_rows' ? t('directory.rejected') : errorText(err) }));
      if (err.body && err.body.errors) {
        result.append(h('div', { class: 'table-wrap' }, h('table', { dataset: { testid: 'directory-import-errors' } },
          h('tr', {}, h('th', { text: t('directory.row') }), h('th', { text: t('directory.column') }), h('th', { text: t('directory.problem') })),
          err.body.errors.map(errorRow))));
      }
    }
    input.value = '';
  });
  return h('div', { class: 'stack' },
    h('p', { class: 'hint', text: t('directory.help') }),
    h('div', { class: 'row' }, h('a', { class: 'button secondary small', href: '/api/admin/directory/export', text: t('directory.export') }),
      h('label', { class: 'button secondary small' }, t('directory.import'), input)),
    result);
}

export function editFields(u, done) {
  const dlg = $('#profile-dialog');
  const body = clear($('#profile-body'));
  const field = (name, max) => h('label', {}, h('span', { text: t('profile.' + name) }),
    h('input', { name, value: u[name] || '', maxlength: String(max), dataset: { testid: 'admin-field-' + name } }));
  const form = h('form', { class: 'stack', onsubmit: async (e) => {
    e.preventDefault();
    const f = form.elements;
    try {
      await patch(`/api/admin/users/${u.id}`, { department: f.department.value.trim(), title: f.title.value.trim(),
        extension: f.extension.value.trim(), email: f.email.value.trim() });
      dlg.close(); toast(t('common.saved')); if (done) done();
    } catch (err) { toast(errorText(err)); }
  } }, field('department', 100), field('title', 100), field('extension', 32), field('email', 255),
  h('div', { class: 'row end' }, h('button', { type: 'submit', class: 'primary', text: t('common.save') })));
  body.append(h('header', { class: 'panel-head' }, h('h3', { text: u.display_name }), closeButton(() => dlg.close(), t('common.close'))), form);
  openDialog(dlg);
}

export function init() {
  $('#directory-open').addEventListener('click', open);
}
