#!/usr/bin/env node
// Browser tests of `netsim run --html`: real headless Chromium (Debian's
// chromium, driven by playwright-core) opens the pages from disk (file://).
//
//   usage: node page.js NETSIM SRCROOT OUTDIR CHECK
//   CHECK: browser   browser.scn: step to the SYN-ACK, its TCP header view and
//                    the socket tables at that step; step with keys and the URL
//                    fragment; filter to one socket; search; step back
//          plots     lossy-transfer.scn: a time-sequence graph with segments
//                    sent again, a cwnd/ssthresh plot
//          all       every scenarios/*.scn page loads with no console error
//                    and its socket tables at the last step are the summary's
//          screens   ports-vs-sockets.scn at three steps, PNGs in OUTDIR
//          lab       a lab's page (netsim lab): answers checked right and wrong,
//                    free answers and choices; a screenshot in OUTDIR
//          large     a page of about 5,000 steps: the code paths of large
//                    pages (rows in view only, diagram in bands, bars per
//                    half pixel) work
//          bench     (a benchmark) a 100,000-event page: its size, the time
//                    to show it and to complete it (the diagram drawn), to
//                    step (with the layout a step causes), to search just
//                    after opening and once the page was idle
// Exit 77 (meson: skipped) when chromium or playwright-core is missing.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const [netsim, srcroot, outdir, check] = process.argv.slice(2);
const CHROMIUM = process.env.NS_CHROMIUM || '/usr/bin/chromium';
let chromium;
try {
  ({ chromium } = require(path.resolve(srcroot, 'tests/browser/node_modules/playwright-core')));
} catch (e) {
  console.log('SKIP: playwright-core is not installed (npm ci --prefix tests/browser)');
  process.exit(77);
}
if (!fs.existsSync(CHROMIUM)) {
  console.log('SKIP: no ' + CHROMIUM + ' (apt-get install chromium)');
  process.exit(77);
}

