// The who-read sheet of a message (GET /api/messages/<id>/reads): who has not read it yet and who has,
// with avatars and presence. Opened from the yellow unread number or the message's actions.
import { $, h, clear, avatar, presenceDot, toast, errorText, openDialog, closeButton } from './dom.js';
import { t } from './i18n.js';
import { state } from './state.js';
import { get } from './api.js';

function people(users) {
  if (!users.length) return h('p', { class: 'sub', text: t('reads.none') });
  return h('ul', { class: 'member-list' }, users.map((u) => h('li', { class: 'member', dataset: { userId: u.id } },
    h('span', { class: 'avatar-wrap' }, avatar(u), presenceDot(state.presence.get(u.id) || u.presence)),
    h('span', { class: 'member-name ellipsis' }, h('strong', { text: u.display_name }), h('span', { class: 'sub', text: ' @' + u.username })))));
}

export async function showReads(m) {
  const dlg = $('#reads-dialog');
  let body;
  try { body = await get(`/api/messages/${m.id}/reads`); } catch (err) { toast(errorText(err)); return; }
  for (const u of [...body.read, ...body.unread]) if (u.presence) state.presence.set(u.id, u.presence);
  clear(dlg).append(
    h('header', { class: 'panel-head' }, h('h3', { id: 'reads-title', text: t('reads.title') }), closeButton(() => dlg.close(), t('common.close'))),
    h('section', { class: 'detail-section', dataset: { testid: 'reads-unread' } },
      h('h4', { text: t('reads.unread', { n: body.unread.length }) }), people(body.unread)),
    h('section', { class: 'detail-section', dataset: { testid: 'reads-read' } },
      h('h4', { text: t('reads.read', { n: body.read.length }) }), people(body.read)));
  openDialog(dlg);
}
