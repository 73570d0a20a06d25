// One message as DOM: header (grouped by sender and minute), reply quote, text/file/poll body,
// reactions, meta (edited, unread count, pending/failed), and hover actions.
import { h, avatar, icon, withProfile } from './dom.js';
import { formatText } from './format.js';
import { t, fmtTime, fmtSize } from './i18n.js';
import { state } from './state.js';
import { renderPoll } from './polls.js';
import { systemText } from './sysmsg.js';

const minute = (iso) => (iso || '').slice(0, 16);
export const dayKey = (iso) => new Date(iso).toDateString();

export function startsGroup(prev, m) {
  if (!prev || prev.type === 'system' || m.type === 'system') return true;
  if (!prev.sender || !m.sender || prev.sender.id !== m.sender.id) return true;
  return minute(prev.created_at) !== minute(m.created_at) || dayKey(prev.created_at) !== dayKey(m.created_at);
}

// @username → the display name of a member of the room (or of me), when known.
function mentionName(roomId, name) {
  const n = name.toLowerCase().replace(/[.-]+$/, '');
  if (state.me && state.me.username.toLowerCase() === n) return state.me.display_name;
  const det = state.details.get(roomId);
  const mb = det && det.members.find((x) => x.user.username.toLowerCase() === n);
  return mb ? mb.user.display_name : null;
}

function isMe(name) {
  const me = state.me;
  if (!me) return false;
  const n = name.toLowerCase();
  return n === me.username.toLowerCase() || n === (me.display_name || '').toLowerCase();
}

function fileBody(f) {
  if (f.deleted) return h('span', { class: 'file deleted-file', dataset: { testid: 'file-deleted' } }, icon('file'), h('span', { text: t('files.deleted') }));
  const isImage = (f.mime || '').startsWith('image/') && f.thumbnail_url;
  const link = h('a', { class: 'file', href: f.url, target: '_blank', rel: 'noopener', download: isImage ? null : f.name });
  if (isImage) {
    const img = h('img', { class: 'thumb', src: f.thumbnail_url, alt: f.name, loading: 'lazy', dataset: { testid: 'thumbnail' } });
    if (f.width && f.height) { img.width = Math.min(f.width, 240); img.height = Math.round(img.width * f.height / f.width); }
    link.append(img);
    link.append(h('span', { class: 'file-caption ellipsis', text: f.name }));
  } else {
    link.append(h('span', { class: 'file-icon' }, icon('file')),
      h('span', { class: 'file-info' }, h('span', { class: 'file-name', text: f.name }),
        h('span', { class: 'sub', text: fmtSize(f.size || 0) })));
  }
  return link;
}

// "전달됨" with the original author, and the original room when the reader is a member of it.
function forwardedLine(f) {
  const room = f.room_id ? state.rooms.get(f.room_id) : null;
  const roomName = room ? (room.name || (room.peer && room.peer.display_name) || '') : '';
  const from = [f.sender && f.sender.display_name, roomName && '#' + roomName].filter(Boolean).join(' · ');
  return h('div', { class: 'forwarded', dataset: { testid: 'forwarded' } }, icon('send'),
    h('span', { text: from ? t('forward.markerFrom', { from }) : t('forward.marker') }));
}

function replyQuote(r) {
  return h('button', { class: 'reply-quote', type: 'button', dataset: { jump: r.id } },
    h('span', { class: 'reply-sender', text: (r.sender && r.sender.display_name) || '' }),
    h('span', { class: 'reply-excerpt ellipsis', text: r.excerpt || t('messages.deleted') }));
}

function reactions(m) {
  if (!m.reactions || !m.reactions.length) return null;
  const meId = state.me && state.me.id;
  return h('div', { class: 'reactions' }, m.reactions.map((r) => h('button', {
    type: 'button', class: 'reaction' + (r.user_ids && r.user_ids.includes(meId) ? ' mine' : ''),
    dataset: { react: r.emoji }, title: String(r.count),
  }, h('span', { text: r.emoji }), h('span', { class: 'count', text: String(r.count) }))));
}

function meta(m) {
  const parts = [];
  if (m._failed) {
    parts.push(h('span', { class: 'failed', text: t('messages.failed') }),
      h('button', { type: 'button', class: 'link', dataset: { act: 'retry' }, text: t('messages.retry') }),
      h('button', { type: 'button', class: 'link', dataset: { act: 'discard' }, text: t('common.delete') }));
  } else if (typeof m.id !== 'number') {
    parts.push(h('span', { class: 'pending-mark', text: t('messages.sending') }));
  } else {
    // The familiar yellow number: members who have not read it yet (hidden at 0); a click shows who read it.
    if (m.unread_count > 0 && m.type !== 'system') {
      parts.push(h('button', { type: 'button', class: 'unread-count', dataset: { act: 'reads', testid: 'unread-count' },
        title: t('reads.title'), 'aria-label': t('reads.unreadLabel', { n: m.unread_count }), text: String(m.unread_count) }));
    }
    if (m.edited_at && !m.deleted) parts.push(h('span', { class: 'edited', text: t('messages.edited') }));
  }
  parts.push(h('time', { datetime: m.created_at, text: fmtTime(m.created_at) }));
  return h('div', { class: 'msg-meta' }, parts);
}

