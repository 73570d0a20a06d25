// Threads: the thread panel (root, replies, reply box with "채널에도 보내기"), live reply counts on roots,
// the threads view (threads I started or replied to, unread first-class) and a toast for new replies.
import { $, h, clear, avatar, toast, errorText, openDialog, closeButton, randomId } from './dom.js';
import { t, fmtTime } from './i18n.js';
import { state, on, emit } from './state.js';
import { get, post } from './api.js';
import { call } from './socket.js';
import * as messages from './messages.js';
import { formatText } from './format.js';
import { roomName } from './rooms.js';

const panel = { roomId: null, rootId: null, ids: new Set() };

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

export async function openThread(m) {
  const rootId = m.thread_root_id || m.id;
  let page;
  try { page = await get(`/api/messages/${rootId}/thread`); } catch (err) { toast(errorText(err)); return; }
  Object.assign(panel, { roomId: page.root.room_id, rootId: page.root.id, ids: new Set() });
  const dlg = $('#thread-panel');
  const body = clear($('#thread-body'));
  const box = h('textarea', { rows: '2', placeholder: t('threads.placeholder'), dataset: { testid: 'thread-input' } });
  const channel = h('input', { type: 'checkbox', dataset: { testid: 'thread-also-channel' } });
  box.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendReply(box, channel); } });
  const room = state.rooms.get(panel.roomId);
  body.append(h('header', { class: 'panel-head' }, h('h3', { text: t('threads.panel') }),
    room ? h('span', { class: 'sub ellipsis', text: roomName(room) }) : null, closeButton(() => dlg.close(), t('common.close'))),
  h('ul', { class: 'thread-root' }, replyNode(page.root)),
  h('ul', { id: 'thread-replies', class: 'thread-replies' }),
  h('div', { class: 'thread-compose' }, box, h('div', { class: 'row' },
    h('label', { class: 'check' }, channel, h('span', { text: t('threads.alsoChannel') })),
    h('button', { type: 'button', class: 'primary small', text: t('threads.send'), dataset: { testid: 'thread-send' }, onclick: () => sendReply(box, channel) }))));
  if (!page.replies.length) $('#thread-replies').append(h('li', { class: 'empty', text: t('threads.noReplies') }));
  for (const r of page.replies) addReply(r);
  openDialog(dlg);
  box.focus();
  post(`/api/messages/${panel.rootId}/thread/read`).then(refreshBadge).catch(() => {});
}

async function refreshBadge() {
  try {
    const { threads } = await get('/api/threads');
    const n = threads.filter((x) => x.unread).length;
    const badge = $('#threads-badge');
    badge.hidden = !n; badge.textContent = String(n);
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
      onclick: () => { dlg.close(); openThread(th.root); } },
    h('div', { class: 'sub', text: [room ? roomName(room) : '', th.unread ? t('threads.unread') : ''].filter(Boolean).join(' · ') }),
    h('div', { class: 'ellipsis', text: (th.root.sender ? th.root.sender.display_name + ': ' : '') + (th.root.content || (th.root.file && th.root.file.name) || '') }),
    h('div', { class: 'sub', text: t('threads.count', { n: th.root.thread_reply_count || 0 }) }))));
  }
}

export function init() {
  on('open-thread', openThread);
  $('#threads-open').addEventListener('click', openThreadsView);
  on('sio:thread_updated', (s) => {
    messages.update(s.room_id, { id: s.root_id, thread_reply_count: s.thread_reply_count, thread_last_repliers: s.thread_last_repliers, thread_last_reply_id: s.thread_last_reply_id });
  });
  on('sio:new_message', ({ message: m }) => {
    if (m && m.thread_root_id && m.thread_root_id === panel.rootId && $('#thread-panel').open) {
      addReply(m);
      post(`/api/messages/${panel.rootId}/thread/read`).catch(() => {});
    }
  });
  on('sio:thread_reply', (n) => {
    if ($('#thread-panel').open && n.root_id === panel.rootId) return;
    toast(t('threads.newReply'));
    refreshBadge();
  });
  on('connection', ({ connected }) => { if (connected) refreshBadge(); });
  $('#thread-panel').addEventListener('close', () => { panel.rootId = null; });
  emit('threads-ready');
}
