// Notices (공지): the newest notice of the open room as a banner under the header (collapsible,
// "다시 열지 않기" per user), 확인 for notices that ask for it, and for the author and room admins the
// list of who confirmed and who has not (live), with a reminder and delete. Posting: the 📢 button in
// the header (free text) or a message's "공지로 등록" action.
import { $, h, clear, avatar, presenceDot, toast, errorText, openDialog, closeButton } from './dom.js';
import { t, fmtDateTime } from './i18n.js';
import { state, on } from './state.js';
import { get, post, del } from './api.js';

const notices = new Map(); // room_id -> [notice], newest first
const collapsed = new Set(); // notice ids collapsed in this tab
let sheetNoticeId = null;

function room() { return state.rooms.get(state.currentRoomId); }

function isServerAdmin() { return Boolean(state.me && state.me.is_admin); }

// Room admins manage notices (the announcement room: server admins); the room setting lets members post.
function mayManage(r, n) {
  if (!r) return false;
  if (n && state.me && n.author && n.author.id === state.me.id) return true;
  return r.kind === 'announcement' ? isServerAdmin() : r.my_role === 'admin';
}

export function mayPost(r = room()) {
  if (!r) return false;
  if (r.kind === 'announcement') return isServerAdmin();
  const det = state.details.get(r.id);
  return r.my_role === 'admin' || Boolean((det && det.members_post_notices) || r.members_post_notices);
}

function current() {
  const list = notices.get(state.currentRoomId) || [];
  return list.find((n) => !n.hidden_by_me) || null;
}

export function render() {
  const el = $('#notice-banner');
  const n = state.currentRoomId ? current() : null;
  $('#notice-new').hidden = !mayPost();
  if (!n) { el.hidden = true; clear(el); return; }
  const r = room();
  const folded = collapsed.has(n.id);
  const ackBtn = n.require_ack ? (n.acked_by_me
    ? h('span', { class: 'notice-acked', dataset: { testid: 'notice-acked' }, text: t('notices.acked') })
    : (n.author && state.me && n.author.id === state.me.id ? null
      : h('button', { type: 'button', class: 'primary small', dataset: { testid: 'notice-ack' }, text: t('notices.ack'), onclick: () => ack(n) }))) : null;
  const status = n.require_ack && mayManage(r, n)
    ? h('button', { type: 'button', class: 'link', dataset: { testid: 'notice-status' }, text: t('notices.status', { acked: n.ack_count, total: n.audience_count }), onclick: () => showPending(n) })
    : null;
  clear(el).append(
    h('span', { class: 'notice-icon', 'aria-hidden': 'true', text: '📢' }),
    h('div', { class: 'notice-body' + (folded ? ' folded' : '') },
      h('p', { class: 'notice-text', dataset: { testid: 'notice-text' }, text: n.content }),
      folded ? null : h('p', { class: 'sub', text: [n.author ? n.author.display_name : '', fmtDateTime(n.created_at)].filter(Boolean).join(' · ') }),
      folded ? null : h('div', { class: 'notice-actions' }, ackBtn, status,
        h('button', { type: 'button', class: 'link', dataset: { testid: 'notice-hide' }, text: t('notices.hide'), onclick: () => hide(n) }))),
    h('button', { type: 'button', class: 'icon small', dataset: { testid: 'notice-collapse' }, 'aria-expanded': String(!folded),
      title: t(folded ? 'notices.expand' : 'notices.collapse'), 'aria-label': t(folded ? 'notices.expand' : 'notices.collapse'),
      text: folded ? '▾' : '▴', onclick: () => { if (folded) collapsed.delete(n.id); else collapsed.add(n.id); render(); } }));
  el.hidden = false;
}

function upsert(n, { mine = false } = {}) {
  const list = notices.get(n.room_id);
  if (!list) return;
  const i = list.findIndex((x) => x.id === n.id);
  if (i === -1) list.unshift(mine ? n : { acked_by_me: false, hidden_by_me: false, ...n });
  else list[i] = mine ? n : { ...n, acked_by_me: list[i].acked_by_me, hidden_by_me: list[i].hidden_by_me };
  list.sort((a, b) => b.id - a.id);
}

export async function load(roomId) {
  try {
    const body = await get(`/api/rooms/${roomId}/notices`);
    notices.set(roomId, body.notices);
  } catch { notices.set(roomId, []); }
  if (roomId === state.currentRoomId) render();
}

async function ack(n) {
  try { upsert((await post(`/api/notices/${n.id}/ack`)).notice, { mine: true }); render(); } catch (err) { toast(errorText(err)); }
}

async function hide(n) {
  try { upsert((await post(`/api/notices/${n.id}/hide`)).notice, { mine: true }); render(); } catch (err) { toast(errorText(err)); }
}

