// Threads: the thread panel (root, replies, reply box with "채널에도 보내기"), live reply counts on roots,
// the threads view (threads I started or replied to, unread first-class); notify.js alerts for new replies.
// The panel is a side panel docked at the right of the chat (the room stays usable beside it); on a
// phone it is a full-screen sheet. Esc or its close button closes it and focus goes back where it was.
import { $, h, clear, avatar, toast, errorText, openDialog, closeButton, randomId } from './dom.js';
import { t, fmtTime } from './i18n.js';
import { state, on, emit } from './state.js';
import { get, post } from './api.js';
import { call } from './socket.js';
import * as messages from './messages.js';
import { formatText } from './format.js';
import { roomName } from './rooms.js';

const panel = { roomId: null, rootId: null, ids: new Set(), returnTo: null };

export function isOpen(rootId = null) {
  return !$('#thread-panel').hidden && (rootId === null || rootId === panel.rootId);
}

export function closeThread() {
  const el = $('#thread-panel');
  if (el.hidden) return;
  el.hidden = true;
  delete el.dataset.rootId;
  document.body.classList.remove('threading');
  panel.rootId = null; panel.roomId = null;
  const back = returnTarget(panel.returnTo);
  panel.returnTo = null;
  if (back) back.focus();
  else if (!$('#composer').hidden) $('#composer-input').focus();
}

// Where focus was when the panel opened. A message's node is redrawn on every change (a new reply count,
// reactions), so a control inside one is found again by its message and its data-act / data-testid.
function remember(el) {
  if (!el || el === document.body || $('#thread-panel').contains(el)) return null;
  const msg = el.closest('.msg[data-key]');
  return { el, key: msg ? msg.dataset.key : null, act: el.dataset.act || null, testid: el.dataset.testid || null };
}

function returnTarget(r) {
  if (!r) return null;
  let el = r.el;
  if (!el.isConnected && r.key) {
    const msg = document.querySelector(`#message-items .msg[data-key="${CSS.escape(r.key)}"]`);
    const sel = (r.act ? `[data-act="${CSS.escape(r.act)}"]` : '') + (r.testid ? `[data-testid="${CSS.escape(r.testid)}"]` : '');
    el = msg && sel ? msg.querySelector(sel) : null;
  }
  return el && el.isConnected && !el.closest('[hidden]') ? el : null;
}

// The reply the panel scrolls to and highlights (a search hit, a notification).
function highlight(id) {
  const node = $('#thread-panel').querySelector(`[data-testid="thread-message"][data-message-id="${id}"]`);
  if (!node) return;
  node.classList.add('highlight'); // stays while the panel shows this thread
  node.dataset.focused = 'true';
  node.scrollIntoView({ block: 'center' });
}

function replyNode(m) {
  return h('li', { class: 'thread-msg', dataset: { testid: 'thread-message', messageId: m.id } },
    avatar(m.sender),
    h('div', { class: 'thread-main' },
      h('div', { class: 'thread-head' }, h('strong', { text: m.sender ? m.sender.display_name : '' }),
        h('time', { class: 'sub', text: ' ' + fmtTime(m.created_at) }),
        m.also_to_channel ? h('span', { class: 'sub', text: ' · ' + t('threads.alsoChannel') }) : null),
      m.deleted ? h('span', { class: 'deleted-text', text: t('messages.deleted') })
        : h('div', { class: 'text' }, m.file ? document.createTextNode('📎 ' + (m.file.name || '')) : formatText(m.content || ''))));
}

function addReply(m) {
  if (panel.ids.has(m.id)) return;
  panel.ids.add(m.id);
  const list = $('#thread-replies');
  const empty = list.querySelector('.empty');
  if (empty) empty.remove();
  list.append(replyNode(m));
  list.scrollTop = list.scrollHeight;
}

async function sendReply(box, channel) {
  const content = box.value.trim();
  if (!content) return;
  const payload = { room_id: panel.roomId, content, thread_root_id: panel.rootId, also_to_channel: channel.checked, client_msg_id: randomId() };
  box.value = '';
  try {
    const ack = await call('send_message', payload).catch(async (err) => {
      if (err && err.code && err.code !== 'offline' && err.code !== 'timeout') throw err;
      return post(`/api/rooms/${panel.roomId}/messages`, payload);
    });
    addReply(ack.message);
    messages.received(panel.roomId, [ack.message]);
  } catch (err) { box.value = content; toast(errorText(err)); }
}

