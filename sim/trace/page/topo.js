// The topology: hosts, routers and networks as a graph (a force-directed
// layout with a fixed start, so the same run draws the same picture), and
// the packet of the current step on the link it is crossing.
import { protoName, svgEl } from './util.js';

function ipNum(a) {
  return a.split('.').reduce((x, o) => x * 256 + +o, 0);
}

function inCidr(addr, cidr) {
  const [net, len] = cidr.split('/');
  const size = 2 ** (32 - +len);
  return Math.floor(ipNum(addr) / size) === Math.floor(ipNum(net) / size);
}

export class Topology {
  constructor(svg, meta) {
    this.svg = svg;
    this.meta = meta;
    this.nodes = new Map();
    this.edges = [];
    const hosts = meta.hosts || [], nets = meta.networks || [], links = meta.links || [];
    const total = hosts.length + nets.length;
    let k = 0;
    const place = (id, type, data) => {
      const a = (2 * Math.PI * k++) / Math.max(total, 1);
      const r = type === 'net' ? 60 : 200;
      this.nodes.set(id, { id, type, data, x: r * Math.cos(a), y: r * Math.sin(a) });
    };
    for (const n of nets) place('net:' + n.name, 'net', n);
    for (const h of hosts) place('host:' + h.name, 'host', h);
    for (const h of hosts)
      for (const a of h.addrs)
        if (a.net) this.edges.push({ a: 'host:' + h.name, b: 'net:' + a.net, where: a.net, host: h.name, addr: a.addr });
    for (const l of links) {
      this.edges.push({ a: 'host:' + l.a, b: 'host:' + l.b, where: l.name, host: l.a, other: l.b });
    }
    this.layout();
    this.draw();
  }

  // Fruchterman-Reingold, a fixed number of rounds.
  layout() {
    const nodes = [...this.nodes.values()];
    const kk = 110;
    for (let round = 0; round < 300; round++) {
      const temp = 40 * (1 - round / 300) + 1;
      for (const v of nodes) { v.dx = 0; v.dy = 0; }
      for (let i = 0; i < nodes.length; i++)
        for (let j = i + 1; j < nodes.length; j++) {
          const u = nodes[i], v = nodes[j];
          let dx = u.x - v.x, dy = u.y - v.y;
          let d = Math.hypot(dx, dy);
          if (d < 0.01) { dx = 0.01 * (i - j); dy = 0.01; d = Math.hypot(dx, dy); }
          const f = (kk * kk) / d;
          u.dx += (dx / d) * f; u.dy += (dy / d) * f;
          v.dx -= (dx / d) * f; v.dy -= (dy / d) * f;
        }
      for (const e of this.edges) {
        const u = this.nodes.get(e.a), v = this.nodes.get(e.b);
        const dx = u.x - v.x, dy = u.y - v.y;
        const d = Math.max(Math.hypot(dx, dy), 0.01);
        const f = (d * d) / kk;
        u.dx -= (dx / d) * f; u.dy -= (dy / d) * f;
        v.dx += (dx / d) * f; v.dy += (dy / d) * f;
      }
      for (const v of nodes) {
        const d = Math.max(Math.hypot(v.dx, v.dy), 0.01);
        v.x += (v.dx / d) * Math.min(d, temp);
        v.y += (v.dy / d) * Math.min(d, temp);
      }
    }
    // Turn the drawing so that its long axis lies along the wide panel.
    const mx = nodes.reduce((a, n) => a + n.x, 0) / nodes.length;
    const my = nodes.reduce((a, n) => a + n.y, 0) / nodes.length;
    let sxx = 0, syy = 0, sxy = 0;
    for (const n of nodes) { sxx += (n.x - mx) ** 2; syy += (n.y - my) ** 2; sxy += (n.x - mx) * (n.y - my); }
    const angle = -0.5 * Math.atan2(2 * sxy, sxx - syy);
    const c = Math.cos(angle), sn = Math.sin(angle);
    for (const n of nodes) {
      const x = n.x - mx, y = n.y - my;
      n.x = x * c - y * sn;
      n.y = x * sn + y * c;
    }
    const xs = nodes.map(n => n.x), ys = nodes.map(n => n.y);
    const minX = Math.min(...xs, 0), maxX = Math.max(...xs, 0);
    const minY = Math.min(...ys, 0), maxY = Math.max(...ys, 0);
    const pad = 70;
    this.view = [minX - pad, minY - pad / 1.5, maxX - minX + 2 * pad, maxY - minY + 1.33 * pad];
  }

