// The packet panel: the current step's packet layer by layer (each field
// with its value and meaning) and its raw bytes, 16 a line; clicking a
// field or a layer highlights its bytes.
//
// A page is stepped through fast, and consecutive packets are mostly alike
// (a TCP segment after a TCP segment): a layer with the same fields as the
// one shown before in its place only changes its values, so a step makes
// few new elements for the browser to style and lay out. The hex
// dump is a text per line for the same reason (512 elements a step would
// cost more than all the rest).
import { el, hex2 } from './util.js';
import { decodeFrame, decodeIp } from './decode.js';

export class PacketView {
  constructor(root) {
    this.root = root;
    this.layers = [];  // per layer shown: {key, layer, det, cells, small, pre}
    this.lines = [];   // the hex dump's lines
    this.marked = [];  // the lines drawn with a highlight
    this.bytes = null;
    // A step without a packet hides the last packet's view (it keeps its
    // place: taking it out and putting it back costs a layout of it all)
    // and says so over it.
    this.none = el('p', { class: 'muted nopkt', text: 'This step carries no packet.' });
    this.box = el('div', {});
    root.replaceChildren(this.none, this.box);
  }

  // Show step `ev`'s packet: its frame's bytes when a frame carried it,
  // else the datagram's (`bytes`, their real length `full`).
  show(ev, frame, bytes, full) {
    this.none.hidden = !!bytes;
    // Over the hidden view once there is one; in its place before.
    this.none.classList.toggle('over', !!this.head);
    this.box.style.visibility = bytes ? '' : 'hidden';
    if (!bytes) return;
    if (!this.head) {
      this.who = el('b', {});
      this.what = document.createTextNode('');
      this.summary = el('span', { class: 'summary' });
      this.head = el('p', { class: 'pkthead' }, this.who, this.what, this.summary);
      this.tree = el('div', { class: 'layers' });
      this.hexbox = el('div', { class: 'hex', 'aria-label': 'raw bytes' });
      this.box.append(this.head, this.tree, this.hexbox);
    }
    this.bytes = bytes;
    setText(this.who, (ev.host || '') + ' ' + ev.kind);
    this.what.data = ' ' + (frame ? 'frame on ' + frame.where + ', ' : '') + full + ' bytes' + (bytes.length < full ? ' (the first ' + bytes.length + ' kept)' : '');
    setText(this.summary, ev.summary ? ' \u2014 ' + ev.summary : '');
    for (const r of this.tree.querySelectorAll('tr.sel')) r.classList.remove('sel');
    const layers = frame ? decodeFrame(bytes, full) : decodeIp(bytes, 0, full);
    // A layer with the same fields as the one shown in its place keeps
    // its elements and takes the new values.
    layers.forEach((l, i) => {
      const key = l.name + (l.text !== undefined ? '+' : '') + ':' + l.fields.map(f => f.name).join(',');
      const old = this.layers[i];
      if (old && old.key === key) this.update(old, l);
      else {
        const made = this.build(l, i, key);
        if (old) old.det.replaceWith(made.det);
        else this.tree.append(made.det);
        this.layers[i] = made;
      }
    });
    while (this.layers.length > layers.length) this.layers.pop().det.remove();
    this.dump();
  }

  build(l, i, key) {
    const made = { key, layer: l, cells: [] };
    const table = el('table', {});
    l.fields.forEach((f, k) => {
      const v = el('td', { class: 'v', text: f.value }), m = el('td', { class: 'm', text: f.meaning });
      const tr = el('tr', { tabindex: 0, 'data-field': f.name, onclick: () => this.select(tr, this.layers[i].layer.fields[k]) },
        el('th', { text: f.name }), v, m);
      tr.addEventListener('keydown', e => { if (e.key === 'Enter') tr.click(); });
      table.append(tr);
      made.cells.push({ v, m });
    });
    made.small = el('small', { text: range(l) });
    made.det = el('details', { open: true, 'data-layer': l.name },
      el('summary', { onclick: () => { const x = this.layers[i].layer; this.mark(x.start, x.end - x.start); } }, l.name + ' ', made.small), table);
    made.pre = l.text !== undefined ? el('pre', { class: 'payload', text: l.text }) : null;
    if (made.pre) made.det.append(made.pre);
    return made;
  }

  update(x, l) {
    x.layer = l;
    l.fields.forEach((f, k) => {
      const c = x.cells[k];
      setText(c.v, f.value);
      setText(c.m, f.meaning);
    });
    setText(x.small, range(l));
    if (x.pre) setText(x.pre, l.text);
  }

  select(tr, f) {
    for (const r of this.tree.querySelectorAll('tr.sel')) r.classList.remove('sel');
    tr.classList.add('sel');
    this.mark(f.off, f.len);
  }

  // The raw bytes, a line of text each; lines that were highlighted are
  // made again, the others only change their text, and lines a shorter
  // packet does not need are emptied (no height), not removed.
  dump() {
    const b = this.bytes, n = Math.ceil(b.length / 16);
    for (const i of this.marked) this.redraw(i, null);
    this.marked = [];
    for (let i = n; i < this.lines.length; i++) this.lineText(i, '', '');
    for (let i = 0; i < n; i++) {
      const text = hexText(b, i * 16, Math.min(i * 16 + 16, b.length));
      if (i < this.lines.length) {
        this.lineText(i, (i * 16).toString(16).padStart(4, '0'), text);
        continue;
      }
      const line = el('div', {}, el('span', { class: 'off', text: (i * 16).toString(16).padStart(4, '0') }), text);
      this.lines.push(line);
      this.hexbox.append(line);
    }
  }

  lineText(i, off, text) {
    const line = this.lines[i], o = line.firstChild.firstChild, t = line.lastChild;
    if (o.data !== off) o.data = off;
    if (t.data !== text) t.data = text;
  }

  // Line i drawn again, with bytes [sel[0], sel[1]) highlighted (none when
  // sel is null).
  redraw(i, sel) {
    const b = this.bytes, off = i * 16, end = Math.min(off + 16, b.length);
    const line = el('div', {}, el('span', { class: 'off', text: off.toString(16).padStart(4, '0') }));
    const a = sel ? Math.max(off, Math.min(end, sel[0])) : end, z = sel ? Math.max(a, Math.min(end, sel[1])) : end;
    if (a > off) line.append(hexText(b, off, a) + (a < end ? ' ' : ''));
    if (z > a) line.append(el('span', { class: 'sel', 'data-off': a, text: hexText(b, a, z) }));
    if (end > z) line.append((z > a ? ' ' : '') + hexText(b, z, end));
    if (!sel && line.childNodes.length === 1) line.append('');
    this.lines[i].replaceWith(line);
    this.lines[i] = line;
  }

  mark(off, len) {
    for (const i of this.marked) this.redraw(i, null);
    this.marked = [];
    const n = Math.ceil(this.bytes.length / 16);
    for (let i = Math.floor(off / 16); i < n && i * 16 < off + len; i++) {
      this.redraw(i, [off, off + len]);
      this.marked.push(i);
    }
  }
}

// A changed text changes in its text node: a new node would be styled and
// laid out anew.
function setText(node, text) {
  const t = node.firstChild;
  if (t && t.nodeType === Node.TEXT_NODE && !t.nextSibling) {
    if (t.data !== text) t.data = text;
  } else if (node.textContent !== text) {
    node.textContent = text;
  }
}

function range(l) {
  return '(bytes ' + l.start + '-' + (l.end - 1) + ')';
}

function hexText(b, a, z) {
  const p = [];
  for (let k = a; k < z; k++) p.push(hex2(b[k]));
  return p.join(' ');
}