// Opens the thread of message m (a root or a reply); focusId: a reply to scroll to and highlight.
export async function openThread(m, { focusId = null } = {}) {
  const rootId = m.thread_root_id || m.id;
  // Where focus is now, taken before the request: while it is under way a live update may redraw the
  // message the opener sits in. Opened again from outside the panel (the reply count of another message),
  // Esc goes back to that newer place.
  const from = remember(document.activeElement);
  let page;
  try { page = await get(`/api/messages/${rootId}/thread`); } catch (err) { toast(errorText(err)); return; }
  const el = $('#thread-panel');
  if (el.hidden || from) panel.returnTo = from;
  Object.assign(panel, { roomId: page.root.room_id, rootId: page.root.id, ids: new Set() });
  const body = clear($('#thread-body'));
  const box = h('textarea', { rows: '2', placeholder: t('threads.placeholder'), dataset: { testid: 'thread-input' } });
  const channel = h('input', { type: 'checkbox', dataset: { testid: 'thread-also-channel' } });
  box.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendReply(box, channel); } });
  const room = state.rooms.get(panel.roomId);
  body.append(h('header', { class: 'panel-head' }, h('h3', { id: 'thread-title', text: t('threads.panel') }),
    room ? h('span', { class: 'sub ellipsis', text: roomName(room) }) : null, closeButton(closeThread, t('common.close'))),
  h('ul', { class: 'thread-root' }, replyNode(page.root)),
  h('ul', { id: 'thread-replies', class: 'thread-replies' }),
  h('div', { class: 'thread-compose' }, box, h('div', { class: 'row' },
    h('label', { class: 'check' }, channel, h('span', { text: t('threads.alsoChannel') })),
    h('button', { type: 'button', class: 'primary small', text: t('threads.send'), dataset: { testid: 'thread-send' }, onclick: () => sendReply(box, channel) }))));
  if (!page.replies.length) $('#thread-replies').append(h('li', { class: 'empty', text: t('threads.noReplies') }));
  for (const r of page.replies) addReply(r);
  el.hidden = false;
  el.dataset.rootId = String(panel.rootId);
  document.body.classList.add('threading');
  if (focusId && focusId !== page.root.id) highlight(focusId);
  else box.focus();
  post(`/api/messages/${panel.rootId}/thread/read`).then(refreshBadge).catch(() => {});
}

async function refreshBadge() {
  try {
    const { threads } = await get('/api/threads');
    const unread = threads.filter((x) => x.unread);
    const n = unread.length;
    const badge = $('#threads-badge');
    badge.hidden = !n; badge.textContent = String(n);
    state.unreadThreads = new Map(unread.map((x) => [x.root.id, x.room_id]));
    emit('unread');
    return threads;
  } catch { return []; }
}

async function openThreadsView() {
  const dlg = $('#threads-dialog');
  const body = clear($('#threads-body'));
  body.append(h('header', { class: 'panel-head' }, h('h3', { text: t('threads.title') }), closeButton(() => dlg.close(), t('common.close'))));
  const list = h('ul', { class: 'threads-list' });
  body.append(list);
  openDialog(dlg);
  const threads = await refreshBadge();
  if (!threads.length) list.append(h('li', { class: 'empty', text: t('threads.none') }));
  for (const th of threads) {
    const room = state.rooms.get(th.room_id);
    // A list item holding the button (role=button on the <li> itself would break the list).
    list.append(h('li', {}, h('div', { class: 'thread-item' + (th.unread ? ' unread' : ''), dataset: { testid: 'thread-item', unread: String(th.unread) }, tabindex: '0', role: 'button',
      onclick: () => { dlg.close(); emit('open-room', { roomId: th.room_id }); openThread(th.root); } },
    h('div', { class: 'sub', text: [room ? roomName(room) : '', th.unread ? t('threads.unread') : ''].filter(Boolean).join(' · ') }),
    h('div', { class: 'ellipsis', text: (th.root.sender ? th.root.sender.display_name + ': ' : '') + (th.root.content || (th.root.file && th.root.file.name) || '') }),
    h('div', { class: 'sub', text: t('threads.count', { n: th.root.thread_reply_count || 0 }) }))));
  }
}

export function init() {
  on('open-thread', (m) => openThread(m));
  on('close-thread', closeThread);
  $('#threads-open').addEventListener('click', openThreadsView);
  on('sio:thread_updated', (s) => {
    messages.update(s.room_id, { id: s.root_id, thread_reply_count: s.thread_reply_count, thread_last_repliers: s.thread_last_repliers, thread_last_reply_id: s.thread_last_reply_id });
  });
  on('sio:new_message', ({ message: m }) => {
    if (m && m.thread_root_id && isOpen(m.thread_root_id)) {
      addReply(m);
      post(`/api/messages/${panel.rootId}/thread/read`).then(refreshBadge).catch(() => {});
    }
  });
  on('sio:thread_reply', () => refreshBadge()); // notify.js alerts (toast, sound, OS notification)
  on('open-thread-at', ({ rootId, focusId }) => openThread({ id: rootId }, { focusId }));
  on('connection', ({ connected }) => { if (connected) refreshBadge(); });
  // "Mark everything read" covers the threads I take part in as well.
  on('read-all', async () => {
    const roots = [...state.unreadThreads.keys()];
    await Promise.all(roots.map((id) => post(`/api/messages/${id}/thread/read`).catch(() => {})));
    refreshBadge();
  });
  // Another room in front: the panel belongs to the room it was opened from.
  on('open-room', ({ roomId }) => { if (roomId !== panel.roomId) closeThread(); });
  on('room-removed', (roomId) => { if (roomId === panel.roomId) closeThread(); });
  $('#thread-panel').addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !e.isComposing) { e.preventDefault(); e.stopPropagation(); closeThread(); }
  });
  emit('threads-ready');
}
