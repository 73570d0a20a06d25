// Polls: the card inside a poll message (vote, results, close) and the create dialog.
import { h, $, clear, toast, errorText, openDialog, icon } from './dom.js';
import { t, fmtDateTime } from './i18n.js';
import { post } from './api.js';
import { state, emit } from './state.js';

async function act(path, body) {
  try {
    const res = await post(path, body);
    if (res && res.poll) emit('sio:poll_updated', { poll: res.poll });
  } catch (err) { toast(errorText(err)); }
}

export function renderPoll(poll, message) {
  if (!poll) return h('span', { text: t('polls.title') });
  const total = poll.options.reduce((n, o) => n + (o.votes || 0), 0);
  const mine = new Set(poll.my_votes || []);
  const closed = poll.closed || (poll.ends_at && new Date(poll.ends_at) < new Date());
  const card = h('div', { class: 'poll', dataset: { pollId: poll.id, testid: 'poll' } },
    h('div', { class: 'poll-q' }, h('span', { class: 'poll-icon' }, icon('poll')), h('strong', { text: poll.question })));
  for (const o of poll.options) {
    const pct = total ? Math.round((o.votes || 0) * 100 / total) : 0;
    const bar = h('span', { class: 'poll-bar' });
    bar.style.width = pct + '%';
    const opt = h('button', {
      type: 'button', class: 'poll-opt' + (mine.has(o.id) ? ' voted' : ''), disabled: closed,
      dataset: { testid: 'poll-option', optionId: o.id }, 'aria-pressed': mine.has(o.id) ? 'true' : 'false',
      onclick: () => act(`/api/polls/${poll.id}/vote`, { option_id: o.id }),
    }, bar, h('span', { class: 'poll-text', text: o.text }), h('span', { class: 'poll-count', text: t('polls.votes', { n: o.votes || 0 }) }));
    if (o.voters && o.voters.length) opt.title = o.voters.map((v) => v.display_name || v).join(', ');
    card.append(opt);
  }
  const foot = h('div', { class: 'poll-foot sub' });
  foot.append(h('span', { text: closed ? t('polls.closed') : (poll.ends_at ? t('polls.endsAt', { at: fmtDateTime(poll.ends_at) }) : t('polls.total', { n: total })) }));
  if (poll.multiple_choice) foot.append(h('span', { text: ' · ' + t('polls.multiple') }));
  if (poll.anonymous) foot.append(h('span', { text: ' · ' + t('polls.anonymous') }));
  const canClose = !closed && state.me && (poll.created_by === state.me.id || (message && message.sender && message.sender.id === state.me.id));
  if (canClose) foot.append(h('button', { type: 'button', class: 'link', text: t('polls.close'), onclick: () => act(`/api/polls/${poll.id}/close`) }));
  card.append(foot);
  return card;
}

export function openCreate(roomId) {
  const dlg = $('#poll-dialog');
  const body = clear($('#poll-body'));
  const question = h('input', { maxlength: '300', required: true, dataset: { testid: 'poll-question' } });
  const opts = h('div', { class: 'stack' });
  const addOpt = () => opts.append(h('input', { maxlength: '200', class: 'poll-option-input', placeholder: t('polls.option', { n: opts.children.length + 1 }) }));
  addOpt(); addOpt();
  const multiple = h('input', { type: 'checkbox' });
  const anonymous = h('input', { type: 'checkbox' });
  const ends = h('input', { type: 'datetime-local' });
  const error = h('p', { class: 'error', hidden: true });
  const submit = async () => {
    const options = [...opts.querySelectorAll('input')].map((i) => i.value.trim()).filter(Boolean);
    const payload = { question: question.value.trim(), options, multiple_choice: multiple.checked, anonymous: anonymous.checked };
    if (ends.value) payload.ends_at = new Date(ends.value).toISOString();
    try {
      await post(`/api/rooms/${roomId}/polls`, payload);
      dlg.close();
    } catch (err) { error.textContent = errorText(err); error.hidden = false; }
  };
  body.append(h('div', { class: 'stack' },
    h('h3', { text: t('polls.create') }),
    h('label', {}, h('span', { text: t('polls.question') }), question),
    opts,
    h('button', { type: 'button', class: 'link', text: t('polls.addOption'), onclick: addOpt }),
    h('label', { class: 'check' }, multiple, h('span', { text: t('polls.multiple') })),
    h('label', { class: 'check' }, anonymous, h('span', { text: t('polls.anonymous') })),
    h('label', {}, h('span', { text: t('polls.ends') }), ends),
    error,
    h('div', { class: 'row end' },
      h('button', { type: 'button', class: 'secondary', text: t('common.cancel'), onclick: () => dlg.close() }),
      h('button', { type: 'button', class: 'primary', text: t('polls.create'), dataset: { testid: 'poll-submit' }, onclick: submit }))));
  openDialog(dlg);
  question.focus();
}
