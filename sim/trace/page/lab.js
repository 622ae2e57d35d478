// The questions of a lab's page (`netsim lab`): each with a box (or a
// choice) and a Check button. The page holds, for each accepted answer,
// FNV-1a of "netsim-lab/QUESTION/NORMALISED ANSWER" (tools/lab.c computes
// the same), so reading the page's source does not show the answers.
import { el } from './util.js';

// ASCII letters lower-cased and digits, nothing else: "#6" -> "6",
// "SYN-RECEIVED" -> "synreceived" (as ns_lab_normalise()).
export function normalise(text) {
  return text.replace(/[A-Z]/g, c => c.toLowerCase()).replace(/[^a-z0-9]/g, '');
}

// FNV-1a, 32 bits, of the UTF-8 bytes of `text`, as 8 hex digits.
export function fnv1a(text) {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export function answerIsRight(q, i, answer) {
  return q.hashes.includes(fnv1a('netsim-lab/' + i + '/' + normalise(answer)));
}

// Text with `code` in backquotes, as the sheet writes it.
function richText(text) {
  return text.split('`').map((part, k) => (k % 2 ? el('code', { text: part }) : part));
}

export function setupQuestions(panel, root, questions) {
  if (!questions || !questions.length) return;
  panel.hidden = false;
  questions.forEach((q, i) => {
    const verdict = el('span', { class: 'verdict', 'aria-live': 'polite' });
    let read;
    const box = el('div', { class: 'q', 'data-q': i + 1 }, el('p', {}, el('b', { text: i + 1 + '. ' }), ...richText(q.text)));
    if (q.choices.length) {
      const name = 'q' + (i + 1);
      const list = el('div', { class: 'choices' });
      q.choices.forEach((c, k) => {
        const letter = String.fromCharCode(97 + k);
        list.append(el('label', {}, el('input', { type: 'radio', name, value: letter }), ' ' + letter + '. ', ...richText(c)));
      });
      box.append(list);
      read = () => { const r = box.querySelector('input:checked'); return r ? r.value : ''; };
    } else {
      const input = el('input', { type: 'text', class: 'answer', size: 28, 'aria-label': 'answer to question ' + (i + 1) });
      input.addEventListener('keydown', e => { if (e.key === 'Enter') check(); });
      box.append(input, ' ');
      read = () => input.value;
    }
    const check = () => {
      const answer = read();
      const ok = answer.trim() !== '' && answerIsRight(q, i, answer);
      verdict.className = 'verdict ' + (ok ? 'ok' : 'no');
      verdict.textContent = answer.trim() === '' ? 'Give an answer first.' : ok ? 'Right.' : 'Not that: look again.';
    };
    box.append(el('button', { class: 'check', onclick: check, text: 'Check' }), ' ', verdict);
    root.append(box);
  });
}
