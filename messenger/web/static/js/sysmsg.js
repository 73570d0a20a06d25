// System messages are events ({event, user, members, target, name, text}); their words come from the catalogs.
// A person is {id, name}: the current name of a user this client knows (room members, me) wins, then the
// name stored with the event, then a neutral word, so a left or deleted user still reads well.
import { t } from './i18n.js';
import { state } from './state.js';

function knownName(id) {
  if (id === null || id === undefined) return null;
  if (state.me && state.me.id === id) return state.me.display_name;
  for (const room of state.details.values()) {
    const m = (room.members || []).find((x) => x.user && x.user.id === id);
    if (m && m.user.is_active !== false) return m.user.display_name;
  }
  return null;
}

export function personName(p) {
  if (!p) return t('system.someone');
  // An empty stored name is a deleted account (its display name is ""), old or new.
  return knownName(p.id) || p.name || t(p.name === '' ? 'user.deleted' : 'system.someone');
}

function people(list) { return (list || []).map(personName).join(', '); }

function excerpt(text) { const s = (text || '').replace(/\s+/g, ' '); return s.length > 80 ? s.slice(0, 80) + '…' : s; }

export function systemText(m) {
  const e = m.event || {};
  switch (e.event) {
    case 'room_created':
      return (e.members && e.members.length)
        ? t('system.room_created_with', { user: personName(e.user), members: people(e.members) })
        : t('system.room_created', { user: personName(e.user) });
    case 'room_renamed': return t('system.room_renamed', { user: personName(e.user), name: e.name || '' });
    case 'members_invited': return t('system.members_invited', { user: personName(e.user), members: people(e.members) });
    case 'member_left': return t('system.member_left', { user: personName(e.user) });
    case 'member_removed': return t('system.member_removed', { user: personName(e.user), target: personName(e.target) });
    case 'admin_assigned': return t('system.admin_assigned', { user: personName(e.user) });
    case 'notice_posted': return t('system.notice_posted', { user: personName(e.user), text: excerpt(e.text) });
    case 'notice_removed': return t('system.notice_removed', { user: personName(e.user) });
    case 'legacy': return e.text || t('system.unknown');
    default: return t('system.unknown');
  }
}
