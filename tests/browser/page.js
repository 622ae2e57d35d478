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
//          bench     (a benchmark) a 100,000-event page: time to open, to
//                    step, to filter
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

const step = p => p.evaluate(() => +location.hash.replace('#step=', ''));
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
  const sel = await p.$$eval('.hex .b', bs => bs.map((b, i) => b.classList.contains('sel') ? i + ':' + b.textContent : null).filter(Boolean));
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

async function checkBench(ctx) {
  const scn = path.join(work, 'bench.scn');
  fs.writeFileSync(scn, [
    'scenario "page benchmark: one long transfer"', 'seed 1',
    'network lan 10.0.0.0/24 delay 1ms rate 100Mbps loss 0.2%',
    'host cli 10.0.0.1', 'host srv 10.0.0.2',
    // 30 MB with 0.2% loss: about 100,000 steps (12 MB made only 41,000).
    'service srv http 80 page /big 30MB',
    'at 0s cli fetch http://10.0.0.2/big', ''].join('\n'));
  const out = path.join(work, 'bench.html');
  let t = Date.now();
  execFileSync(netsim, ['run', '-q', '--html', out, scn]);
  const write = Date.now() - t;
  const p0 = await ctx.newPage();
  t = Date.now();
  await p0.goto('file://' + out);
  await p0.waitForSelector('body[data-ready]', { timeout: 120000 });
  const open_ms = Date.now() - t;
  const n = await p0.evaluate(() => window.netsimPage.steps.length);
  const times = await p0.evaluate(async () => {
    const pg = window.netsimPage;
    const res = {};
    let t = performance.now();
    for (let k = 0; k < 200; k++) pg.step(1);
    res.step_ms = (performance.now() - t) / 200;
    t = performance.now();
    pg.go(pg.steps.length - 1);
    res.jump_end_ms = performance.now() - t;
    t = performance.now();
    for (let k = 0; k < 200; k++) pg.step(-1);
    res.step_back_ms = (performance.now() - t) / 200;
    t = performance.now();
    document.getElementById('search').value = 'retransmit';
    pg.applyFilters();
    res.search_ms = performance.now() - t;
    return res;
  });
  const mb = fs.statSync(out).size / 1e6;
  console.log(`page of ${n} steps, ${mb.toFixed(1)} MB: written in ${write} ms, opened in ${open_ms} ms; ` +
    `step ${times.step_ms.toFixed(2)} ms, jump to the end ${times.jump_end_ms.toFixed(1)} ms, ` +
    `step back ${times.step_back_ms.toFixed(2)} ms, search ${times.search_ms.toFixed(0)} ms`);
  ok(n >= 100000, 'the page holds at least 100,000 steps');
  await p0.close();
}

(async () => {
  const ctx = await browser();
  try {
    const checks = { browser: checkBrowser, plots: checkPlots, all: checkAll, screens: checkScreens, lab: checkLab, bench: checkBench };
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