let failures = 0;
function ok(cond, what) {
  if (cond) console.log('ok    ' + what);
  else { failures++; console.log('FAIL  ' + what); }
}
function eq(got, want, what) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  ok(g === w, what + (g === w ? '' : '\n        got  ' + g + '\n        want ' + w));
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'netsim-page-'));
function page(scn, extra) {
  const out = path.join(work, path.basename(scn, '.scn') + '.html');
  try {
    execFileSync(netsim, ['run', '-q', '--html', out, ...(extra || []), path.join(srcroot, scn)], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    if (e.status !== 1) throw e; // 1: an expectation failed, the page is written
  }
  return out;
}

async function browser() {
  const profile = fs.mkdtempSync(path.join(work, 'profile-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Open a page; console errors and page errors are collected in p.errors.
async function open(ctx, file, hash) {
  const p = await ctx.newPage();
  p.errors = [];
  p.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') p.errors.push(m.text()); });
  p.on('pageerror', e => p.errors.push(e.message));
  p.on('request', r => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) p.errors.push('network request ' + r.url()); });
  await p.goto('file://' + file + (hash || ''));
  await p.waitForSelector('body[data-ready]', { timeout: 60000 });
  return p;
}

// The step in the URL fragment, once it has caught up with the page (it is
// written at most every 100 ms).
const step = async p => {
  await p.waitForFunction(() => location.hash === '#step=' + (window.netsimPage.cur + 1), null, { timeout: 5000 });
  return p.evaluate(() => +location.hash.replace('#step=', ''));
};
const cur = p => p.$eval('.row.cur', r => r.textContent);
const field = (p, layer, name) => p.$eval(`details[data-layer="${layer}"] tr[data-field="${name}"] td.v`, td => td.textContent);
const socks = p => p.$$eval('table.ss', ts => Object.fromEntries(ts.map(t => [t.dataset.host,
  [...t.querySelectorAll('tr')].slice(1).map(r => [...r.children].map(c => c.textContent).join(' '))])));

async function checkBrowser(ctx) {
  const file = page('scenarios/browser.scn', ['--explain']);
  const html = fs.readFileSync(file, 'utf8');
  ok(!/<(script|link|img)[^>]+(src|href)=/i.test(html), 'the page loads no script, style or image from elsewhere');
  const p = await open(ctx, file);
  eq(await step(p), 1, 'the page opens at step 1');
  // The SYN-ACK: www sends [S.].
  const n = await p.evaluate(() => window.netsimPage.steps.findIndex(e => e.kind === 'send' && e.host === 'www' && e.flags === 'S.') + 1);
  ok(n > 1, 'the run has a SYN-ACK step (' + n + ')');
  await p.evaluate(k => { location.hash = '#step=' + k; }, n - 1);
  await p.waitForFunction(k => window.netsimPage.cur === k - 2, n);
  await p.keyboard.press('ArrowRight');
  eq(await step(p), n, 'ArrowRight steps to the SYN-ACK and the URL fragment follows');
  ok((await cur(p)).includes('www') && (await cur(p)).includes('[S.]'), 'the current row is the SYN-ACK');
  eq(await field(p, 'TCP', 'flags'), 'SYN ACK', 'TCP view: flags SYN ACK');
  eq(await field(p, 'TCP', 'source port'), '80', 'TCP view: source port 80');
  eq(await field(p, 'TCP', 'destination port'), '49153', 'TCP view: destination port 49153');
  eq(await field(p, 'TCP', 'data offset'), '24 bytes', 'TCP view: a 24-byte header (MSS option)');
  eq(await field(p, 'TCP options', 'MSS'), '1460', 'TCP options view: MSS 1460');
  eq(await field(p, 'IPv4', 'source'), '10.0.0.80', 'IPv4 view: from www');
  eq(await field(p, 'Ethernet II', 'type'), '0x0800 (IPv4)', 'Ethernet view of the frame that carried it');
  // Clicking a field highlights its bytes: the flags byte is one byte at
  // 14 (Ethernet) + 20 (IP) + 13.
  await p.click('details[data-layer="TCP"] tr[data-field="flags"]');
  const sel = await p.$$eval('.hex .sel', bs => bs.map(b => b.dataset.off + ':' + b.textContent));
  eq(sel, ['47:12'], 'the flags field highlights byte 47 (0x12 = SYN+ACK)');
  eq(await socks(p), {
    browser: ['tcp SYN-SENT 10.0.0.1:49153 10.0.0.80:80'],
    ns: ['udp UNCONN *:53 *:*'],
    www: ['tcp LISTEN *:80 *:*', 'tcp SYN-RECV 10.0.0.80:80 10.0.0.1:49153'],
    mx: ['tcp LISTEN *:25 *:*'],
  }, 'socket tables at the SYN-ACK: the listener and its new SYN-RECV socket');
  // The sequence diagram marks the rows of the step's moment and scrolls
  // them into view.
  const diag = async () => p.evaluate(async () => {
    // The diagram scrolls at the next frame.
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    const m = document.querySelector('#diagram .now'), box = document.getElementById('diagram');
    const y0 = +m.dataset.y, y1 = y0 + +m.dataset.h;
    const r = m.getBoundingClientRect(), b = box.getBoundingClientRect();
    return {
      shown: !m.hidden, y: y0,
      inView: r.top >= b.top - 1 && r.bottom <= b.bottom + 1,
      times: [...box.querySelectorAll('text[x="6"]')].filter(t => +t.getAttribute('y') > y0 && +t.getAttribute('y') < y1).map(t => t.textContent),
      labels: [...box.querySelectorAll('text.label')].filter(t => +t.getAttribute('y') > y0 && +t.getAttribute('y') < y1).map(t => t.textContent),
    };
  });
  const d1 = await diag();
  const t1 = await p.$eval('.row.cur .t', e => e.textContent);
  ok(d1.shown && d1.inView, 'the diagram marks the SYN-ACK, in view');
  eq(d1.labels.length === 1 && d1.labels[0].startsWith('TCP [S.] seq 0 ack 1 '), true, 'the marked row is the SYN,ACK arrow: ' + d1.labels.join(' | '));
  eq([t1, d1.times], ['0.007000000', ['0.008000000']], 'sent at 7 ms, its arrow is drawn where it arrived, at 8 ms');
  await p.keyboard.press('End');
  const d2 = await diag();
  ok(d2.shown && d2.inView && d2.y > d1.y + 200, 'at the last step the mark has moved down the diagram (' + d1.y + ' -> ' + d2.y + ') and the diagram scrolled to it');
  await p.evaluate(k => { location.hash = '#step=' + k; }, n);
  await p.waitForFunction(k => window.netsimPage.cur === k - 1, n);
  await p.keyboard.press('ArrowLeft');
  eq(await step(p), n - 1, 'ArrowLeft steps back');
  const d3 = await diag();
  const t3 = await p.$eval('.row.cur .t', e => e.textContent);
  ok(d3.shown && d3.times.length > 0 && d3.times.every(t => t === t3), 'a step that is no packet marks the rows of its moment (' + t3 + '): ' + d3.times.join(', '));
  eq((await socks(p)).www, ['tcp LISTEN *:80 *:*', 'tcp SYN-RECV 10.0.0.80:80 10.0.0.1:49153'], 'one step back the new socket exists already (it was made on the SYN)');
  const explain = await p.$eval('#explain', e => e.hidden ? '' : e.textContent);
  ok(explain.length > 0, 'the step has its explanation: ' + explain.slice(0, 60) + '...');
  // Filter to the browser's TCP socket.
  const opt = await p.$$eval('#fsock option', os => os.map(o => [o.value, o.textContent]));
  const tcpSock = opt.find(([, t]) => t === 'browser tcp 10.0.0.1:49153-10.0.0.80:80 (#5)');
  ok(!!tcpSock, 'the socket filter lists the browser\'s TCP socket');
  await p.selectOption('#fsock', tcpSock[0]);
  const rows = await p.$$eval('.row', rs => rs.map(r => r.querySelector('.h').textContent + ' ' + r.querySelector('.x').textContent));
  ok(rows.length > 5 && rows.every(r => r.startsWith('browser ') && r.includes('10.0.0.1:49153')), 'filtered to one socket: ' + rows.length + ' rows, all browser\'s and all 10.0.0.1:49153');
  ok(rows.some(r => r.includes('> 10.0.0.80:80 TCP')) && rows.some(r => r.includes('10.0.0.80:80 > 10.0.0.1:49153 TCP')), 'the socket\'s rows hold segments sent and received');
  ok(!rows.some(r => r.includes('UDP')), 'no row of the DNS socket');
  eq(await p.$eval('#count', c => c.textContent.endsWith('steps shown')), true, 'the count says the list is filtered');
  await p.selectOption('#fsock', '');
  // Search.
  await p.fill('#search', 'DNS A?');
  await p.press('#search', 'Enter');
  const found = await p.$$eval('.row .x', rs => rs.map(r => r.textContent));
  eq(found.length, 2, 'search "DNS A?" finds the query sent and received');
  await p.fill('#search', '');
  await p.press('#search', 'Enter');
  // Kind filter: only tcp.
  for (const k of await p.$$eval('#fkinds input', is => is.map(i => i.value))) if (k !== 'tcp') await p.uncheck(`#fkinds input[value="${k}"]`);
  const kinds = await p.$$eval('.row .k', ks => [...new Set(ks.map(k => k.textContent))]);
  eq(kinds, ['tcp'], 'the kind filter leaves only tcp rows');
  // Jump to a time.
  for (const k of await p.$$eval('#fkinds input', is => is.map(i => i.value))) await p.check(`#fkinds input[value="${k}"]`);
  await p.fill('#jump', '8ms');
  await p.press('#jump', 'Enter');
  ok((await cur(p)).includes('0.008000000'), 'jump to 8ms lands on the first step at 8 ms');
  eq(p.errors, [], 'no console error');
  await p.close();
  // IP fragments: a later fragment's bytes are no ICMP header, and its row
  // says which fragment it is.
  const fp = await open(ctx, page('scenarios/ip-fragments.scn'));
  const k = await fp.evaluate(() => window.netsimPage.steps.findIndex(e => e.kind === 'fwd' && e.frag && e.frag.off === 1480) + 1);
  ok(k > 1, 'the run has the router forwarding the fragment at offset 1480 (' + k + ')');
  await fp.evaluate(n => { location.hash = '#step=' + n; }, k);
  await fp.waitForFunction(n => window.netsimPage.cur === n - 1, k);
  ok((await cur(fp)).includes('ICMP frag ipid 16755 off 1480 len 976 MF'), 'the row names the fragment: ' + await cur(fp));
  eq(await field(fp, 'IPv4', 'fragment offset'), '1480', 'IPv4 view: the fragment offset');
  eq(await fp.$$eval('details[data-layer]', ds => ds.map(d => d.dataset.layer)), ['Ethernet II', 'IPv4', 'fragment data'],
    'a later fragment is decoded as data, not as an ICMP header');
  eq(fp.errors, [], 'ip-fragments: no console error');
  await fp.close();
  // IPv6 fragments: the Fragment header is a layer of its own; a later
  // fragment's bytes are data, the first one's start with ICMPv6.
  const f6 = await open(ctx, page('scenarios/ipv6-fragments.scn'));
  const later = await f6.evaluate(() => window.netsimPage.steps.findIndex(e => e.kind === 'fwd' && e.frag && e.frag.off === 1232) + 1);
  ok(later > 1, 'the run has the router forwarding the IPv6 fragment at offset 1232 (' + later + ')');
  await f6.evaluate(n => { location.hash = '#step=' + n; }, later);
  await f6.waitForFunction(n => window.netsimPage.cur === n - 1, later);
  ok((await cur(f6)).includes('ICMPv6 frag ipid 4073412598 off 1232 len 1232 MF'), 'the row names the IPv6 fragment: ' + await cur(f6));
  eq(await field(f6, 'IPv6 Fragment header', 'fragment offset'), '1232', 'Fragment header: the offset');
  eq(await field(f6, 'IPv6 Fragment header', 'identification'), '4073412598', 'Fragment header: the identification');
  eq(await f6.$$eval('details[data-layer]', ds => ds.map(d => d.dataset.layer)), ['Ethernet II', 'IPv6', 'IPv6 Fragment header', 'fragment data'],
    'a later IPv6 fragment is decoded as data after its Fragment header');
  const first = await f6.evaluate(() => window.netsimPage.steps.findIndex(e => e.kind === 'fwd' && e.frag && e.frag.off === 0) + 1);
  await f6.evaluate(n => { location.hash = '#step=' + n; }, first);
  await f6.waitForFunction(n => window.netsimPage.cur === n - 1, first);
  eq(await f6.$$eval('details[data-layer]', ds => ds.map(d => d.dataset.layer)), ['Ethernet II', 'IPv6', 'IPv6 Fragment header', 'ICMPv6', 'echo data'],
    'the first IPv6 fragment holds the ICMPv6 header');
  // Its row names the ICMPv6 message, as the text trace's line does.
  ok((await cur(f6)).includes('ICMPv6 echo request frag ipid 4073412598 off 0 len 1232 MF'), 'the row names the ICMPv6 message: ' + await cur(f6));
  eq(f6.errors, [], 'ipv6-fragments: no console error');
  await f6.close();
}

async function checkPlots(ctx) {
  const p = await open(ctx, page('scenarios/lossy-transfer.scn'));
  const tseq = await p.$$eval('svg.tseq', s => s.length);
  ok(tseq >= 1, 'a time-sequence graph (' + tseq + ')');
  const segs = await p.$$eval('svg.tseq line.seg', s => s.length);
  const again = await p.$$eval('svg.tseq line.seg.retrans', s => s.length);
  ok(segs > 50 && again > 0, segs + ' segments drawn, ' + again + ' sent again (marked)');
  ok(await p.$$eval('svg.tseq path.ackline', s => s.length) >= 1, 'the ACK line');
  ok(await p.$$eval('svg.cc path.cwnd', s => s.length) >= 1 && await p.$$eval('svg.cc path.ssthresh', s => s.length) >= 1, 'a cwnd and ssthresh plot');
  // Clicking a retransmission jumps to its step.
  await p.$eval('svg.tseq line.seg.retrans', l => l.dispatchEvent(new MouseEvent('click')));
  const kind = await p.evaluate(() => { const e = window.netsimPage.steps[window.netsimPage.cur]; return e.kind + ' ' + e.proto; });
  eq(kind, 'send tcp', 'clicking a segment sent again steps to its send');
  eq(p.errors, [], 'no console error');
  await p.close();
}

async function checkAll(ctx) {
  const dir = path.join(srcroot, 'scenarios');
  const scns = fs.readdirSync(dir).filter(f => f.endsWith('.scn')).sort();
  for (const f of scns) {
    const p = await open(ctx, page('scenarios/' + f));
    const r = await p.evaluate(() => {
      const pg = window.netsimPage;
      const last = pg.steps.length - 1;
      const mine = [];
      for (const [host, rows] of pg.run.socketsAt(last))
        for (const row of rows) mine.push([host, row.proto, row.state, row.local, row.remote].join(' '));
      const theirs = (pg.meta.sockets_end || []).map(s => [s.host, s.proto, s.state, s.local, s.remote].join(' '));
      return { mine: mine.sort(), theirs: theirs.sort(), steps: pg.steps.length };
    });
    eq(r.mine, r.theirs, f + ': ' + r.steps + ' steps; replayed socket tables at the end are the run\'s');
    eq(p.errors, [], f + ': no console error');
    await p.close();
  }
}

async function checkScreens(ctx) {
  fs.mkdirSync(outdir, { recursive: true });
  const file = page('scenarios/ports-vs-sockets.scn', ['--explain']);
  const p = await open(ctx, file);
  const at = await p.evaluate(() => {
    const s = window.netsimPage.steps;
    const i = (f) => s.findIndex(f) + 1;
    return [
      i(e => e.kind === 'tcp' && e.host === 'www' && e.to === 'SYN-RECEIVED'),
      i(e => e.kind === 'tcp' && e.host === 'www' && e.to === 'ESTABLISHED' && e.sock.remote === '10.0.0.3:49152'),
      i(e => e.kind === 'send' && e.host === 'www' && e.len > 0),
    ];
  });
  ok(at.every(n => n > 0), 'the three steps exist: ' + at.join(', '));
  for (const [k, n] of at.entries()) {
    if (n <= 0) continue;
    await p.evaluate(x => { location.hash = '#step=' + x; }, n);
    await p.waitForFunction(x => window.netsimPage.cur === x - 1, n);
    const png = path.join(outdir, `ports-vs-sockets-${k + 1}-step${n}.png`);
    await p.screenshot({ path: png, fullPage: true });
    ok(fs.statSync(png).size > 10000, 'screenshot ' + png);
  }
  // The sequence diagram at the last of them, its rows of that moment marked.
  const dpng = path.join(outdir, `ports-vs-sockets-diagram-step${at[2]}.png`);
  await p.$eval('#diagpanel', e => e.scrollIntoView());
  await (await p.$('#diagpanel')).screenshot({ path: dpng });
  ok(fs.statSync(dpng).size > 10000, 'screenshot ' + dpng);
  eq(p.errors, [], 'no console error');
  await p.close();
}

async function checkLab(ctx) {
  fs.mkdirSync(outdir, { recursive: true });
  const name = 'refused-filtered-timeout';
  const dir = path.join(work, 'lab');
  fs.mkdirSync(dir);
  execFileSync(netsim, ['lab', path.join(srcroot, 'scenarios/labs', name + '.scn'), '-o', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  const key = fs.readFileSync(path.join(dir, name + '-key.md'), 'utf8');
  const answers = [...key.matchAll(/^ {3}\*\*(.*?)\*\*/gm)].map(m => m[1]);
  const p = await open(ctx, path.join(dir, name + '.html'));
  ok((await p.$eval('#title', t => t.textContent)).endsWith('(student mode)'), 'the lab\'s page is in student mode');
  eq(await p.$eval('#lab', e => e.hidden), false, 'the Questions panel is shown');
  eq(await p.$$eval('#questions .q', qs => qs.length), answers.length, 'one question per answer of the key');
  const verdict = q => p.$eval(`#questions .q[data-q="${q}"] .verdict`, v => v.textContent);
  // Question 1 takes a typed answer (a port).
  const box = '#questions .q[data-q="1"] input.answer';
  await p.fill(box, '1234');
  await p.click('#questions .q[data-q="1"] button.check');
  eq(await verdict(1), 'Not that: look again.', 'a wrong port is refused');
  await p.fill(box, ' ' + answers[0] + ' ');
  await p.press(box, 'Enter');
  eq(await verdict(1), 'Right.', 'the key\'s port (' + answers[0] + ') is right, typed with blanks, checked with Enter');
  // The first multiple-choice question.
  const q = await p.$$eval('#questions .q', qs => qs.findIndex(x => x.querySelector('input[type=radio]')) + 1);
  ok(q > 0, 'a multiple-choice question (' + q + ')');
  const right = answers[q - 1][0], wrong = right === 'a' ? 'b' : 'a';
  await p.click(`#questions .q[data-q="${q}"] button.check`);
  eq(await verdict(q), 'Give an answer first.', 'checking with nothing chosen asks for an answer');
  await p.check(`#questions .q[data-q="${q}"] input[value="${wrong}"]`);
  await p.click(`#questions .q[data-q="${q}"] button.check`);
  eq(await verdict(q), 'Not that: look again.', 'choice ' + wrong + ' is refused');
  await p.check(`#questions .q[data-q="${q}"] input[value="${right}"]`);
  await p.click(`#questions .q[data-q="${q}"] button.check`);
  eq(await verdict(q), 'Right.', 'choice ' + right + ' (the key\'s) is right');
  const png = path.join(outdir, name + '-lab.png');
  await p.screenshot({ path: png, fullPage: true });
  ok(fs.statSync(png).size > 10000, 'screenshot ' + png);
  eq(p.errors, [], 'no console error');
  await p.close();
}

// A long transfer with loss: `mb` megabytes make about 3,400 steps each.
function transfer(name, mb) {
  const scn = path.join(work, name + '.scn');
  fs.writeFileSync(scn, [
    'scenario "page benchmark: one long transfer"', 'seed 1',
    'network lan 10.0.0.0/24 delay 1ms rate 100Mbps loss 0.2%',
    'host cli 10.0.0.1', 'host srv 10.0.0.2',
    `service srv http 80 page /big ${mb}MB`,
    'at 0s cli fetch http://10.0.0.2/big', ''].join('\n'));
  return scn;
}

// Step the page `k` times by `d`, each step with the layout it causes: the
// mean time of one, in ms.
const stepping = (p, k, d) => p.evaluate(([k, d]) => {
  const pg = window.netsimPage;
  const t = performance.now();
  for (let i = 0; i < k; i++) { pg.step(d); void document.body.offsetHeight; }
  return (performance.now() - t) / k;
}, [k, d]);

// The large page's own code paths, in a page of about 5,000 steps: only
// the rows in view exist, the diagram holds only the bands near its view,
// a long connection's time-sequence graph draws one bar per half pixel.
async function checkLarge(ctx) {
  const out = path.join(work, 'large.html');
  execFileSync(netsim, ['run', '-q', '--html', out, transfer('large', 2)]);
  const p = await open(ctx, out);
  const r = await p.evaluate(() => {
    const pg = window.netsimPage;
    const sends = pg.run.connections[0].dirs.get('10.0.0.2:80').segs.length;
    return { steps: pg.steps.length, rows: document.querySelectorAll('#list .row').length, sends,
      bars: document.querySelectorAll('svg.tseq[aria-label="time-sequence graph 10.0.0.2:80"] line.seg').length,
      diagRows: pg.diagram.rows.length, diagShown: document.querySelectorAll('#diagram text[x="6"]').length };
  });
  ok(r.steps > 4000, 'a page of ' + r.steps + ' steps');
  ok(r.rows > 20 && r.rows < 100, 'the list holds only the rows in view and near it: ' + r.rows);
  ok(r.sends > 1000 && r.bars > 20 && r.bars < r.sends / 2, 'the server\'s ' + r.sends + ' segments drawn as ' + r.bars + ' bars');
  ok(r.diagShown > 0 && r.diagShown < r.diagRows / 4, 'the diagram holds ' + r.diagShown + ' of its ' + r.diagRows + ' rows');
  // Stepping moves the mark between rows, the list follows (congestion
  // samples are not in the list unless asked).
  for (let k = 0; k < 60; k++) await p.keyboard.press('ArrowRight');
  const want = await p.evaluate(() => window.netsimPage.view[60] + 1);
  eq(await step(p), want, '60 steps forward with the arrow key: step ' + want);
  ok((await cur(p)).startsWith(String(want)), 'the marked row is step ' + want);
  eq(await p.$$eval('#list .row.cur', rs => rs.length), 1, 'one row marked');
  // The end: the list and the diagram followed; the diagram's rows there exist.
  await p.keyboard.press('End');
  const end = await p.evaluate(async () => {
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    const m = document.querySelector('#diagram .now'), box = document.getElementById('diagram');
    const y0 = +m.dataset.y, y1 = y0 + +m.dataset.h;
    const r = m.getBoundingClientRect(), b = box.getBoundingClientRect();
    const pg = window.netsimPage, ev = pg.steps[pg.cur];
    const fmt = ns => Math.floor(ns / 1e9) + '.' + String(ns % 1e9).padStart(9, '0');
    return {
      cur: pg.cur, last: pg.steps.length - 1, inView: r.top >= b.top - 1 && r.bottom <= b.bottom + 1,
      times: [...box.querySelectorAll('text[x="6"]')].filter(t => +t.getAttribute('y') > y0 && +t.getAttribute('y') < y1).map(t => t.textContent),
      t: fmt(ev.t_ns), row: document.querySelector('#list .row.cur .n').textContent,
    };
  });
  eq([end.cur, end.row], [end.last, String(end.last + 1)], 'End goes to the last step and marks its row');
  ok(end.inView && end.times.length > 0 && end.times.every(x => x === end.t), 'the diagram marks the rows of the last moment, drawn and in view: ' + end.times.join(', '));
  // A bar of segments sent again jumps to the first of them.
  await p.$eval('svg.tseq line.seg.retrans', l => l.dispatchEvent(new MouseEvent('click')));
  const kind = await p.evaluate(() => { const e = window.netsimPage.steps[window.netsimPage.cur]; return e.kind + ' ' + e.proto + ' ' + e.host; });
  eq(kind, 'send tcp srv', 'clicking a bar of segments sent again steps to a send of the server');
  // Search across the whole page.
  await p.fill('#search', 'delayed ACK');
  await p.press('#search', 'Enter');
  const found = await p.$$eval('#list .row .x', rs => rs.map(r => r.textContent));
  const count = await p.$eval('#count', c => c.textContent);
  ok(found.length > 20 && found.every(x => x.includes('delayed ACK')) && +count.split(' ')[0] > 1000,
    'search "delayed ACK": ' + count + ', the ' + found.length + ' rows in view each a delayed ACK timer');
  eq(p.errors, [], 'no console error');
  await p.close();
}

// Open the page in a new tab: the wall time until it is complete, and the
// page's own marks (from the start of loading it): when the run is shown
// and can be stepped, when the diagram is drawn too.
async function openTimed(ctx, file) {
  const p = await ctx.newPage();
  await p.goto('about:blank');
  const t = Date.now();
  await p.goto('file://' + file);
  await p.waitForSelector('body[data-ready]', { timeout: 120000 });
  const wall = Date.now() - t;
  const marks = await p.evaluate(() => Object.fromEntries(['netsim-shown', 'netsim-ready'].map(m => [m, performance.getEntriesByName(m)[0].startTime])));
  return { p, wall, shown: marks['netsim-shown'], ready: marks['netsim-ready'] };
}

// A search for `q` with the layout it causes: [ms, steps found].
const searching = (p, q) => p.evaluate(q => {
  const pg = window.netsimPage;
  const t = performance.now();
  document.getElementById('search').value = q;
  pg.applyFilters();
  void document.body.offsetHeight;
  return [performance.now() - t, pg.view.length];
}, q);

async function checkBench(ctx) {
  const out = path.join(work, 'bench.html');
  const t = Date.now();
  // 30 MB with 0.2% loss: about 100,000 steps (12 MB made only 41,000).
  execFileSync(netsim, ['run', '-q', '--html', out, transfer('bench', 30)]);
  const write = Date.now() - t;
  const load = () => os.loadavg()[0].toFixed(1);
  const loads = [load()];
  const o = await openTimed(ctx, out);
  const p0 = o.p;
  const n = await p0.evaluate(() => window.netsimPage.steps.length);
  const step_ms = await stepping(p0, 200, 1);
  const back_ms = await stepping(p0, 200, -1);
  await p0.evaluate(() => window.netsimPage.go(Math.floor(window.netsimPage.steps.length / 2)));
  const mid_ms = await stepping(p0, 200, 1);
  const end_ms = await p0.evaluate(() => {
    const pg = window.netsimPage;
    const t = performance.now();
    pg.go(pg.steps.length - 1);
    void document.body.offsetHeight;
    return performance.now() - t;
  });
  // The search's lines are made while the page waits: a search then.
  await p0.waitForFunction(() => window.netsimPage.lines.length === window.netsimPage.steps.length, null, { timeout: 60000 });
  const [idle_ms, found] = await searching(p0, 'retransmit');
  const [idle2_ms, found2] = await searching(p0, 'rto fired');
  loads.push(load());
  await p0.close();
  // A search as soon as the page is complete, before it had time to make
  // its lines.
  const o1 = await openTimed(ctx, out);
  const [first_ms] = await searching(o1.p, 'retransmit');
  await o1.p.close();
  loads.push(load());
  const mb = fs.statSync(out).size / 1e6;
  const f = x => x.toFixed(x < 10 ? 1 : 0);
  console.log(`page of ${n} steps, ${mb.toFixed(1)} MB, written in ${write} ms`);
  console.log(`open: shown (steppable) at ${f(o.shown)} ms, complete (diagram drawn) at ${f(o.ready)} ms; again: ${f(o1.shown)} / ${f(o1.ready)} ms`);
  console.log(`a step ${f(step_ms)} ms from the start, ${f(mid_ms)} ms in the middle, a step back ${f(back_ms)} ms, to the end ${f(end_ms)} ms (each with its layout)`);
  console.log(`search: ${f(first_ms)} ms just after opening; once the page was idle ${f(idle_ms)} ms (${found} found), ${f(idle2_ms)} ms (${found2} found)`);
  console.log(`load average ${loads.join(', ')} (before, during, after) on ${os.cpus().length} cores: ${os.cpus()[0].model}`);
  ok(n >= 100000, 'the page holds at least 100,000 steps');
}

(async () => {
  const ctx = await browser();
  try {
    const checks = { browser: checkBrowser, plots: checkPlots, all: checkAll, screens: checkScreens, lab: checkLab, large: checkLarge, bench: checkBench };
    if (!checks[check]) throw new Error('unknown check ' + check);
    await checks[check](ctx);
  } catch (e) {
    failures++;
    console.log('FAIL  ' + (e.stack || e));
  } finally {
    await ctx.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(failures ? failures + ' failed' : 'all passed');
  process.exit(failures ? 1 : 0);
})();
