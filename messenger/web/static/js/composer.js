// The composer: Enter sends, Shift+Enter new line, pending bubbles with retry until acked, replies,
// paste/drop/attach uploads with progress and a size check against /api/config, @ autocomplete, typing.
import { $, h, clear, toast, errorText, randomId, presenceDot } from './dom.js';
import { shownPresence } from './profile.js';
import { t } from './i18n.js';
import { state, on, conv as conversationOf } from './state.js';
import { upload, get } from './api.js';
import { call, send } from './socket.js';
import * as messages from './messages.js';
import { openEmojiPicker } from './emoji.js';

const PERMANENT = new Set(['forbidden', 'not_found', 'message_too_long', 'invalid_field', 'missing_field',
  'invalid_upload_token', 'unauthorized', 'session_revoked', 'empty_message', 'invalid_json']);
const outbox = new Map(); // client_msg_id -> {roomId, payload, attempts, timer, inflight}
let input; let replyTo = null; let typingSent = 0; let typingTimer = null;
let draftRoom = null; // the room whose draft the box holds

// ---- drafts and the unsent queue survive room switches and reloads (localStorage) -----------------
const DRAFTS_KEY = 'im.drafts';
const OUTBOX_KEY = 'im.outbox';
function readJson(key) { try { return JSON.parse(localStorage.getItem(key)) || {}; } catch { return {}; } }
function writeJson(key, value) { try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* private mode or full */ } }
function userKey(key) { return key + ':' + (state.me ? state.me.id : 0); }

function saveDraft() {
  if (draftRoom === null) return;
  const drafts = readJson(userKey(DRAFTS_KEY));
  const text = input.value;
  if (text.trim()) drafts[draftRoom] = { text, at: Date.now() }; else delete drafts[draftRoom];
  writeJson(userKey(DRAFTS_KEY), drafts);
}

function loadDraft(rid) {
  const d = readJson(userKey(DRAFTS_KEY))[rid];
  return d ? d.text : '';
}

// Text messages not yet acknowledged are kept so that a reload sends them (once: client_msg_id).
function persistOutbox() {
  const keep = {};
  for (const [cmid, e] of outbox) if ((e.payload.type || 'text') === 'text') keep[cmid] = { roomId: e.roomId, payload: e.payload };
  writeJson(userKey(OUTBOX_KEY), keep);
}

function restoreOutbox() {
  const saved = readJson(userKey(OUTBOX_KEY));
  for (const [cmid, e] of Object.entries(saved)) {
    if (outbox.has(cmid) || !e || !e.payload) continue;
    outbox.set(cmid, { roomId: e.roomId, payload: e.payload, attempts: 0, timer: null, inflight: false });
  }
}

function roomId() { return state.currentRoomId; }

function pendingMessage(rid, payload, extra = {}) {
  return {
    id: 'p:' + payload.client_msg_id, client_msg_id: payload.client_msg_id, room_id: rid, type: payload.type || 'text',
    content: payload.content, sender: { id: state.me.id, display_name: state.me.display_name, avatar_url: state.me.avatar_url },
    created_at: new Date().toISOString(), reactions: [], mentions: [], read_count: 0, deleted: false,
    reply_to: replyTo ? { id: replyTo.id, sender: replyTo.sender, excerpt: (replyTo.content || '').slice(0, 100) } : undefined,
    ...extra,
  };
}

function queue(rid, payload, extra) {
  payload.client_msg_id = randomId();
  messages.addPending(rid, pendingMessage(rid, payload, extra));
  outbox.set(payload.client_msg_id, { roomId: rid, payload, attempts: 0, timer: null, inflight: false });
  persistOutbox();
  pump(payload.client_msg_id);
}

function pump(cmid) {
  const entry = outbox.get(cmid);
  if (!entry || entry.inflight) return;
  clearTimeout(entry.timer);
  entry.inflight = true;
  entry.attempts++;
  call('send_message', entry.payload, 10000).then((ack) => {
    outbox.delete(cmid);
    persistOutbox();
    messages.received(entry.roomId, [{ ...ack.message, client_msg_id: ack.message.client_msg_id || cmid }]);
  }).catch((err) => {
    entry.inflight = false;
    const code = err && err.code;
    if (PERMANENT.has(code) || entry.attempts > 30) {
      outbox.delete(cmid);
      persistOutbox();
      markFailed(entry, err); // the bubble stays, with "retry" and "delete"
      return;
    }
    const delay = code === 'rate_limited' ? 5000 : Math.min(8000, 500 * 2 ** Math.min(entry.attempts, 4));
    entry.timer = setTimeout(() => pump(cmid), delay);
  });
}

function markFailed(entry, err) {
  const { roomId: rid, payload } = entry;
  messages.update(rid, { id: 'p:' + payload.client_msg_id, _failed: true, _payload: payload });
  toast(errorText(err));
}

export function retryAll() { for (const cmid of outbox.keys()) pump(cmid); }

