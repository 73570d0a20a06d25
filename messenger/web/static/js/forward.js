// Forward a message to one or more of my rooms, with an optional comment (POST /api/messages/<id>/forward).
import { $, h, clear, avatar, toast, errorText, openDialog, closeButton } from './dom.js';
import { t } from './i18n.js';
import { state, on, emit } from './state.js';
import { post } from './api.js';
import { roomName } from './rooms.js';

const picked = new Set();

function excerpt(m) {
  if (m.file) return '📎 ' + (m.file.name || '');
  return (m.content || '').slice(0, 120);
}

function renderRooms(list, q) {
  clear(list);
  const needle = q.trim().toLowerCase();
  const rooms = [...state.rooms.values()].filter((r) => r.my_role !== 'reader') // the announcement room: admins only
    .filter((r) => !needle || roomName(r).toLowerCase().includes(needle))
    .sort((a, b) => (b.last_activity_at || '').localeCompare(a.last_activity_at || ''));
  for (const r of rooms) {
    const box = h('input', { type: 'checkbox', checked: picked.has(r.id), dataset: { roomId: r.id } });
    box.addEventListener('change', () => { if (box.checked) picked.add(r.id); else picked.delete(r.id); emit('forward-picked'); });
    list.append(h('li', {}, h('label', { class: 'check forward-room', dataset: { testid: 'forward-room', roomId: r.id } },
      box, r.peer ? avatar(r.peer) : avatar({ id: r.id, display_name: roomName(r) }), h('span', { class: 'ellipsis', text: roomName(r) }))));
  }
}

export function open(m) {
  picked.clear();
  const dlg = $('#forward-dialog');
  const body = clear($('#forward-body'));
  const search = h('input', { type: 'search', placeholder: t('forward.findRoom'), autocomplete: 'off', maxlength: '100' });
  const list = h('ul', { class: 'pick-list forward-rooms' });
  const comment = h('textarea', { rows: '2', placeholder: t('forward.comment'), maxlength: '10000', dataset: { testid: 'forward-comment' } });
  const send = h('button', { type: 'button', class: 'primary', text: t('forward.send'), disabled: true, dataset: { testid: 'forward-send' } });
  const off = on('forward-picked', () => { send.disabled = !picked.size; });
  dlg.addEventListener('close', off, { once: true });
  search.addEventListener('input', () => renderRooms(list, search.value));
  send.addEventListener('click', async () => {
    if (!picked.size) { toast(t('forward.pickRoom')); return; }
    send.disabled = true;
    try {
      const res = await post(`/api/messages/${m.id}/forward`, { room_ids: [...picked], comment: comment.value.trim() || undefined });
      dlg.close();
      toast(t('forward.done', { n: res.messages.length }));
    } catch (err) { toast(errorText(err)); send.disabled = false; }
  });
  body.append(h('header', { class: 'panel-head' }, h('h3', { text: t('forward.title') }), closeButton(() => dlg.close(), t('common.close'))),
    h('blockquote', { class: 'forward-quote' }, h('strong', { text: (m.sender && m.sender.display_name) || '' }), h('div', { class: 'ellipsis', text: excerpt(m) })),
    search, list, comment, h('div', { class: 'row end' }, send));
  renderRooms(list, '');
  openDialog(dlg);
  search.focus();
}

export function init() { on('forward', open); }
