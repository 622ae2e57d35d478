// The sequence diagram in the page, following the step. The run writes the
// diagram as one SVG, one element per line (sim/trace/diagram.c); a run of
// 100,000 steps makes an SVG of 100,000 rows and a million pixels, which a
// browser takes seconds to insert and lays out again at every change. So
// the page keeps the SVG's lines as text, puts in the document only what
// spans the whole height (host boxes, lifelines) and, in bands of rows, the
// rows near what the panel shows; scrolling brings the bands in and out.
import { el, svgEl } from './util.js';

const BAND = 64; // rows per band

function unescapeXml(s) {
  return s.replace(/&(lt|gt|quot|apos|amp);/g, (m, e) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]);
}

// The SVG's text cut into elements: a line that does not start with '<'
// continues the element before it (a label may hold a newline; its '<'
// are escaped, so a '<' at the start of a line always opens an element).
function elements(svg) {
  const out = [];
  for (const line of svg.split('\n')) {
    if (line.startsWith('<') || !out.length) out.push(line);
    else out[out.length - 1] += '\n' + line;
  }
  return out;
}

export class Diagram {
  // box: the scrolling element the diagram goes in; svg: the run's SVG text.
  // A text that is not the run's SVG leaves the box empty (ok is false).
  constructor(box, svg) {
    this.box = box;
    this.ok = false;
    this.rows = [];   // {t, y, label?, band}: each row's time and y, in order
    this.labels = []; // {x, y}: the arrows' labels
    this.bands = [];  // the rows' elements as text, BAND rows per band
    this.shown = new Map(); // band -> its <g> in the document
    const head = [], always = [];
    let open = null, band = -1, closed = false;
    for (const e of elements(svg)) {
      if (e.startsWith('<?xml')) continue;
      if (e.startsWith('<svg')) { open = e; continue; }
      if (e.startsWith('</svg')) { closed = true; continue; }
      const time = /^<text x="6" y="(\d+)" fill="#777">(\d+)\.(\d{9})<\/text>$/.exec(e);
      if (time) {
        const n = this.rows.length;
        band = Math.floor(n / BAND);
        this.rows.push({ t: +time[2] * 1e9 + +time[3], y: +time[1], band });
        if (!this.bands[band]) this.bands[band] = [];
        this.bands[band].push(e);
        continue;
      }
      // What spans the height, and what comes before the first row.
      if (band < 0 || e.startsWith('<g class="lifeline"') || e.startsWith('<g class="host"')) {
        (band < 0 ? head : always).push(e);
        continue;
      }
      const label = /^<text class="label" x="(\d+)" y="(\d+)"[^>]*>([^]*)<\/text>$/.exec(e);
      if (label) {
        const row = this.rows[this.rows.length - 1];
        this.labels.push({ x: +label[1], y: +label[2] });
        // An arrow's label sits 5 units above its row's time.
        if (+label[2] + 5 === row.y) row.label = unescapeXml(label[3]);
      }
      this.bands[band].push(e);
    }
    if (!open || !closed) return;
    const doc = new DOMParser().parseFromString(open + '\n' + head.join('\n') + '\n' + always.join('\n') + '\n</svg>', 'image/svg+xml');
    if (doc.documentElement.nodeName !== 'svg') return;
    this.svg = document.importNode(doc.documentElement, true);
    this.height = +this.svg.getAttribute('height') || 1;
    this.width = +this.svg.getAttribute('width') || 0;
    box.append(this.svg);
    // The mark is a see-through box over the diagram, outside the SVG:
    // moving it never lays the diagram out again.
    this.mark = el('div', { class: 'now', hidden: true });
    box.append(this.mark);
    this.scale = null;
    this.frame = null;
    box.addEventListener('scroll', () => this.fill());
    this.ok = true;
  }