async function sendText() {
  const content = input.value.replace(/\s+$/, '');
  if (!content.trim() || !roomId()) return;
  const max = (state.config && state.config.message_max_length) || 10000;
  if (content.length > max) { toast(t('composer.tooLong', { n: max })); return; }
  const payload = { room_id: roomId(), content, type: 'text' };
  if (replyTo) payload.reply_to_id = replyTo.id;
  queue(roomId(), payload);
  input.value = '';
  saveDraft();
  setReply(null);
  autosize();
  stopTyping();
}

// ---- uploads --------------------------------------------------------------------------------
function checkFile(file) {
  const up = (state.config && state.config.upload) || {};
  if (up.max_size_bytes && file.size > up.max_size_bytes) {
    return t('composer.tooLarge', { name: file.name, max: Math.floor(up.max_size_bytes / 1024 / 1024) });
  }
  const ext = (file.name.split('.').pop() || '').toLowerCase();
  if ((up.blocked_extensions || []).includes(ext)) return t('composer.blockedType', { ext });
  if (up.allowed_extensions && up.allowed_extensions.length && !up.allowed_extensions.includes(ext)) {
    return t('composer.blockedType', { ext });
  }
  return null;
}

function waitForScan(jobId) {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (status, token) => {
      if (done) return;
      if (status === 'clean' && token) { done = true; off(); clearInterval(poll); resolve(token); }
      else if (status === 'infected' || status === 'error') { done = true; off(); clearInterval(poll); reject(new Error(t('composer.scan.' + status))); }
    };
    const off = on('sio:upload_scan_done', (d) => { if (d.job_id === jobId) finish(d.status, d.upload_token); });
    const poll = setInterval(async () => {
      try { const j = await get(`/api/upload/jobs/${jobId}`); finish(j.status, j.upload_token); } catch { /* keep waiting */ }
    }, 2000);
  });
}

export async function uploadFiles(files) {
  const rid = roomId();
  if (!rid) return;
  for (const file of files) {
    const problem = checkFile(file);
    if (problem) { toast(problem); continue; }
    const status = $('#upload-status'); const bar = $('#upload-progress');
    $('#upload-name').textContent = file.name;
    bar.value = 0; status.hidden = false;
    try {
      let res = await upload('/api/upload', { file, room_id: String(rid) }, (p) => { bar.value = p; });
      if (res.scan_status === 'pending') {
        $('#upload-name').textContent = t('composer.scanning', { name: file.name });
        res = { upload_token: await waitForScan(res.job_id) };
      }
      queue(rid, { room_id: rid, type: 'file', content: '', upload_token: res.upload_token },
        { file: { name: file.name, size: file.size, mime: file.type, url: '#' } });
    } catch (err) {
      toast(errorText(err));
    } finally { status.hidden = true; }
  }
}

// ---- replies, typing, mentions -------------------------------------------------------------------
function setReply(m) {
  replyTo = m;
  $('#reply-preview').hidden = !m;
  if (m) {
    $('#reply-text').textContent = t('composer.replyTo', { name: m.sender ? m.sender.display_name : '' }) + ' ' + (m.content || (m.file && m.file.name) || '');
    input.focus();
  }
}

function stopTyping() {
  if (typingSent && roomId()) send('typing', { room_id: roomId(), is_typing: false });
  typingSent = 0;
}

function typing() {
  const now = Date.now();
  if (now - typingSent > 3000 && roomId()) { send('typing', { room_id: roomId(), is_typing: true }); typingSent = now; }
  clearTimeout(typingTimer);
  typingTimer = setTimeout(stopTyping, 4000);
}

function autosize() { input.style.height = 'auto'; input.style.height = Math.min(input.scrollHeight, 160) + 'px'; }

let mentionItems = []; let mentionIndex = 0;
function mentionQuery() {
  const before = input.value.slice(0, input.selectionStart);
  const m = before.match(/(?:^|\s)@([\p{L}\p{N}_.-]*)$/u);
  return m ? m[1].toLowerCase() : null;
}

function updateMentions() {
  const menu = $('#mention-menu');
  const q = mentionQuery();
  const details = state.details.get(roomId());
  if (q === null || !details) { menu.hidden = true; mentionItems = []; return; }
  mentionItems = details.members.map((mb) => mb.user)
    .filter((u) => u.id !== state.me.id && (u.username.toLowerCase().includes(q) || (u.display_name || '').toLowerCase().includes(q)))
    .slice(0, 8);
  mentionIndex = 0;
  clear(menu).append(...mentionItems.map((u, i) => h('li', {
    role: 'option', class: i === 0 ? 'active' : '', onmousedown: (e) => { e.preventDefault(); pickMention(u); },
  }, presenceDot(shownPresence(u), u.id), h('strong', { text: ' ' + u.display_name }), h('span', { class: 'sub', text: ' @' + u.username }))));
  menu.hidden = !mentionItems.length;
}