function actions(m) {
  if (typeof m.id !== 'number' || m.deleted || m.type === 'system') return null;
  const mine = state.me && m.sender && m.sender.id === state.me.id;
  const b = (act, name, title) => h('button', { type: 'button', class: 'icon', dataset: { act }, title: t(title), 'aria-label': t(title) }, icon(name));
  return h('div', { class: 'msg-actions' },
    b('reply', 'reply', 'messages.reply'), m.thread_root_id ? null : b('thread', 'reply', 'threads.reply'), b('react', 'smile', 'messages.react'), b('pin', 'pin', 'pins.pin'),
    b('reads', 'users', 'reads.title'), b('notice', 'megaphone', 'notices.promote'),
    m.type === 'text' || (m.type === 'file' && m.file && !m.file.deleted) ? b('forward', 'send', 'forward.action') : null,
    mine && m.type === 'text' ? b('edit', 'edit', 'messages.edit') : null,
    b('delete', 'trash', 'common.delete'));
}

// A root's thread summary: "답글 N개" with the last repliers; a click opens the thread panel.
function threadSummary(m) {
  if (!m.thread_reply_count) return null;
  const det = state.details.get(m.room_id);
  const names = (m.thread_last_repliers || []).map((id) => {
    const mb = det && det.members.find((x) => x.user.id === id);
    return mb ? mb.user.display_name : null;
  }).filter(Boolean);
  return h('button', { type: 'button', class: 'thread-summary', dataset: { act: 'thread', testid: 'thread-reply-count', count: String(m.thread_reply_count) } },
    h('strong', { text: t('threads.count', { n: m.thread_reply_count }) }), names.length ? h('span', { class: 'sub', text: ' · ' + names.join(', ') }) : null);
}

export function messageNode(m, { header = true } = {}) {
  const mine = state.me && m.sender && m.sender.id === state.me.id;
  const pending = typeof m.id !== 'number';
  if (m.thread_root_id && !m.also_to_channel) {
    // A reply that lives only in its thread: kept in the list (catch-up, paging) but not shown here.
    return h('div', { class: 'msg thread-only', hidden: true, dataset: { testid: 'thread-only', messageId: String(m.id), key: String(m.id) } });
  }
  const el = h('div', {
    class: ['msg', mine ? 'mine' : '', header ? 'first' : 'cont', pending ? 'pending' : '', m._failed ? 'failed' : '',
      m.deleted ? 'deleted' : '', m.type === 'system' ? 'system' : ''].filter(Boolean).join(' '),
    dataset: { testid: 'message', messageId: pending ? '' : String(m.id), key: String(m.id) },
  });
  if (m.client_msg_id) el.dataset.clientMsgId = m.client_msg_id;
  if (m.type === 'system') {
    el.append(h('div', { class: 'system-text', text: systemText(m) }));
    return el;
  }
  if (m.mentions && state.me && m.mentions.includes(state.me.id)) el.classList.add('mentions-me');
  el.append(header && !mine ? withProfile(avatar(m.sender), m.sender) : h('span', { class: 'avatar-gap' }));
  const main = h('div', { class: 'msg-main' });
  if (header && !mine) main.append(h('div', { class: 'msg-head' }, withProfile(h('span', { class: 'sender', text: m.sender ? m.sender.display_name : '' }), m.sender)));
  if (m.reply_to && !m.deleted) main.append(replyQuote(m.reply_to));
  if (m.forwarded_from && !m.deleted) main.append(forwardedLine(m.forwarded_from));
  const bubble = h('div', { class: 'bubble' });
  if (m.deleted) bubble.append(h('span', { class: 'deleted-text', text: t('messages.deleted') }));
  else if (m.type === 'poll' && (m.poll || state.polls.get(m.poll_id))) {
    bubble.classList.add('poll-bubble');
    bubble.append(renderPoll(state.polls.get((m.poll || {}).id || m.poll_id) || m.poll, m));
  } else {
    if (m.file) bubble.append(fileBody(m.file));
    if (m.content) bubble.append(h('div', { class: 'text' }, formatText(m.content, { isMe, mentionName: (name) => mentionName(m.room_id, name) })));
  }
  const row = h('div', { class: 'bubble-row' }, bubble, meta(m));
  main.append(row);
  const rx = reactions(m);
  if (rx) main.append(rx);
  if (m.thread_root_id && m.also_to_channel) main.append(h('button', { type: 'button', class: 'link thread-link', dataset: { act: 'thread' }, text: t('threads.inThread') }));
  const ts = m.deleted ? null : threadSummary(m);
  if (ts) main.append(ts);
  el.append(main);
  const acts = actions(m);
  if (acts) el.append(acts);
  return el;
}

export function dateSeparator(iso, text) {
  return h('div', { class: 'date-sep', role: 'separator' }, h('span', { text }));
}
