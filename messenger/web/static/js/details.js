// Room details (members, roles, invite, kick, leave, files, mute, rename, admin audit log) and the pins panel.
import { $, h, clear, avatar, presenceDot, toast, errorText, openDialog, debounce, icon, closeButton, withProfile } from './dom.js';
import { shownPresence } from './profile.js';
import { t, fmtDateTime, fmtSize } from './i18n.js';
import { state, prefs, on, emit, isMuted, setMuted } from './state.js';
import { get, post, patch, del, query } from './api.js';
import { roomName, upsert } from './rooms.js';
import { formatText } from './format.js';
import { systemText } from './sysmsg.js';

export async function loadDetails(roomId) {
  const body = await get(`/api/rooms/${roomId}`);
  state.details.set(roomId, body.room);
  upsert({ ...body.room, members: undefined, members_count: body.room.members.length });
  for (const mb of body.room.members) if (mb.user.presence) state.presence.set(mb.user.id, mb.user.presence);
  return body.room;
}

function myRole(room) {
  const me = room.members.find((m) => m.user.id === state.me.id);
  return me ? me.role : null;
}

function section(title, ...children) { return h('section', { class: 'detail-section' }, h('h4', { text: title }), ...children); }

async function run(fn, after) {
  try { await fn(); if (after) await after(); } catch (err) { toast(errorText(err)); }
}

function membersSection(room, admin) {
  const list = h('ul', { class: 'member-list' });
  for (const mb of room.members) {
    const u = mb.user; const me = u.id === state.me.id;
    list.append(h('li', { class: 'member', dataset: { userId: u.id } },
      h('span', { class: 'avatar-wrap' }, withProfile(avatar(u), u), presenceDot(shownPresence(u), u.id)),
      h('span', { class: 'member-name ellipsis' }, withProfile(h('strong', { text: u.display_name }), u), h('span', { class: 'sub', text: ' @' + u.username }),
        u.title || u.department ? h('span', { class: 'sub', text: ' · ' + [u.department, u.title].filter(Boolean).join(' ') }) : null,
        h('span', { class: 'sub member-status ellipsis', dataset: { testid: 'member-status', userId: u.id }, text: u.status_message || '', hidden: !u.status_message })),
      mb.role === 'admin' ? h('span', { class: 'role', text: t('room.admin') }) : null,
      admin && !me && room.type === 'group' ? h('span', { class: 'member-actions' },
        h('button', { type: 'button', class: 'link', text: mb.role === 'admin' ? t('room.makeMember') : t('room.makeAdmin'),
          onclick: () => run(() => patch(`/api/rooms/${room.id}/members/${u.id}`, { role: mb.role === 'admin' ? 'member' : 'admin' }), () => show(room.id)) }),
        h('button', { type: 'button', class: 'link danger', text: t('room.kick'),
          onclick: () => confirm(t('room.confirmKick', { name: u.display_name })) && run(() => del(`/api/rooms/${room.id}/members/${u.id}`), () => show(room.id)) })) : null));
  }
  return section(t('room.members', { n: room.members.length }), list);
}

function inviteSection(room) {
  const input = h('input', { type: 'search', placeholder: t('rooms.findPeople'), 'aria-label': t('rooms.findPeople'), autocomplete: 'off' });
  const results = h('ul', { class: 'pick-list', role: 'listbox', 'aria-label': t('rooms.findPeople') });
  const members = new Set(room.members.map((m) => m.user.id));
  input.addEventListener('input', debounce(async () => {
    clear(results);
    const q = input.value.trim();
    if (!q) return;
    const body = await get('/api/users' + query({ q }));
    for (const u of body.users.filter((x) => !members.has(x.id))) {
      results.append(h('li', { class: 'pick', role: 'option', tabindex: '0', onclick: () => run(() => post(`/api/rooms/${room.id}/members`, { user_ids: [u.id] }), () => show(room.id)) },
        avatar(u), h('span', { text: u.display_name + ' @' + u.username }), h('span', { class: 'sub' }, icon('plus'))));
    }
  }, 200));
  return section(t('room.invite'), input, results);
}

async function filesSection(room) {
  const list = h('ul', { class: 'file-list' });
  const sec = section(t('room.files'), list);
  try {
    const body = await get(`/api/rooms/${room.id}/files`);
    if (!body.files.length) list.append(h('li', { class: 'sub', text: t('room.noFiles') }));
    for (const f of body.files) {
      list.append(h('li', {}, h('a', { href: f.url, target: '_blank', rel: 'noopener', text: f.name }),
        h('span', { class: 'sub', text: ` · ${fmtSize(f.size)} · ${(f.uploader && f.uploader.display_name) || ''} · ${f.created_at ? fmtDateTime(f.created_at) : ''}` })));
    }
  } catch (err) { list.append(h('li', { class: 'error', text: errorText(err) })); }
  return sec;
}

async function auditSection(room) {
  const table = h('table', { class: 'audit' });
  const sec = section(t('room.audit'), h('a', { class: 'button secondary small', href: `/api/rooms/${room.id}/admin-audit-logs?format=csv`, text: t('admin.csv') }), table);
  try {
    const body = await get(`/api/rooms/${room.id}/admin-audit-logs?format=json&limit=100`);
    table.append(h('tr', {}, ['admin.when', 'admin.actionHeader', 'admin.actor', 'admin.target'].map((k) => h('th', { text: t(k) }))));
    for (const e of body.logs) {
      table.append(h('tr', {}, h('td', { text: fmtDateTime(e.created_at) }), h('td', { text: t('audit.' + e.action) === 'audit.' + e.action ? e.action : t('audit.' + e.action) }),
        h('td', { text: (e.actor && e.actor.display_name) || '' }),
        h('td', { text: (e.target_user && e.target_user.display_name) || (e.target_id ? '#' + e.target_id : '') })));
    }
  } catch (err) { table.append(h('tr', {}, h('td', { class: 'error', text: errorText(err) }))); }
  return sec;
}