  // Put in the bands the panel shows (and one screen above and below),
  // take out the others.
  fill() {
    if (!this.rows.length) return;
    const sc = this.scaleOf();
    const h = this.box.clientHeight || 480;
    const a = (this.box.scrollTop - h) / sc, b = (this.box.scrollTop + 2 * h) / sc;
    const want = new Set();
    for (let i = this.firstRowAfter(a); i < this.rows.length; i += BAND - (i % BAND)) {
      if (this.rows[i].y - 40 > b) break;
      want.add(this.rows[i].band);
    }
    if (want.size === 0) want.add(this.rows[this.rows.length - 1].band);
    for (const [k, g] of this.shown) if (!want.has(k)) { g.remove(); this.shown.delete(k); }
    for (const k of want) {
      if (this.shown.has(k)) continue;
      const g = svgEl('g', { class: 'band' });
      g.innerHTML = this.bands[k].join('\n');
      this.svg.append(g);
      this.shown.set(k, g);
    }
  }

  scaleOf() {
    if (this.scale === null)
      this.scale = this.svg.getBoundingClientRect().height / this.height || 1;
    return this.scale;
  }

  // The index of the first row whose y is at least y (rows.length if none).
  firstRowAfter(y) {
    let lo = 0, hi = this.rows.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (this.rows[m].y < y) lo = m + 1; else hi = m; }
    return lo;
  }

  // Mark the rows of time t (or, between rows, the last before it) and
  // scroll them into view; a packet's step (`key`, the start of its
  // arrow's label, and whether it was sent) marks its own arrow instead,
  // drawn where the packet arrived.
  show(t, key, sent) {
    if (!this.ok) return;
    const rows = this.rows, mark = this.mark;
    let lo = 0, hi = rows.length; // the first row later than the step
    while (lo < hi) { const mid = (lo + hi) >> 1; if (rows[mid].t <= t) lo = mid + 1; else hi = mid; }
    let arrow = -1;
    if (key && sent) {
      for (let k = Math.max(0, lo - 64); k < rows.length && k < lo + 2000 && arrow < 0; k++)
        if (rows[k].t >= t && rows[k].label && rows[k].label.startsWith(key)) arrow = k;
    } else if (key) {
      for (let k = lo - 1; k >= 0 && k >= lo - 2000 && arrow < 0; k--)
        if (rows[k].label && rows[k].label.startsWith(key)) arrow = k;
    }
    if (lo === 0 && arrow < 0) { mark.hidden = true; return; }
    let first = lo - 1, last = rows[Math.max(0, lo - 1)];
    if (arrow >= 0) {
      first = arrow;
      last = rows[arrow];
    } else if (last.t === t) {
      while (first > 0 && rows[first - 1].t === last.t) first--;
    }
    const y0 = rows[first].y - 22, y1 = last.y + 12;
    const sc = this.scaleOf();
    mark.style.top = y0 * sc + 'px';
    mark.style.height = (y1 - y0) * sc + 'px';
    mark.style.width = this.width * sc + 'px';
    mark.dataset.y = y0;
    mark.dataset.h = y1 - y0;
    mark.hidden = false;
    mark.dataset.rows = (first + 1) + '-' + (arrow >= 0 ? arrow + 1 : lo);
    // Scrolling reads the layout: once per frame, not once per step.
    this.want = [y0, y1];
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      const [a, b] = this.want;
      const box = this.box, scale = this.scaleOf();
      const top = a * scale, bottom = b * scale;
      if (top < box.scrollTop || bottom > box.scrollTop + box.clientHeight)
        box.scrollTop = Math.max(0, (top + bottom) / 2 - box.clientHeight / 2);
      // Sideways, to the arrow of that moment (the diagram is wide).
      const i = this.firstLabelAfter(a);
      const label = i < this.labels.length && this.labels[i].y < b ? this.labels[i] : null;
      if (label) {
        const x = label.x * scale;
        if (x < box.scrollLeft + 40 || x > box.scrollLeft + box.clientWidth - 40)
          box.scrollLeft = Math.max(0, x - box.clientWidth / 2);
      }
      this.fill();
    });
  }

  firstLabelAfter(y) {
    let lo = 0, hi = this.labels.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (this.labels[m].y <= y) lo = m + 1; else hi = m; }
    return lo;
  }
}