  draw() {
    const s = this.svg;
    s.replaceChildren();
    s.setAttribute('viewBox', this.view.join(' '));
    this.edgeEls = [];
    for (const e of this.edges) {
      const u = this.nodes.get(e.a), v = this.nodes.get(e.b);
      const line = svgEl('line', { x1: u.x, y1: u.y, x2: v.x, y2: v.y, class: 'edge' });
      e.el = line;
      s.append(line);
    }
    for (const n of this.nodes.values()) {
      const g = svgEl('g', { class: 'node ' + n.type + (n.data.router ? ' router' : ''), transform: `translate(${n.x},${n.y})` });
      if (n.type === 'net') {
        g.append(svgEl('rect', { x: -55, y: -16, width: 110, height: 32, rx: 14 }));
        g.append(svgEl('text', { y: -2, text: n.data.name }));
        g.append(svgEl('text', { y: 11, class: 'small', text: n.data.cidr }));
      } else {
        if (n.data.router) g.append(svgEl('polygon', { points: '0,-22 26,0 0,22 -26,0' }));
        else g.append(svgEl('rect', { x: -34, y: -14, width: 68, height: 28, rx: 4 }));
        g.append(svgEl('text', { y: n.data.router ? 4 : -1, text: n.data.name }));
        g.append(svgEl('text', { y: n.data.router ? 34 : 11, class: 'small', text: n.data.addrs.map(a => a.addr).join(' ') }));
      }
      g.append(svgEl('title', { text: n.type === 'net' ? 'network ' + n.data.name + ' ' + n.data.cidr : (n.data.router ? 'router ' : 'host ') + n.data.name }));
      n.el = g;
      s.append(g);
    }
    this.pkt = svgEl('g', { class: 'pkt', visibility: 'hidden' });
    this.pkt.append(svgEl('circle', { r: 9 }));
    this.pktLabel = svgEl('text', { y: -13 });
    this.pkt.append(this.pktLabel);
    s.append(this.pkt);
  }

  // The edge a step's packet crosses at `host`: the frame's network or
  // link when known, else the one holding the other address.
  edgeFor(host, where, other) {
    const mine = this.edges.filter(e => (e.host === host || e.other === host));
    if (where) {
      const e = mine.find(x => x.where === where);
      if (e) return e;
    }
    if (other) {
      for (const e of mine) {
        const net = (this.meta.networks || []).find(n => n.name === e.where);
        if (net && inCidr(other, net.cidr)) return e;
      }
    }
    return mine[0] || null;
  }

  // Show step `ev` (with its frame, if any).
  show(ev, frame) {
    for (const n of this.nodes.values()) n.el.classList.toggle('active', n.id === 'host:' + ev.host);
    for (const e of this.edges) e.el.classList.remove('active', 'lost');
    this.pkt.setAttribute('visibility', 'hidden');
    const packety = ev.kind === 'send' || ev.kind === 'fwd' || ev.kind === 'recv' || ev.kind === 'drop' ||
      (ev.kind === 'arp' && frame);
    if (!packety || !ev.host) return;
    const addr = a => (a || '').split(':')[0];
    const arriving = ev.kind === 'recv';
    const e = this.edgeFor(ev.host, frame ? frame.where : ev.where, arriving ? addr(ev.src) : addr(ev.dst));
    if (!e) return;
    const here = this.nodes.get('host:' + ev.host);
    const there = this.nodes.get(e.a === here.id ? e.b : e.a);
    const f = arriving ? 0.75 : 0.3;
    const x = there.x * (arriving ? 1 - f : f) + here.x * (arriving ? f : 1 - f);
    const y = there.y * (arriving ? 1 - f : f) + here.y * (arriving ? f : 1 - f);
    e.el.classList.add(ev.kind === 'drop' ? 'lost' : 'active');
    this.pkt.setAttribute('transform', `translate(${x},${y})`);
    this.pkt.setAttribute('class', 'pkt ' + ev.kind);
    this.pktLabel.textContent = ev.kind === 'arp' ? 'ARP' : (ev.proto ? protoName(ev.proto) : '') + (ev.flags ? ' ' + ev.flags : '');
    this.pkt.setAttribute('visibility', 'visible');
  }
}