export async function show(roomId) {
  const dlg = $('#details-dialog');
  const body = clear($('#details-body'));
  let room;
  try { room = await loadDetails(roomId); } catch (err) { toast(errorText(err)); return; }
  const admin = myRole(room) === 'admin';
  const name = h('input', { value: room.name || '', maxlength: '100', disabled: !admin || room.type !== 'group' });
  const topic = h('input', { value: room.topic || '', maxlength: '500', disabled: !admin, placeholder: t('room.topic') });
  const muted = h('input', { type: 'checkbox', checked: isMuted(roomId) });
  muted.addEventListener('change', () => toggleMute(roomId, muted.checked));
  const pinned = h('input', { type: 'checkbox', checked: Boolean((state.rooms.get(roomId) || {}).pinned) });
  pinned.addEventListener('change', () => run(async () => {
    const res = await patch(`/api/rooms/${roomId}/settings`, { pinned: pinned.checked });
    const r = state.rooms.get(roomId);
    if (r && res.settings) { r.pinned = res.settings.pinned; emit('rooms'); }
  }));
  body.append(h('header', { class: 'panel-head' }, h('h3', { text: roomName(room) }),
    closeButton(() => dlg.close(), t('common.close'))));
  const save = admin ? h('button', { type: 'button', class: 'secondary small', text: t('common.save'),
    onclick: () => run(() => patch(`/api/rooms/${roomId}`, room.type === 'group' ? { name: name.value.trim(), topic: topic.value } : { topic: topic.value }), () => show(roomId)) }) : null;
  body.append(section(t('room.about'), h('div', { class: 'stack' },
    h('label', {}, h('span', { text: t('rooms.name') }), name), h('label', {}, h('span', { text: t('room.topic') }), topic), save,
    h('label', { class: 'check' }, muted, h('span', { text: t('rooms.mute') })),
    h('label', { class: 'check' }, pinned, h('span', { text: t('rooms.pinTop') })))));
  body.append(membersSection(room, admin));
  if (room.type === 'group') body.append(inviteSection(room));
  openDialog(dlg);
  body.append(await filesSection(room));
  if (admin) body.append(await auditSection(room));
  if (room.type === 'group') {
    body.append(h('div', { class: 'row end' }, h('button', { type: 'button', class: 'danger', text: t('room.leave'),
      onclick: () => confirm(t('room.confirmLeave')) && run(() => del(`/api/rooms/${roomId}/members/${state.me.id}`), () => { dlg.close(); emit('room-removed', roomId); }) })));
  }
}

export async function toggleMute(roomId, muted) {
  await setNotify(roomId, muted ? 'none' : 'all');
}

// The caller's notification level for a room: all | mentions | none (PATCH .../settings {notify}).
export async function setNotify(roomId, level) {
  if (prefs.muted.includes(roomId)) setMuted(roomId, false); // the server's level replaces this browser's mute
  const room = state.rooms.get(roomId);
  if (room) { room.notify = level; room.muted = level === 'none'; }
  emit('rooms');
  try {
    const res = await patch(`/api/rooms/${roomId}/settings`, { notify: level });
    if (room && res.settings) { room.notify = res.settings.notify; room.muted = res.settings.muted; }
  } catch (err) { toast(errorText(err)); }
  emit('rooms');
}

// ---- pins panel -----------------------------------------------------------------------------------
export function renderPins(roomId) {
  const panel = $('#pins-panel');
  if (roomId !== state.currentRoomId) return;
  const pins = state.pins.get(roomId) || [];
  clear(panel);
  if (!pins.length) { panel.append(h('p', { class: 'sub', text: t('pins.none') })); return; }
  for (const p of pins) {
    const m = p.message;
    panel.append(h('div', { class: 'pin', dataset: { testid: 'pin', messageId: m.id } },
      h('button', { type: 'button', class: 'pin-main', onclick: () => emit('open-room', { roomId, focusId: m.id }) },
        h('span', { class: 'pin-icon' }, icon('pin')), h('strong', { text: (m.sender && m.sender.display_name) || '' }),
        h('span', { class: 'ellipsis' }, m.file ? document.createTextNode('📎 ' + m.file.name)
          : m.type === 'system' ? document.createTextNode(systemText(m)) : formatText((m.content || '').slice(0, 200)))),
      closeButton(() => run(() => del(`/api/rooms/${roomId}/pins/${m.id}`)), t('pins.unpin'))));
  }
}

export async function loadPins(roomId) {
  try {
    const body = await get(`/api/rooms/${roomId}/pins`);
    state.pins.set(roomId, body.pins);
    renderPins(roomId);
  } catch { /* shown empty */ }
}

export function init() {
  $('#details-open').addEventListener('click', () => state.currentRoomId && show(state.currentRoomId));
  $('#pins-toggle').addEventListener('click', () => {
    const panel = $('#pins-panel');
    panel.hidden = !panel.hidden;
    if (!panel.hidden) loadPins(state.currentRoomId);
  });
  $('#notify-level').addEventListener('change', (e) => state.currentRoomId && setNotify(state.currentRoomId, e.target.value));
  on('sio:pin_updated', ({ room_id: roomId, pins }) => { state.pins.set(roomId, pins || []); renderPins(roomId); });
}