function pickMention(u) {
  const pos = input.selectionStart;
  const before = input.value.slice(0, pos).replace(/@([\p{L}\p{N}_.-]*)$/u, '@' + u.username + ' ');
  input.value = before + input.value.slice(pos);
  input.selectionStart = input.selectionEnd = before.length;
  $('#mention-menu').hidden = true; mentionItems = [];
  input.focus();
}

function onKey(e) {
  const exact = mentionItems.length === 1 && mentionItems[0].username.toLowerCase() === mentionQuery();
  if (mentionItems.length && !exact) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      mentionIndex = (mentionIndex + (e.key === 'ArrowDown' ? 1 : mentionItems.length - 1)) % mentionItems.length;
      [...$('#mention-menu').children].forEach((li, i) => li.classList.toggle('active', i === mentionIndex));
      return;
    }
    if (e.key === 'Enter' || e.key === 'Tab') { e.preventDefault(); pickMention(mentionItems[mentionIndex]); return; }
    if (e.key === 'Escape') { $('#mention-menu').hidden = true; mentionItems = []; return; }
  }
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendText(); }
  if (e.key === 'Escape' && replyTo) setReply(null);
  if (e.key === 'ArrowUp' && !input.value && !e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey) editLast(e);
}

// ↑ in an empty box edits my last text message in this room.
function editLast(e) {
  const nodes = [...document.querySelectorAll('#message-items .msg.mine[data-message-id]')].reverse();
  const node = nodes.find((n) => n.dataset.messageId && n.querySelector('[data-act="edit"]'));
  if (!node) return;
  e.preventDefault();
  node.scrollIntoView({ block: 'nearest' });
  node.querySelector('[data-act="edit"]').click();
}

function insertAtCursor(text) {
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? start;
  input.value = input.value.slice(0, start) + text + input.value.slice(end);
  input.selectionStart = input.selectionEnd = start + text.length;
  input.focus();
  autosize();
  saveDraft();
}

// A room switch keeps the draft of the room being left and shows the draft of the room opened.
export function reset() {
  if (draftRoom !== null && draftRoom !== roomId()) saveDraft();
  draftRoom = roomId();
  input.value = draftRoom ? loadDraft(draftRoom) : '';
  setReply(null); autosize();
}

export function init() {
  input = $('#composer-input');
  $('#composer').addEventListener('submit', (e) => { e.preventDefault(); sendText(); });
  input.addEventListener('keydown', onKey);
  input.addEventListener('input', () => { autosize(); typing(); updateMentions(); saveDraft(); });
  $('#emoji-open').addEventListener('click', (e) => openEmojiPicker({ anchor: e.currentTarget, onPick: insertAtCursor }));
  input.addEventListener('blur', () => setTimeout(() => { $('#mention-menu').hidden = true; mentionItems = []; }, 150));
  input.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData ? e.clipboardData.files : [])];
    if (files.length) { e.preventDefault(); uploadFiles(files); }
  });
  const conv = $('#conversation');
  conv.addEventListener('dragover', (e) => { if (e.dataTransfer.types.includes('Files')) { e.preventDefault(); conv.classList.add('dropping'); } });
  conv.addEventListener('dragleave', () => conv.classList.remove('dropping'));
  conv.addEventListener('drop', (e) => {
    conv.classList.remove('dropping');
    if (e.dataTransfer.files.length) { e.preventDefault(); uploadFiles([...e.dataTransfer.files]); }
  });
  $('#attach-open').addEventListener('click', () => $('#attach-input').click());
  $('#attach-input').addEventListener('change', (e) => { uploadFiles([...e.target.files]); e.target.value = ''; });
  $('#reply-cancel').addEventListener('click', () => setReply(null));
  on('reply', (m) => setReply(m));
  on('retry-pending', (m) => {
    const payload = m._payload;
    if (!payload) return;
    messages.update(m.room_id, { id: m.id, _failed: false });
    outbox.set(payload.client_msg_id, { roomId: m.room_id, payload, attempts: 0, timer: null, inflight: false });
    pump(payload.client_msg_id);
  });
  on('discard-pending', (m) => { if (m.client_msg_id) { outbox.delete(m.client_msg_id); persistOutbox(); } });
  on('connection', ({ connected }) => { if (connected) { restoreOutbox(); retryAll(); } });
  // After a reload without a connection the queue is still in this browser: its messages show as
  // pending in their room (sent, once, when the socket is back).
  on('room-opened', showQueued);
}

function showQueued(rid) {
  restoreOutbox();
  const c = conversationOf(rid);
  for (const [cmid, e] of outbox) {
    // Not one on its way (its bubble is there, or its stored copy already replaced it).
    if (e.roomId !== rid || e.inflight || c.byId.has('p:' + cmid) || c.list.some((m) => m.client_msg_id === cmid)) continue;
    messages.addPending(rid, pendingMessage(rid, e.payload, { reply_to: undefined }));
  }
}
