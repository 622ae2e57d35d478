// Per TCP connection: a time-sequence graph (Stevens style: each segment a
// vertical bar from its first to its last sequence number at the time it
// was sent, retransmissions in red, the other side's cumulative ACK as a
// step line) and a congestion plot (cwnd, ssthresh, RTT when sampled).
// A vertical line marks the current step's time; clicking a segment jumps
// to it.
import { el, fmtShort, svgEl } from './util.js';

const W = 460, H = 210, L = 62, R = 12, T = 12, B = 30;

function axes(svg, x0, x1, y0, y1, ylabel) {
  const sx = t => L + ((t - x0) / Math.max(x1 - x0, 1)) * (W - L - R);
  const sy = v => H - B - ((v - y0) / Math.max(y1 - y0, 1)) * (H - T - B);
  svg.append(svgEl('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, class: 'axis' }));
  svg.append(svgEl('line', { x1: L, y1: T, x2: L, y2: H - B, class: 'axis' }));
  for (let k = 0; k <= 4; k++) {
    const t = x0 + ((x1 - x0) * k) / 4;
    svg.append(svgEl('text', { x: sx(t), y: H - B + 14, class: 'tick', 'text-anchor': 'middle', text: fmtShort(Math.round(t)) }));
    const v = y0 + ((y1 - y0) * k) / 4;
    svg.append(svgEl('text', { x: L - 4, y: sy(v) + 3, class: 'tick', 'text-anchor': 'end', text: Math.round(v) }));
  }
  svg.append(svgEl('text', { x: 12, y: T + (H - T - B) / 2, class: 'tick', transform: `rotate(-90 12 ${T + (H - T - B) / 2})`, 'text-anchor': 'middle', text: ylabel }));
  return { sx, sy };
}

// A step line through the points; where several fall in the same half
// pixel of time only the last of them is drawn (a long connection's 35,000
// ACKs make a line the plot's 460 pixels cannot show more of).
function stepLine(points, sx, sy, x1) {
  if (!points.length) return '';
  let d = `M${sx(points[0].t)},${sy(points[0].v)}`;
  for (let i = 1; i < points.length; i++) {
    const x = sx(points[i].t);
    if (i + 1 < points.length && Math.round(sx(points[i + 1].t) * 2) === Math.round(x * 2)) continue;
    d += `H${x}V${sy(points[i].v)}`;
  }
  return d + `H${sx(x1)}`;
}

// The bars of a time-sequence graph: one per segment, or for a long
// connection (more than MANY segments) one per half pixel of time and kind
// (first sent or sent again), from the lowest sequence number to the
// highest of the segments it stands for; it jumps to the first of them. A
// graph 460 pixels wide shows no more detail, and a page of 100,000 steps
// does not carry 35,000 SVG elements it would lay out at every step.
const MANY = 1000;
function bars(segs, sx) {
  if (segs.length <= MANY) return segs.map(s => ({ ...s, count: 1 }));
  const out = [];
  const open = new Map(); // retrans -> the bar being filled
  for (const s of segs) {
    const x = Math.round(sx(s.t) * 2);
    const b = open.get(s.retrans);
    if (b && b.x === x) {
      b.seq = Math.min(b.seq, s.seq);
      b.end = Math.max(b.end, s.end);
      b.count++;
      continue;
    }
    const nb = { x, t: s.t, seq: s.seq, end: s.end, retrans: s.retrans, n: s.n, count: 1 };
    open.set(s.retrans, nb);
    out.push(nb);
  }
  return out;
}

export class Plots {
  constructor(root, run, jump) {
    this.root = root;
    this.markers = [];
    root.replaceChildren();
    const conns = run.connections;
    if (!conns.length) {
      root.append(el('p', { class: 'muted', text: 'No TCP connection in this run.' }));
      return;
    }
    const tEnd = run.steps.length ? run.steps[run.steps.length - 1].t_ns : 0;
    for (const c of conns) {
      const box = el('div', { class: 'conn' }, el('h3', { text: 'tcp ' + c.a + ' \u2194 ' + c.b }));
      let dirs = [...c.dirs.values()].filter(d => d.segs.some(s => s.end - s.seq > 1));
      if (!dirs.length) dirs = [...c.dirs.values()].filter(d => d.segs.length).slice(0, 1);
      for (const d of dirs) box.append(this.timeSeq(c, d, jump));
      // The congestion window of the sides that sent data, over the
      // connection's life.
      let tLast = 0;
      for (const d of c.dirs.values()) for (const x of d.segs) tLast = Math.max(tLast, x.t);
      const senders = new Set(dirs.map(d => d.from));
      const cc = c.cc.filter(s => senders.has(s.from));
      if (cc.length) box.append(this.ccPlot(cc, Math.min(tEnd, tLast)));
      root.append(box);
    }
  }

  timeSeq(c, d, jump) {
    const other = [...c.dirs.values()].find(x => x.from !== d.from);
    const acks = d.acks;
    const t0 = d.segs[0].t;
    let t1 = t0;
    let maxSeq = 1;
    for (const s of d.segs) { t1 = Math.max(t1, s.t); maxSeq = Math.max(maxSeq, s.end); }
    for (const a of acks) { t1 = Math.max(t1, a.t); maxSeq = Math.max(maxSeq, a.ack); }
    const svg = svgEl('svg', { class: 'plot tseq', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'time-sequence graph ' + d.from });
    const { sx, sy } = axes(svg, t0, t1, 0, maxSeq, 'sequence number');
    if (acks.length) svg.append(svgEl('path', { d: stepLine(acks.map(a => ({ t: a.t, v: a.ack })), sx, sy, t1), class: 'ackline' }));
    for (const s of bars(d.segs, sx)) {
      const bar = svgEl('line', { x1: sx(s.t), x2: sx(s.t), y1: sy(s.seq), y2: Math.min(sy(s.end), sy(s.seq) - 2), class: s.retrans ? 'seg retrans' : 'seg' });
      const what = s.count > 1 ? `${s.count} segments from ` : '';
      bar.append(svgEl('title', { text: `${what}${fmtShort(s.t)} seq ${s.seq}-${s.end}${s.retrans ? ' (sent again)' : ''}` }));
      bar.addEventListener('click', () => jump(s.n));
      svg.append(bar);
    }
    const marker = svgEl('line', { y1: T, y2: H - B, class: 'now' });
    svg.append(marker);
    this.markers.push({ marker, sx, t0, t1 });
    const legend = el('div', { class: 'legend' },
      el('span', { class: 'k seg', text: 'segment' }), ' ',
      el('span', { class: 'k retrans', text: 'sent again' }), ' ',
      other || acks.length ? el('span', { class: 'k ackline', text: 'ACK from the other side' }) : null);
    return el('figure', {}, svg, el('figcaption', { text: 'Time-sequence graph of the data ' + d.from + ' sent' }), legend);
  }

  ccPlot(samplesAll, tEnd) {
    const byFrom = new Map();
    for (const s of samplesAll) {
      if (!byFrom.has(s.from)) byFrom.set(s.from, []);
      byFrom.get(s.from).push(s);
    }
    const figs = el('div', {});
    for (const [from, samples] of byFrom) {
      const t0 = samples[0].t, t1 = Math.max(tEnd, samples[samples.length - 1].t);
      let maxV = 1;
      const big = 0x3fffffff;
      for (const s of samples) {
        maxV = Math.max(maxV, s.cwnd);
        if (s.ssthresh < big) maxV = Math.max(maxV, s.ssthresh);
      }
      const svg = svgEl('svg', { class: 'plot cc', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'congestion window ' + from });
      const { sx, sy } = axes(svg, t0, t1, 0, maxV * 1.1, 'bytes');
      svg.append(svgEl('path', { d: stepLine(samples.map(s => ({ t: s.t, v: s.cwnd })), sx, sy, t1), class: 'cwnd' }));
      const ss = samples.filter(s => s.ssthresh < big);
      if (ss.length) svg.append(svgEl('path', { d: stepLine(ss.map(s => ({ t: s.t, v: s.ssthresh })), sx, sy, t1), class: 'ssthresh' }));
      const rtt = samples.filter(s => s.rtt !== undefined && s.rtt !== null);
      let rttLegend = null;
      if (rtt.length) {
        const maxR = Math.max(...rtt.map(s => s.rtt), 1);
        const ry = v => H - B - (v / maxR) * (H - T - B);
        svg.append(svgEl('path', { d: rtt.map((s, i) => (i ? 'L' : 'M') + sx(s.t) + ',' + ry(s.rtt)).join(''), class: 'rtt' }));
        svg.append(svgEl('text', { x: W - R, y: T + 8, class: 'tick', 'text-anchor': 'end', text: 'RTT max ' + fmtShort(maxR) }));
        rttLegend = el('span', { class: 'k rtt', text: 'smoothed RTT' });
      }
      const marker = svgEl('line', { y1: T, y2: H - B, class: 'now' });
      svg.append(marker);
      this.markers.push({ marker, sx, t0, t1 });
      figs.append(el('figure', {}, svg, el('figcaption', { text: 'Congestion window of ' + from }),
        el('div', { class: 'legend' }, el('span', { class: 'k cwnd', text: 'cwnd' }), ' ',
          el('span', { class: 'k ssthresh', text: 'ssthresh' }), ' ', rttLegend)));
    }
    return figs;
  }

  setTime(t) {
    for (const m of this.markers) {
      const inside = t >= m.t0 && t <= m.t1;
      m.marker.setAttribute('visibility', inside ? 'visible' : 'hidden');
      if (inside) { m.marker.setAttribute('x1', m.sx(t)); m.marker.setAttribute('x2', m.sx(t)); }
    }
  }
}