function people(users, testid) {
  if (!users.length) return h('p', { class: 'sub', text: t('reads.none') });
  return h('ul', { class: 'member-list', dataset: { testid } }, users.map((u) => h('li', { class: 'member', dataset: { userId: u.id } },
    h('span', { class: 'avatar-wrap' }, avatar(u), presenceDot(state.presence.get(u.id) || u.presence)),
    h('span', { class: 'member-name ellipsis' }, h('strong', { text: u.display_name }), h('span', { class: 'sub', text: ' @' + u.username })))));
}

async function showPending(n) {
  const dlg = $('#notice-dialog');
  let body;
  try { body = await get(`/api/notices/${n.id}/acks`); } catch (err) { toast(errorText(err)); return; }
  sheetNoticeId = n.id;
  clear(dlg).append(
    h('header', { class: 'panel-head' }, h('h3', { text: t('notices.statusTitle') }), closeButton(() => dlg.close(), t('common.close'))),
    h('p', { class: 'notice-text', text: n.content }),
    h('section', { class: 'detail-section' }, h('h4', { text: t('notices.pending', { n: body.pending.length }) }), people(body.pending, 'notice-pending')),
    h('section', { class: 'detail-section' }, h('h4', { text: t('notices.ackedList', { n: body.acked.length }) }), people(body.acked, 'notice-acked-list')),
    h('div', { class: 'row end' },
      h('button', { type: 'button', class: 'danger small', text: t('common.delete'), onclick: async () => {
        if (!confirm(t('notices.confirmDelete'))) return;
        try { await del(`/api/notices/${n.id}`); dlg.close(); } catch (err) { toast(errorText(err)); }
      } }),
      body.pending.length ? h('button', { type: 'button', class: 'secondary small', dataset: { testid: 'notice-remind' }, text: t('notices.remind'), onclick: async () => {
        try { const r = await post(`/api/notices/${n.id}/remind`); toast(t('notices.reminded', { n: r.reminded })); } catch (err) { toast(errorText(err)); }
      } }) : null));
  openDialog(dlg);
  dlg.addEventListener('close', () => { sheetNoticeId = null; }, { once: true });
}

// The compose dialog: free text, or a message promoted (its text shown, read-only).
export function compose(message = null) {
  const dlg = $('#notice-dialog');
  const text = h('textarea', { rows: '4', maxlength: '2000', 'aria-label': t('notices.new'), dataset: { testid: 'notice-input' } });
  if (message) { text.value = message.content || ''; text.readOnly = true; }
  const needAck = h('input', { type: 'checkbox', dataset: { testid: 'notice-require-ack' } });
  const roomId = state.currentRoomId;
  clear(dlg).append(
    h('header', { class: 'panel-head' }, h('h3', { text: t('notices.new') }), closeButton(() => dlg.close(), t('common.close'))),
    h('div', { class: 'stack' }, text,
      h('label', { class: 'check' }, needAck, h('span', { text: t('notices.requireAck') })),
      h('div', { class: 'row end' }, h('button', { type: 'button', class: 'primary', dataset: { testid: 'notice-submit' }, text: t('notices.post'), onclick: async (e) => {
        const btn = e.currentTarget;
        if (btn.disabled) return;
        btn.disabled = true; // one notice per press, however fast the second Enter comes
        const body = message ? { message_id: message.id, require_ack: needAck.checked } : { content: text.value, require_ack: needAck.checked };
        try { upsert((await post(`/api/rooms/${roomId}/notices`, body)).notice, { mine: true }); collapsed.clear(); dlg.close(); render(); } catch (err) { toast(errorText(err)); btn.disabled = false; }
      } }))));
  openDialog(dlg);
  if (!message) text.focus();
}

export function init() {
  $('#notice-new').addEventListener('click', () => compose());
  on('room-opened', (roomId) => { render(); load(roomId); });
  on('rooms', render);
  on('sio:notice_created', ({ notice }) => { if (notice) { upsert(notice); if (notice.room_id === state.currentRoomId) render(); } });
  on('sio:notice_updated', ({ notice }) => {
    if (!notice) return;
    upsert(notice);
    if (notice.room_id === state.currentRoomId) render();
    if (sheetNoticeId === notice.id && $('#notice-dialog').open) showPending(notice);
  });
  on('sio:notice_deleted', ({ notice_id: id, room_id: roomId }) => {
    const list = notices.get(roomId);
    if (list) notices.set(roomId, list.filter((n) => n.id !== id));
    if (roomId === state.currentRoomId) render();
  });
  on('sio:notice_reminder', ({ notice }) => {
    if (!notice) return;
    upsert(notice);
    toast(t('notices.reminder', { text: notice.content.slice(0, 60) }), 8000);
    if (notice.room_id === state.currentRoomId) render();
  });
  on('notice-compose', (m) => compose(m));
}
